// The serial monitor: the board's log line by line, coloured by ESP-IDF level; keys typed go to the
// board's REPL; Ctrl-] or Ctrl-C twice leaves.
import { colourLine, colourWanted } from "./colour.ts";
import { openLink, type ConsoleLink } from "./link.ts";
import { isTcpPort } from "./ports.ts";

const CTRL_C = "\x03";
const CTRL_RBRACKET = "\x1d";
/** A second Ctrl-C within this time leaves. */
export const DOUBLE_CTRL_C_MS = 2000;

export interface MonitorIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
  output: { write(s: string): unknown };
  /** Notices (start, how to leave) go here, apart from the log. */
  notice: { write(s: string): unknown };
  colour: boolean;
}

/** Terminal semantics for one received line: CR returns to column 0, so keep what follows the last one. */
export function visibleLine(raw: string): string {
  return raw.replace(/\r+$/, "").split("\r").pop()!;
}

/** Runs until the user leaves or the link closes; resolves with why. */
export function runMonitor(link: ConsoleLink, io: MonitorIo, label: string): Promise<"key" | "closed"> {
  io.notice.write(`--- monitor on ${label}; leave with Ctrl-] or Ctrl-C twice ---\n`);
  let partial = "";
  link.onData((t) => {
    const parts = (partial + t).split("\n");
    partial = parts.pop()!;
    for (const raw of parts) io.output.write(colourLine(visibleLine(raw), io.colour) + "\n");
  });
  const raw = !!io.input.isTTY && typeof io.input.setRawMode === "function";
  if (raw) io.input.setRawMode!(true);
  return new Promise((resolve) => {
    let lastCtrlC = 0;
    let done = false;
    const finish = (why: "key" | "closed") => {
      if (done) return;
      done = true;
      io.input.off("data", onKey);
      process.off("SIGINT", onSigint);
      if (raw) io.input.setRawMode!(false);
      io.input.pause();
      // A paused stdin pipe still holds the event loop open; the monitor is done with it.
      (io.input as { unref?: () => void }).unref?.();
      if (partial) io.output.write(colourLine(visibleLine(partial), io.colour) + "\n");
      io.notice.write(why === "key" ? "--- monitor closed ---\n" : `--- ${label} closed the connection ---\n`);
      resolve(why);
    };
    const ctrlC = () => {
      const now = Date.now();
      if (now - lastCtrlC <= DOUBLE_CTRL_C_MS) return finish("key");
      lastCtrlC = now;
      io.notice.write("--- press Ctrl-C again to leave (or Ctrl-]) ---\n");
    };
    const onSigint = () => ctrlC();
    const onKey = (d: Buffer | string) => {
      let forward = "";
      for (const ch of typeof d === "string" ? d : d.toString("latin1")) {
        if (ch === CTRL_RBRACKET) {
          if (forward) link.write(forward);
          return finish("key");
        }
        if (ch === CTRL_C) {
          ctrlC();
          if (done) return;
          continue;
        }
        forward += ch;
      }
      if (forward) link.write(forward);
    };
    io.input.on("data", onKey);
    io.input.resume();
    process.on("SIGINT", onSigint);
    link.closed.then(() => finish("closed"));
  });
}

/** Opens the port and monitors until the user leaves; used by npm run monitor and by flash --monitor. */
export async function monitorPort(port: string, baud: number): Promise<number> {
  const link = await openLink("monitor", port, baud);
  try {
    const why = await runMonitor(link, {
      input: process.stdin,
      output: process.stdout,
      notice: process.stderr,
      colour: colourWanted(process.stdout, process.env),
    }, isTcpPort(port) ? port : `${port} at ${baud} baud`);
    return why === "key" ? 0 : 1;
  } finally {
    await link.close();
  }
}
