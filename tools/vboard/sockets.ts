// The Espruino socket adapter: require("net") and require("tls") as Espruino 2v29's socketserver.c
// and network.c behave, over real node:net / node:tls connections to loopback only.
import * as net from "node:net";
import * as tls from "node:tls";
import { TLS_CLOSE_NOTIFY } from "../common/index.ts";
import { HANDSHAKE_ALLOC_CODE, type TlsOutcome, type TlsRelease } from "./heap.ts";
import { isListening } from "./listening.ts";
import { EspruinoInternalError, parseTlsOptions, toBinaryString } from "./tlsOptions.ts";

/** net->chunkSize on ESP32: at most this many bytes per `data` event. */
export const CHUNK_SIZE = 536;

/** socketerrors.c, indexed by -code; codes below -15 (mbedTLS errors) read "unknown error". */
const SOCKET_ERROR_TEXT = ["connection closed", "out of memory", "timeout", "no route", "busy", "not found",
  "max sockets", "unsent data", "connection reset", "unknown error", "no connection", "bad argument",
  "SSL handshake failed", "invalid SSL data", "no response"];
export function socketErrorString(code: number): string {
  return SOCKET_ERROR_TEXT[-1 - (code < -15 ? -10 : code)] ?? "unknown error";
}

export const ERR = {
  CLOSED: -1, TIMEOUT: -3, NO_ROUTE: -4, NOT_FOUND: -6, UNSENT_DATA: -8, RESET: -9,
  /** MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY: how a clean server close of a TLS connection surfaces. */
  PEER_CLOSE_NOTIFY: TLS_CLOSE_NOTIFY,
} as const;

/** The radio link sockets run over (the simulated Wi-Fi); default: always up. */
export interface NetworkLink {
  isUp(): boolean;
  onChange(fn: (up: boolean) => void): () => void;
}

export interface SocketEnv {
  /** Name -> loopback address, besides "localhost". Anything else fails like a DNS failure (-6). */
  hosts?: Record<string, string>;
  /** A refused connection: "throw" synchronously like the Linux build (default, needs /proc/net/tcp),
   *  or "events" (error -9, end, close) as a non-blocking connect such as the ESP32 build's may report it. */
  refused?: "throw" | "events";
  /** Serial output (one line, no newline). Default console.log. */
  print?: (line: string) => void;
  /** Runs a program callback; the board catches and prints what it throws. */
  invoke?: (fn: (...a: any[]) => unknown, args: unknown[]) => void;
  /** An exception raised outside any callback (the handshake failure). Default prints "Uncaught ...". */
  uncaught?: (e: unknown) => void;
  /** Creates the error thrown to the program, in the program's realm. */
  makeError?: (type: "InternalError" | "Error" | "TypeError", message: string) => unknown;
  /** Storage lookup for `ca`/`cert`/`key` given as file names. */
  readFile?: (name: string) => string | undefined;
  link?: NetworkLink;
  /** How long TCP retransmits unacknowledged data over a dead link before giving up (real ms). */
  stallTimeoutMs?: number;
  /** The board's native heap (heap.ts): TLS fails as on a board when it does not fit. Default: always fits. */
  heap?: { openTls(): TlsOutcome };
  /** Told about every socket so its owner can destroy them all at once. */
  track?: (s: EspruinoSocket) => void;
  untrack?: (s: EspruinoSocket) => void;
}

export interface EspruinoSocketLike {
  write(data: unknown): boolean;
  end(data?: unknown): void;
  on(event: string, fn: (...a: any[]) => void): EspruinoSocketLike;
  removeListener(event: string, fn: (...a: any[]) => void): void;
  removeAllListeners(event?: string): void;
  emit(event: string, ...args: unknown[]): boolean;
}

export interface ConnectOptions {
  host?: string;
  port?: number;
  ca?: unknown;
  key?: unknown;
  cert?: unknown;
  [k: string]: unknown;
}

const DEFAULT_STALL_MS = 60_000;
/** Hard-coded by Espruino's ssl_newSocketData (mbedtls_ssl_set_hostname), so it is what the SNI carries. */
export const TLS_HOSTNAME = "mbed TLS Server 1";

/** Resolves a host to a loopback address, or undefined (treated as a DNS failure). */
export function resolveLoopback(host: string, hosts: Record<string, string> = {}): string | undefined {
  const mapped = Object.prototype.hasOwnProperty.call(hosts, host) ? hosts[host] : host === "localhost" ? "127.0.0.1" : host;
  return isLoopback(mapped) ? mapped.replace(/^\[|\]$/g, "") : undefined;
}

export function isLoopback(addr: string): boolean {
  const a = addr.replace(/^\[|\]$/g, "");
  if (net.isIPv4(a)) return a.startsWith("127.");
  if (net.isIPv6(a)) return a === "::1" || a === "0:0:0:0:0:0:0:1";
  return false;
}

type Listener = (...a: any[]) => unknown;

export class EspruinoSocket implements EspruinoSocketLike {
  private listeners = new Map<string, Listener[]>();
  private conn?: net.Socket;
  private inbound: Buffer[] = [];
  private outbound: Buffer[] = [];
  private transportReady = false;
  private pendingClose?: number;
  private handshakeError?: string;
  /** The heap a TLS connection holds, given back when it closes. */
  private releaseHeap?: TlsRelease;
  /** Set when the handshake will run out of native heap: the mbedTLS code it fails with. */
  private heapFailCode?: string;
  private userClosed = false;
  private localEnd = false;
  private pumpScheduled = false;
  private stallTimer?: NodeJS.Timeout;
  private unlink?: () => void;
  private destroyed = false;

  constructor(private env: SocketEnv, private secure: boolean) {}

  // --- Espruino's EventEmitter-style API -------------------------------------------------------
  on(event: string, fn: Listener): this {
    const l = this.listeners.get(event) ?? [];
    l.push(fn);
    this.listeners.set(event, l);
    return this;
  }
  addListener(event: string, fn: Listener): this {
    return this.on(event, fn);
  }
  removeListener(event: string, fn: Listener): void {
    const l = this.listeners.get(event);
    if (l) this.listeners.set(event, l.filter((x) => x !== fn));
  }
  removeAllListeners(event?: string): void {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
  }
  emit(event: string, ...args: unknown[]): boolean {
    const l = this.listeners.get(event);
    if (!l || l.length === 0) return false;
    for (const fn of [...l]) this.call(fn, args);
    return true;
  }

  write(data: unknown): boolean {
    if (this.userClosed || this.localEnd) return false;
    const bytes = Buffer.from(toBinaryString(data), "latin1");
    if (bytes.length === 0) return true;
    this.outbound.push(bytes);
    this.flush();
    return true;
  }

  end(data?: unknown): void {
    if (data !== undefined) this.write(data);
    if (this.userClosed || this.localEnd) return;
    this.localEnd = true;
    // Once lwIP holds the data, the program sees the socket closed; the transport sends what is left.
    setImmediate(() => this.finish(0));
    this.flush();
  }

  // --- connection ------------------------------------------------------------------------------
  /** @internal */
  open(ip: string, port: number, tlsOpts: { cert?: string; key?: string }, cb?: Listener, heap?: TlsOutcome): void {
    this.env.track?.(this);
    if (heap === "handshake") this.heapFailCode = HANDSHAKE_ALLOC_CODE;
    else if (typeof heap === "function") this.releaseHeap = heap;
    if (cb) this.on("connect", cb);
    if (this.env.link) this.unlink = this.env.link.onChange((up) => this.onLink(up));
    const raw = net.connect({ host: ip, port });
    this.conn = raw;
    raw.on("error", (e: NodeJS.ErrnoException) => this.onTransportError(e));
    raw.once("connect", () => {
      this.emit("connect", this);
      if (!this.secure) {
        this.transportReady = true;
        this.attachData(raw);
        this.flush();
        if (this.outbound.length === 0) this.emit("drain", this);
        return;
      }
      const t = tls.connect({
        socket: raw,
        rejectUnauthorized: false, // MBEDTLS_SSL_VERIFY_NONE
        servername: TLS_HOSTNAME,
        maxVersion: "TLSv1.2",
        ...(tlsOpts.key && tlsOpts.cert ? { key: tlsOpts.key, cert: tlsOpts.cert } : {}),
      });
      this.conn = t;
      t.on("error", (e: NodeJS.ErrnoException) => this.onTransportError(e));
      t.once("secureConnect", () => {
        if (this.heapFailCode) {
          // The handshake's peak did not fit: it fails as any handshake failure does.
          this.handshakeError = `mbedtls_ssl_handshake returned ${this.heapFailCode}`;
          t.destroy();
          this.closeFromTransport(ERR.CLOSED);
          return;
        }
        this.transportReady = true;
        this.flush();
      });
      this.attachData(t);
    });
  }

  private attachData(s: net.Socket): void {
    s.on("data", (b: Buffer) => {
      this.inbound.push(b);
      this.schedulePump();
    });
    s.on("end", () => this.closeFromTransport(this.secure ? ERR.PEER_CLOSE_NOTIFY : ERR.CLOSED));
    s.on("close", () => this.closeFromTransport(ERR.CLOSED));
  }

  private onTransportError(e: NodeJS.ErrnoException): void {
    if (this.pendingClose !== undefined) return;
    if (this.secure && !this.transportReady && this.conn instanceof tls.TLSSocket) {
      // mbedtls_ssl_handshake failed: the socket closes (-1, or -8 with unsent data) and the
      // handshake's InternalError is reported as uncaught, before any timer runs (measured on 2v29:
      // end, close(false), the exception, then a 0 ms timeout).
      this.handshakeError = `mbedtls_ssl_handshake returned ${mbedtlsHandshakeCode(e)}`;
      this.closeFromTransport(ERR.CLOSED);
      return;
    }
    const code = e.code === "ETIMEDOUT" ? ERR.TIMEOUT : ERR.RESET;
    this.closeFromTransport(code);
  }

  private closeFromTransport(code: number): void {
    if (this.pendingClose !== undefined) return;
    this.pendingClose = code;
    this.schedulePump();
  }

  // --- delivery: one chunk of <= 536 bytes per turn of the event loop, like the idle loop ---------
  private schedulePump(): void {
    if (this.pumpScheduled || this.destroyed) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private linkUp(): boolean {
    return !this.env.link || this.env.link.isUp();
  }

  private pump(): void {
    if (this.destroyed || !this.linkUp()) return;
    if (this.inbound.length > 0) {
      const chunk = takeBytes(this.inbound, CHUNK_SIZE);
      if (!this.userClosed) this.emit("data", chunk.toString("latin1"));
      this.schedulePump();
      return;
    }
    if (this.pendingClose !== undefined) {
      let code = this.pendingClose;
      if (code === ERR.CLOSED && this.outbound.length > 0) code = ERR.UNSENT_DATA;
      this.finish(code);
      this.destroy();
      if (this.handshakeError) {
        const err = this.makeError("InternalError", this.handshakeError);
        (this.env.uncaught ?? ((e) => this.print(`Uncaught ${String(e)}`)))(err);
      }
    }
  }

  /** @internal fireErrorEvent, then `end`, then `close(hadError)`, once, as socketClientConnectionsIdle does. */
  finish(code: number): void {
    if (this.userClosed) return;
    this.userClosed = true;
    const hadError = code < 0 && code !== ERR.CLOSED;
    if (hadError) this.emit("error", { code, message: socketErrorString(code) });
    this.emit("end");
    this.emit("close", hadError);
  }

  private flush(): void {
    if (!this.conn || this.destroyed) return;
    if (!this.transportReady || !this.linkUp()) {
      if (this.outbound.length > 0 && !this.linkUp()) this.startStallTimer();
      return;
    }
    const conn = this.conn;
    while (this.outbound.length > 0) {
      const b = this.outbound.shift()!;
      conn.write(b, () => {
        if (this.outbound.length === 0 && conn.writableLength === 0 && !this.localEnd) this.emit("drain", this);
      });
    }
    if (this.localEnd) {
      conn.end();
      // The program already saw `close`; let the transport go once its FIN is out.
      conn.once("finish", () => this.destroy());
    }
  }

  // --- the link (Wi-Fi) going down and up --------------------------------------------------------
  private onLink(up: boolean): void {
    if (up) {
      this.stopStallTimer();
      this.flush();
      this.schedulePump();
    } else if (this.outbound.length > 0 || (this.conn?.writableLength ?? 0) > 0) {
      this.startStallTimer();
    }
  }

  private startStallTimer(): void {
    if (this.stallTimer) return;
    // Without unacknowledged data TCP sends nothing and never notices the dead link.
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      this.finish(ERR.TIMEOUT);
      this.destroy();
    }, this.env.stallTimeoutMs ?? DEFAULT_STALL_MS);
  }

  private stopStallTimer(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  /** Ends the transport silently (board reset or close complete). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.userClosed = true;
    this.stopStallTimer();
    this.unlink?.();
    this.releaseHeap?.();
    this.conn?.destroy();
    this.env.untrack?.(this);
  }

  private call(fn: Listener, args: unknown[]): void {
    if (this.env.invoke) this.env.invoke(fn, args);
    else defaultInvoke(fn, args, (l) => this.print(l));
  }

  private print(line: string): void {
    (this.env.print ?? console.log)(line);
  }

  private makeError(type: "InternalError" | "Error" | "TypeError", msg: string): unknown {
    return this.env.makeError ? this.env.makeError(type, msg) : namedError(type, msg);
  }
}

function defaultInvoke(fn: Listener, args: unknown[], print: (l: string) => void): void {
  try {
    fn(...args);
  } catch (e) {
    print(`Uncaught ${String(e)}`);
  }
}

function namedError(type: string, msg: string): Error {
  const e = new Error(msg);
  e.name = type;
  return e;
}

/** mbedTLS codes for what node:tls reports: an alert from the peer, or the peer closing mid-handshake. */
function mbedtlsHandshakeCode(e: NodeJS.ErrnoException): string {
  const eof = e.code === "ECONNRESET" || /socket disconnected|ECONNRESET|EPIPE/.test(e.message);
  return eof ? "-0x7280" : "-0x7780"; // MBEDTLS_ERR_SSL_CONN_EOF : MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE
}

function takeBytes(queue: Buffer[], max: number): Buffer {
  const parts: Buffer[] = [];
  let n = 0;
  while (queue.length > 0 && n < max) {
    const head = queue[0];
    const take = Math.min(head.length, max - n);
    parts.push(head.subarray(0, take));
    n += take;
    if (take === head.length) queue.shift();
    else queue[0] = head.subarray(take);
  }
  return Buffer.concat(parts, n);
}

/** require("net") / require("tls") for a program; usable on its own (no board) by host tests. */
export function espruinoSocketModule(kind: "tls" | "net", env: SocketEnv = {}): { connect(opts: ConnectOptions, cb?: Listener): EspruinoSocketLike } {
  const print = env.print ?? console.log;
  const fail = (type: "InternalError" | "Error" | "TypeError", msg: string) =>
    env.makeError ? env.makeError(type, msg) : namedError(type, msg);
  return {
    connect(opts: ConnectOptions, cb?: Listener): EspruinoSocketLike {
      if (!opts || typeof opts !== "object") throw fail("TypeError", `${kind}.connect expects an options object {host, port}`);
      const secure = kind === "tls";
      let tlsOpts: { cert?: string; key?: string } = {};
      if (secure) {
        try {
          tlsOpts = parseTlsOptions(opts, { readFile: env.readFile, print });
        } catch (e) {
          if (e instanceof EspruinoInternalError) throw fail("InternalError", e.message);
          throw e;
        }
      }
      const host = String(opts.host ?? "localhost");
      const port = Number(opts.port) || (secure ? 443 : 80);
      const sock = new EspruinoSocket(env, secure);
      const ip = resolveLoopback(host, env.hosts);
      // Failures after the socket object exists are reported through its events, on a later turn.
      const failLater = (code: number) => {
        setImmediate(() => sock.finish(code));
        return sock;
      };
      if (ip === undefined) return failLater(ERR.NOT_FOUND);
      const mode = env.refused ?? "throw";
      if (env.link && !env.link.isUp()) {
        if (mode === "events") return failLater(ERR.NO_ROUTE);
        print("ERROR: Connect failed (err 113)");
        throw fail("InternalError", "Unable to create socket");
      }
      if (mode === "throw" && isListening(ip, port) === false) {
        print("ERROR: Connect failed (err 111)");
        throw fail("InternalError", "Unable to create socket");
      }
      const heap = secure ? env.heap?.openTls() : undefined;
      if (heap === "setup") throw fail("InternalError", "mbedtls_ssl_setup: Not enough memory");
      sock.open(ip, port, tlsOpts, cb, heap);
      return sock;
    },
  };
}
