// The espruino engine's REPL port: a loopback TCP server in front of the interpreter's own telnet
// server (which preload.c moves from the fixed port 2323 to a free loopback port), passing bytes
// through both ways, with three things a board's console has and the Linux build's telnet lacks:
// - Ctrl-C interrupts a busy program. The Linux build reads telnet input only in its idle loop, so
//   a `\x03` sent while a loop runs waits forever; and at an empty prompt its desktop line editor
//   says "Press Ctrl-C again to exit" and exits on the second press. So Ctrl-C is sent as a space
//   first: if the interpreter reads it within a moment it is idle, and Ctrl-C follows (clearing a
//   line that is never empty); if not, it is busy and gets SIGINT, which the build turns into
//   "Execution Interrupted" as a board's escalated Ctrl-C does, and Ctrl-C follows once it reads
//   again. Whether the space was read is the kernel's count of unread bytes on the interpreter's
//   side of the connection (/proc/net/tcp).
// - The console survives a reset: when the interpreter process restarts (E.reboot()), the client
//   stays connected, sees the boot's output, and is joined to the new process's telnet server.
// - The host's control answers (marker lines) that land on the telnet console are the board's, not
//   the client's.
import { readFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import type { ReplServer } from "../repl.ts";

/** What the proxy needs from the board (espruino/board.ts). */
export interface TelnetBoard {
  /** The telnet port of the interpreter process started after generation `after` (undefined: the
   *  board stopped, or no process came within the wait). */
  telnetAfter(after: number): Promise<{ gen: number; port: number } | undefined>;
  /** SIGINT to the running interpreter. */
  interrupt(): void;
  /** Counts a client joined to the interpreter's telnet server (its E.reboot() shows only so). */
  telnetJoined(): () => void;
  /** A filter for console text that went to a telnet client: returns what to pass on. */
  telnetFilter(): (text: string) => string;
  on(ev: "output", fn: (text: string) => void): unknown;
  off(ev: "output", fn: (text: string) => void): unknown;
}

/** How long an idle interpreter may take to read input (its idle loop polls telnet every few ms). */
export const IDLE_READ_MS = 250;
/** How long an interrupted interpreter may take to come back to its idle loop. */
const BACK_MS = 3000;
const POLL_MS = 15;
const CTRL_C = "\x03";

/** Unread bytes queued for the socket local:localPort <- remote:remotePort (IPv4 loopback), or
 *  undefined when there is no such socket. */
export function unreadBytes(localPort: number, remotePort: number): number | undefined {
  const hex = (p: number) => "0100007F:" + p.toString(16).toUpperCase().padStart(4, "0");
  const local = hex(localPort);
  const remote = hex(remotePort);
  for (const line of readFileSync("/proc/net/tcp", "latin1").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[2] === remote) return parseInt(f[4]!.split(":")[1]!, 16);
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function serveTelnetProxy(board: TelnetBoard, port: number): Promise<ReplServer> {
  const host = "127.0.0.1";
  const conns = new Set<ProxyConnection>();
  const server = createServer((client) => {
    const c = new ProxyConnection(board, client);
    conns.add(c);
    client.on("close", () => conns.delete(c));
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(port, host, () => { server.off("error", rej); res(); });
  });
  const actual = (server.address() as { port: number }).port;
  return {
    host, port: actual, url: `tcp://${host}:${actual}`,
    close: () => new Promise<void>((res) => {
      for (const c of conns) c.close();
      server.close(() => res());
    }),
  };
}

class ProxyConnection {
  private up?: Socket;
  private upPort = 0;
  private gen = 0;
  private filter: (text: string) => string;
  private pending = "";
  private pumping = false;
  private closed = false;
  /** The boot's output while no interpreter's telnet server holds the console. */
  private readonly onOutput = (text: string) => this.toClient(text.replace(/\r?\n/g, "\r\n"));

  constructor(private board: TelnetBoard, private client: Socket) {
    this.filter = board.telnetFilter();
    client.setNoDelay(true);
    client.on("data", (d) => {
      this.pending += d.toString("latin1");
      if (!this.pumping) void this.pump();
    });
    client.on("error", () => { /* "close" follows */ });
    client.on("close", () => this.close());
    board.on("output", this.onOutput);
    void this.join();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.board.off("output", this.onOutput);
    this.up?.destroy();
    this.client.destroy();
  }

  private toClient(text: string): void {
    if (text && !this.closed && this.client.writable) this.client.write(text, "latin1");
  }

  /** Connects to the newest interpreter's telnet server; again whenever that one goes away. */
  private async join(): Promise<void> {
    while (!this.closed) {
      const t = await this.board.telnetAfter(this.gen);
      if (!t || this.closed) return this.close();
      this.gen = t.gen;
      const up = await new Promise<Socket | undefined>((res) => {
        const s = connect(t.port, "127.0.0.1");
        s.once("connect", () => res(s));
        s.once("error", () => res(undefined));
      });
      if (!up) { await sleep(100); continue; }
      if (this.closed) { up.destroy(); return; }
      up.setNoDelay(true);
      this.up = up;
      this.upPort = t.port;
      this.filter = this.board.telnetFilter();
      this.board.off("output", this.onOutput);
      up.on("data", (d) => this.toClient(this.filter(d.toString("latin1"))));
      up.on("error", () => { /* "close" follows */ });
      if (this.pending && !this.pumping) void this.pump();
      const left = this.board.telnetJoined();
      // Counted until the board has seen the process end (its exit is read with this count).
      await new Promise((r) => up.once("close", r));
      setTimeout(left, 1000);
      this.up = undefined;
      if (this.closed) return;
      // The interpreter ended (a reset): its successor's boot output comes on the board's console.
      this.board.on("output", this.onOutput);
    }
  }

  /** Whether the interpreter has read all it was sent, within `ms`. */
  private async readWithin(ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    for (;;) {
      const up = this.up;
      if (!up || up.localPort === undefined) return true;
      const unread = unreadBytes(this.upPort, up.localPort);
      if (!unread) return true;
      if (Date.now() >= end) return false;
      await sleep(POLL_MS);
    }
  }

  /** Client bytes to the interpreter, in order; each Ctrl-C as described at the top. */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.pending && this.up && !this.closed) {
        const up = this.up;
        const at = this.pending.indexOf(CTRL_C);
        if (at < 0) {
          up.write(this.pending, "latin1");
          this.pending = "";
          break;
        }
        if (at > 0) up.write(this.pending.slice(0, at), "latin1");
        this.pending = this.pending.slice(at + 1);
        up.write(" ", "latin1");
        if (!(await this.readWithin(IDLE_READ_MS))) {
          this.board.interrupt();
          await this.readWithin(BACK_MS);
        }
        if (this.up === up) up.write(CTRL_C, "latin1");
      }
    } finally {
      this.pumping = false;
    }
  }
}
