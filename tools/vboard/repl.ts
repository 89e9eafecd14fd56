// The virtual board's console as a TCP REPL on loopback, enough of Espruino's line editor for the
// real `espruino` CLI and for `npm run monitor`: the `>` prompt, echo, `\x10` echo-off lines,
// `\x1B\x0A` (Alt-Enter) newlines that do not execute, Ctrl-C, `=result` for echoed lines.
// Input runs in the running program's context, so Storage writes, reset() and load() act on the board.
// See shared/docs/espruino-platform.md §4 for what the CLI sends.
import { createServer, type Socket } from "node:net";
import { formatArgs } from "./format.ts";
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

export async function startRepl(board: Board, o: ReplOptions = {}): Promise<ReplServer> {
  // The real interpreter has its own line editor: its console is passed through as it is.
  if (board.engine === "espruino") return board.serveRepl(o);
  const host = o.host ?? "127.0.0.1";
  if (!isLoopback(host)) throw new Error(`startRepl: host "${host}" is not a loopback address; use 127.0.0.1 or ::1`);
  const sessions = new Set<ReplSession>();
  const server = createServer((sock) => {
    const s = new ReplSession(board, sock);
    sessions.add(s);
    sock.on("close", () => { s.dispose(); sessions.delete(s); });
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(o.port ?? 0, host, () => { server.off("error", rej); res(); });
  });
  const port = (server.address() as { port: number }).port;
  const url = `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    host, port, url,
    close: () => new Promise<void>((res) => {
      for (const s of sessions) s.dispose(true);
      sessions.clear();
      server.close(() => res());
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

  constructor(private board: VirtualBoard, private sock: Socket) {
    sock.setNoDelay(true);
    sock.on("data", (d) => { this.pending += d.toString("latin1"); this.pump(); });
    sock.on("error", () => { /* the peer went away; "close" follows */ });
    board.on("output", this.onOutput);
  }

  dispose(destroy = false): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.waitTimer);
    this.board.off("output", this.onOutput);
    if (destroy) this.sock.destroy();
  }

  private send(text: string): void {
    if (!this.disposed && this.sock.writable) this.sock.write(text.replace(/\r?\n/g, "\r\n"), "latin1");
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
        this.send("\nUncaught Error: no program is running on the virtual board\n>");
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
      if (!r.threw) this.send("\n=" + (typeof r.value === "string" ? JSON.stringify(r.value) : formatArgs([r.value])));
      this.send("\n>");
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
