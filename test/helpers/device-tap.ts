// A TLS tap between the board and a broker: it terminates the board's TLS with the test certificate
// and forwards every byte over a new TLS (or TCP) connection to the broker. Tests use it to inject
// raw bytes toward the board (garbage, oversized packets), to cut connections, to refuse connections
// for a while, and to count how many sockets the board holds at once.
import { readFileSync } from "node:fs";
import { connect as netConnect, type AddressInfo, type Socket } from "node:net";
import { connect as tlsConnect, createServer, type Server, type TLSSocket } from "node:tls";

export interface Tap {
  port: number;
  /** Board-side connections accepted so far, and the most ever open at once. */
  accepted(): number;
  maxOpen(): number;
  open(): number;
  /** Writes raw bytes to every open board-side connection. */
  inject(bytes: Buffer): void;
  /** Destroys every open connection pair. */
  cut(): void;
  /** Stops listening (new connections are refused) and cuts; resume() listens again on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
  /** Where later connections are forwarded. */
  setUpstream(u: { port: number; tls: boolean }): void;
}

export interface TapOptions {
  certPath: string;
  keyPath: string;
  /** Where the broker listens; tls true when it speaks TLS. */
  upstream: { port: number; tls: boolean };
}

export async function startTap(o: TapOptions): Promise<Tap> {
  const pairs = new Set<{ board: TLSSocket; up: Socket }>();
  let accepted = 0;
  let maxOpen = 0;
  let port = 0;
  let upstream = o.upstream;
  const make = (): Server => createServer({ cert: readFileSync(o.certPath), key: readFileSync(o.keyPath) }, (board) => {
    accepted++;
    const up: Socket = upstream.tls
      ? tlsConnect({ port: upstream.port, host: "127.0.0.1", rejectUnauthorized: false })
      : netConnect(upstream.port, "127.0.0.1");
    const pair = { board, up };
    pairs.add(pair);
    maxOpen = Math.max(maxOpen, pairs.size);
    const end = () => {
      if (!pairs.delete(pair)) return;
      board.destroy();
      up.destroy();
    };
    board.on("data", (d) => up.write(d));
    up.on("data", (d) => board.write(d));
    for (const s of [board, up]) {
      s.on("error", end);
      s.on("close", end);
      s.on("end", end);
    }
  });
  let server = make();
  const listen = (p: number) => new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(p, "127.0.0.1", () => {
      port = (server.address() as AddressInfo).port;
      resolve();
    });
  });
  const cut = () => {
    for (const p of [...pairs]) {
      pairs.delete(p);
      p.board.destroy();
      p.up.destroy();
    }
  };
  const pause = async () => {
    if (!server.listening) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    cut();
    await closed;
  };
  await listen(0);
  return {
    get port() { return port; },
    accepted: () => accepted,
    maxOpen: () => maxOpen,
    open: () => pairs.size,
    inject: (bytes) => { for (const p of pairs) p.board.write(bytes); },
    cut,
    pause,
    async resume() {
      if (server.listening) return;
      server = make();
      await listen(port);
    },
    close: pause,
    setUpstream: (u) => { upstream = u; },
  };
}
