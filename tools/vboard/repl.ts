// The virtual board's console as a TCP REPL on loopback, enough of Espruino's line editor for the
// real `espruino` CLI and for `npm run monitor`: the `>` prompt, echo, `\x10` echo-off lines,
// `\x1B\x0A` (Alt-Enter) newlines that do not execute, Ctrl-C, `=result` for echoed lines.
// Input runs in the running program's context, so Storage writes, reset() and load() act on the board.
// The sockets live on a worker thread (repl-wire.mjs), so that Ctrl-C reaches the board even while
// its program is stuck in a loop, and interrupts it (interrupt.ts).
// What the CLI sends and what the REPL answers: docs/espruino.md §4.5.
import { Worker } from "node:worker_threads";
import { formatArgs } from "./format.ts";
import { INTERRUPT_GRACE_MS, InterruptGuard } from "./interrupt.ts";
import { isLoopback } from "./sockets.ts";
import type { Board, VirtualBoard } from "./index.ts";

export interface ReplServer {
  host: string;
  port: number;
  /** The `--port` value for the espruino CLI and the flash/monitor tools. */
  url: string;
  close(): Promise<void>;
}

export interface ReplOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1; only loopback addresses are accepted. */
  host?: string;
}

/** How long a line waits for a program to run after reset()/load() before it is dropped. */
const RESTART_WAIT_MS = 2000;

type WireMessage =
  | { t: "listening"; port: number }
  | { t: "error"; message: string }
  | { t: "open" | "close"; id: number }
  | { t: "data"; id: number; text: string };

/** One connection's way back to its socket (on the worker). */
interface Wire {
  write(text: string): void;
  destroy(): void;
}

export async function startRepl(board: Board, o: ReplOptions = {}): Promise<ReplServer> {
  // The real interpreter has its own line editor: its console is passed through (espruino/board.ts).
  if (board.engine === "espruino") return board.serveRepl(o);
  const host = o.host ?? "127.0.0.1";
  if (!isLoopback(host)) throw new Error(`startRepl: host "${host}" is not a loopback address; use 127.0.0.1 or ::1`);
  const guard = new InterruptGuard();
  const worker = new Worker(new URL("./repl-wire.mjs", import.meta.url), {
    workerData: { host, port: o.port ?? 0, state: guard.state.buffer, graceMs: INTERRUPT_GRACE_MS },
  });
  const sessions = new Map<number, ReplSession>();
  let release: (() => void) | undefined;
  const port = await new Promise<number>((res, rej) => {
    worker.once("error", rej);
    worker.on("message", (m: WireMessage) => {
      switch (m.t) {
        case "listening": res(m.port); break;
        case "error": rej(new Error(`startRepl: cannot listen on ${host}:${o.port ?? 0}: ${m.message}`)); break;
        case "open": sessions.set(m.id, new ReplSession(board, {
          write: (text) => worker.postMessage({ t: "write", id: m.id, text }),
          destroy: () => worker.postMessage({ t: "end", id: m.id }),
        })); break;
        case "data": sessions.get(m.id)?.receive(m.text); break;
        case "close": sessions.get(m.id)?.dispose(); sessions.delete(m.id); break;
      }
    });
  }).catch(async (e) => { await worker.terminate(); throw e; });
  release = board.acceptInterrupts(guard);
  const url = `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    host, port, url,
    close: () => closed ??= new Promise<void>((res) => {
      release?.();
      for (const s of sessions.values()) s.dispose();
      sessions.clear();
      worker.once("exit", () => res());
      worker.postMessage({ t: "stop" });
    }),
  };
}

/** Espruino's line editor for one connection. */
class ReplSession {
  private line = "";
  private echo = true;
  private atPrompt = false;
  private pending = "";
  private esc: "" | "esc" | "csi" = "";
  private lastCR = false;
  private waitTimer?: NodeJS.Timeout;
  private waitingSince = 0;
  private disposed = false;
  private readonly onOutput = (text: string) => this.boardOutput(text);

  constructor(private board: VirtualBoard, private wire: Wire) {
    board.on("output", this.onOutput);
  }

  receive(text: string): void {
    this.pending += text;
    this.pump();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.waitTimer);
    this.board.off("output", this.onOutput);
  }

  private send(text: string): void {
    if (!this.disposed) this.wire.write(text.replace(/\r?\n/g, "\r\n"));
  }

  /** Program output while the prompt shows: print over the prompt, then draw it again. */
  private boardOutput(text: string): void {
    if (this.atPrompt) this.send("\r" + text + ">" + this.line);
    else this.send(text);
  }

  private pump(): void {
    if (this.waitTimer) return; // a line is waiting for the program to restart
    while (this.pending.length) {
      const ch = this.pending[0];
      this.pending = this.pending.slice(1);
      if (!this.char(ch)) return;
    }
  }

  /** Handles one character; false when execution must wait for the program to restart. */
  private char(ch: string): boolean {
    const cr = this.lastCR;
    this.lastCR = ch === "\r";
    if (this.esc === "esc") {
      // ESC LF (Alt-Enter) is a newline inside the command that does not execute it.
      this.esc = ch === "[" ? "csi" : "";
      if (ch === "\n" || ch === "\r") this.line += "\n";
      return true;
    }
    if (this.esc === "csi") {
      // Cursor or line-number sequences (ESC [ 12 d): consumed, not part of the code.
      if (/[A-Za-z~]/.test(ch)) this.esc = "";
      return true;
    }
    switch (ch) {
      case "\x1B":
        this.esc = "esc";
        return true;
      case "\x10":
        if (this.line === "") this.echo = false;
        return true;
      case "\x03":
        this.line = "";
        this.echo = true;
        this.atPrompt = true;
        this.send("\r\n>");
        return true;
      case "\x08":
      case "\x7F":
        if (this.line) {
          this.line = this.line.slice(0, -1);
          if (this.echo) this.send("\x08 \x08");
        }
        return true;
      case "\n":
        if (cr) return true; // CR LF is one Enter
      // falls through
      case "\r":
        return this.enter();
      default:
        if (ch < " " && ch !== "\t") return true;
        this.line += ch;
        if (this.echo) this.send(ch);
        return true;
    }
  }

  private enter(): boolean {
    if (!complete(this.line)) {
      this.line += "\n";
      if (this.echo) this.send("\n:");
      return true;
    }
    const code = this.line;
    const echo = this.echo;
    if (code.trim() === "") {
      this.line = "";
      this.echo = true;
      if (echo) { this.send("\n>"); this.atPrompt = true; }
      return true;
    }
    // While the line runs, its output must not redraw it as pending input.
    const wasAtPrompt = this.atPrompt;
    this.line = "";
    this.atPrompt = false;
    // Espruino ends the echoed line before running it: what it prints starts on a line of its own.
    if (echo && !this.waitingSince) this.send("\n");
    const r = this.board.evaluate(code);
    if (!r.ran) {
      this.line = code;
      this.atPrompt = wasAtPrompt;
      // reset()/load() is restarting the program: keep the line until the new run exists.
      if (!this.waitingSince) this.waitingSince = Date.now();
      if (Date.now() - this.waitingSince > RESTART_WAIT_MS) {
        this.waitingSince = 0;
        this.line = "";
        this.echo = true;
        this.send("Uncaught Error: no program is running on the virtual board\n>");
        return true;
      }
      this.pending = "\r" + this.pending; // retry this Enter
      this.lastCR = false;
      this.waitTimer = setTimeout(() => { this.waitTimer = undefined; this.pump(); }, 5);
      return false;
    }
    this.waitingSince = 0;
    this.echo = true;
    if (echo) {
      if (!r.threw) this.send("=" + (typeof r.value === "string" ? JSON.stringify(r.value) : formatArgs([r.value])) + "\n");
      this.send(">");
      this.atPrompt = true;
    }
    return true;
  }
}

/** Espruino executes on Enter only when brackets balance and no string or comment is open. */
export function complete(code: string): boolean {
  let depth = 0;
  let quote = "";
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
      continue;
    }
    if (c === "/" && code[i + 1] === "/") {
      const nl = code.indexOf("\n", i);
      if (nl < 0) return depth <= 0;
      i = nl;
    } else if (c === "/" && code[i + 1] === "*") {
      const end = code.indexOf("*/", i + 2);
      if (end < 0) return false;
      i = end + 1;
    } else if (c === "'" || c === '"' || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
  }
  return quote === "" && depth <= 0;
}
