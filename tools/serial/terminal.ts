// The serial monitor, with idf.py monitor's habits: the board's log line by line, coloured by
// ESP-IDF level (and timestamped on request); every key goes to the board's REPL, Ctrl-C included;
// Ctrl-] leaves; Ctrl-T opens a menu (keys.ts) to reset the board, build and flash, toggle
// timestamps or show help. Shared by npm run monitor and npm run flash -- --monitor.
import { colourLine, colourWanted } from "./colour.ts";
import { CTRL_C, CTRL_RBRACKET, helpText, MonitorKeys, type KeyAction } from "./keys.ts";
import { openLink, type ConsoleLink } from "./link.ts";
import { isTcpPort } from "./ports.ts";

/** Text without a newline yet (a prompt, echoed typing) shows after this much quiet. */
export const PARTIAL_FLUSH_MS = 100;
/** After a reset, a tcp:// console that closes (a board's telnet goes down with the chip) is
 *  reopened for this long. */
export const RECONNECT_MS = 10_000;

export interface MonitorIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
  output: { write(s: string): unknown };
  /** Notices (start, help, how to leave) go here, apart from the log. */
  notice: { write(s: string): unknown };
  colour: boolean;
}

export interface MonitorOptions {
  /** Start with a timestamp on each line (Ctrl-T T toggles). */
  timestamps?: boolean;
  /** Ctrl-T F: builds and flashes while the port is closed; resolves with the exit status. The
   *  signal aborts it (Ctrl-C or Ctrl-] while it runs). Without it, Ctrl-T F says it is not offered. */
  flash?: (signal: AbortSignal) => Promise<number>;
  /** Opens the console again (after a flash, or a reset that closed a tcp:// console). */
  reopen?: () => Promise<ConsoleLink>;
}

/** Terminal semantics for one received line: CR returns to column 0, so keep what follows the last one. */
export function visibleLine(raw: string): string {
  return raw.replace(/\r+$/, "").split("\r").pop()!;
}

/** idf.py monitor's timestamp: local date and time with milliseconds. */
export function timestamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)} `;
}

/** The board's output as lines: whole lines coloured and stamped; a line still open (the `>`
 *  prompt, echoed keys) shown after a moment of quiet, as a terminal would. */
export class LinePrinter {
  stamps: boolean;
  private open = "";
  /** How much of `open` is already on the screen. */
  private shown = 0;
  private timer?: NodeJS.Timeout;

  constructor(private out: { write(s: string): unknown }, private colour: boolean, stamps = false) {
    this.stamps = stamps;
  }

  write(text: string): void {
    const parts = (this.open + text).split("\n");
    this.open = parts.pop()!;
    for (const raw of parts) this.line(raw);
    clearTimeout(this.timer);
    if (this.open.length > this.shown) this.timer = setTimeout(() => this.flush(), PARTIAL_FLUSH_MS);
  }

  /** Shows the open line's text so far (when the board goes quiet, and before the monitor ends). */
  flush(): void {
    clearTimeout(this.timer);
    if (this.open.length <= this.shown) return;
    this.out.write((this.shown === 0 ? this.stamp() : "") + this.open.slice(this.shown));
    this.shown = this.open.length;
  }

  /** Ends an open line on the screen, so that a notice starts on a line of its own. */
  end(): void {
    this.flush();
    if (this.shown) this.out.write("\n");
    this.open = "";
    this.shown = 0;
  }

  private line(raw: string): void {
    const shown = this.shown;
    this.shown = 0;
    if (shown === 0) {
      this.out.write(this.stamp() + colourLine(visibleLine(raw), this.colour) + "\n");
      return;
    }
    const rest = raw.slice(shown);
    // A CR in the rest draws the line anew (the prompt overwritten by a log line): draw it whole.
    if (rest.replace(/\r+$/, "").includes("\r")) this.out.write("\r" + this.stamp() + colourLine(visibleLine(raw), this.colour) + "\n");
    else this.out.write(rest.replace(/\r+$/, "") + "\n");
  }

  private stamp(): string {
    return this.stamps ? timestamp() : "";
  }
}

/** Runs until the user leaves or the link closes; resolves with why. Closes the link. */
export function runMonitor(first: ConsoleLink, io: MonitorIo, label: string, o: MonitorOptions = {}): Promise<"key" | "closed"> {
  io.notice.write(`--- monitor on ${label}; leave with Ctrl-], Ctrl-C goes to the board, Ctrl-T H: help ---\n`);
  const printer = new LinePrinter(io.output, io.colour, !!o.timestamps);
  const keys = new MonitorKeys();
  const raw = !!io.input.isTTY && typeof io.input.setRawMode === "function";
  const setRaw = (on: boolean) => { if (raw) io.input.setRawMode!(on); };
  const notice = (text: string) => { printer.end(); io.notice.write(text); };

  let link = first;
  /** Links the monitor closed itself (to flash, or when done): their end is not the board's. */
  const dropped = new WeakSet<ConsoleLink>();
  let resetAt = -Infinity;
  let flashing: AbortController | undefined;
  let done = false;
  let resolveDone!: (why: "key" | "closed") => void;
  const result = new Promise<"key" | "closed">((r) => { resolveDone = r; });

  const attach = (l: ConsoleLink) => {
    link = l;
    l.onData((t) => { if (link === l) printer.write(t); });
    l.closed.then(() => { if (link === l && !dropped.has(l)) void lost(l); });
  };

  const finish = async (why: "key" | "closed") => {
    if (done) return;
    done = true;
    io.input.off("data", onKey);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    flashing?.abort();
    setRaw(false);
    io.input.pause();
    // A paused stdin pipe still holds the event loop open; the monitor is done with it.
    (io.input as { unref?: () => void }).unref?.();
    notice(why === "key" ? "--- monitor closed ---\n" : `--- ${label} closed the connection ---\n`);
    dropped.add(link);
    await link.close();
    resolveDone(why);
  };

  /** The console went away: after a reset a tcp:// console comes back with the board; else the end. */
  const lost = async (l: ConsoleLink) => {
    if (done) return;
    if (!o.reopen || Date.now() - resetAt > RECONNECT_MS) return finish("closed");
    notice(`--- ${label} closed the connection at the reset; opening it again ---\n`);
    const again = await reopenWithin(o.reopen, RECONNECT_MS);
    if (done || link !== l) { await again?.close(); return; }
    if (!again) return finish("closed");
    attach(again);
  };

  const act = async (a: KeyAction) => {
    if (done) return;
    switch (a.kind) {
      case "send": link.write(a.data); return;
      case "exit": return finish("key");
      case "help": notice(helpText({ reset: link.resetHow, flash: !!o.flash })); return;
      case "timestamps":
        printer.stamps = !printer.stamps;
        notice(`--- timestamps ${printer.stamps ? "on" : "off"} ---\n`);
        return;
      case "unknown": notice(`--- Ctrl-T ${a.key}: no such command (Ctrl-T H: help) ---\n`); return;
      case "reset":
        notice(`--- resetting the board (${link.resetHow}) ---\n`);
        resetAt = Date.now();
        try {
          await link.reset();
        } catch (e) {
          // A port without modem lines (a pseudo-terminal, some adapters) cannot pull EN.
          notice(`--- cannot reset the board through ${label}: ${(e as Error).message}; press its reset button ---\n`);
        }
        return;
      case "flash": return flash();
    }
  };

  const flash = async () => {
    if (!o.flash || !o.reopen) {
      notice("--- Ctrl-T F: build and flash is not offered here; leave (Ctrl-]) and run npm run flash ---\n");
      return;
    }
    notice(`--- closing ${label} to build and flash (Ctrl-C stops it) ---\n`);
    dropped.add(link);
    await link.close();
    flashing = new AbortController();
    let code: number;
    try {
      code = await o.flash(flashing.signal);
    } catch (e) {
      code = 1;
      io.notice.write(`--- flash did not run: ${(e as Error).message} ---\n`);
    }
    const aborted = flashing.signal.aborted;
    flashing = undefined;
    if (done) return;
    io.notice.write(aborted ? "--- flash stopped ---\n" : code === 0 ? "--- flash done ---\n" : `--- flash failed (exit status ${code}) ---\n`);
    const again = await reopenWithin(o.reopen, RECONNECT_MS);
    if (done) { await again?.close(); return; }
    if (!again) return finish("closed");
    io.notice.write(`--- monitor on ${label} again ---\n`);
    attach(again);
  };

  let queue = Promise.resolve();
  const onKey = (d: Buffer | string) => {
    const bytes = typeof d === "string" ? d : d.toString("latin1");
    // While flashing the port is the flasher's: Ctrl-C or Ctrl-] stops it, other keys are dropped.
    if (flashing) {
      if (bytes.includes(CTRL_C) || bytes.includes(CTRL_RBRACKET)) flashing.abort();
      return;
    }
    const actions = keys.feed(bytes);
    queue = queue.then(async () => { for (const a of actions) await act(a); }).catch((e) => {
      notice(`--- ${(e as Error).message} ---\n`);
    });
  };
  // A signal (kill, or a terminal that is not in raw mode) leaves as Ctrl-] does.
  const onSignal = () => void finish("key");

  attach(first);
  setRaw(true);
  io.input.on("data", onKey);
  io.input.resume();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return result;
}

/** Opens the console again, retrying while the board restarts; undefined when it does not come back. */
async function reopenWithin(open: () => Promise<ConsoleLink>, ms: number): Promise<ConsoleLink | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await open();
    } catch (e) {
      if (Date.now() > end) return undefined;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Opens the port and monitors until the user leaves; used by npm run monitor and by flash --monitor. */
export async function monitorPort(port: string, baud: number, o: Omit<MonitorOptions, "reopen"> = {}): Promise<number> {
  const open = () => openLink("monitor", port, baud);
  const link = await open();
  const why = await runMonitor(link, {
    input: process.stdin,
    output: process.stdout,
    notice: process.stderr,
    colour: colourWanted(process.stdout, process.env),
  }, isTcpPort(port) ? port : `${port} at ${baud} baud`, { ...o, reopen: open });
  return why === "key" ? 0 : 1;
}
