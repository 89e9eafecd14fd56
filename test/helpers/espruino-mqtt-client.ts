// Test harness: our MQTT client over an Espruino-shaped TLS socket (tools/vboard/sockets.ts) to a
// loopback broker, with Node's clock and every event recorded.
import { espruinoSocketModule } from "../../tools/vboard/sockets.ts";
import { createClient, type Client, type ClientOptions } from "../../src/mqtt/index.ts";
import type { Packet } from "../../src/mqtt/packet.ts";

export interface Recorded {
  client: Client;
  events: string[];
  messages: { topic: string; payload: string; packet: Packet }[];
  published: number[];
  dropped: number[];
  /** Every chunk the client wrote. */
  written: string[];
  /** Resolves when pred() holds; rejects after ms with what was recorded. */
  until(pred: () => boolean, ms: number, what: string): Promise<void>;
  /** Reopen after each disconnect (the application layer's job), until stopped. */
  autoReconnect(delayMs: number): () => void;
}

export function recordedClient(port: number, o: Partial<ClientOptions> & { clientId: string },
  kind: "tls" | "net" = "tls"): Recorded {
  const mod = espruinoSocketModule(kind, { print: () => {} });
  const r = { events: [] as string[], messages: [] as Recorded["messages"], published: [] as number[],
    dropped: [] as number[], written: [] as string[] } as Recorded;
  let reopen: (() => void) | undefined;
  r.client = createClient({
    connect(cb) {
      const s = mod.connect({ host: "127.0.0.1", port }, cb);
      const write = s.write.bind(s);
      s.write = (d: unknown) => {
        r.written.push(String(d));
        return write(d);
      };
      return s as unknown as ReturnType<ClientOptions["connect"]>;
    },
    now: () => Date.now(),
    onConnect: (sp) => r.events.push("connect " + sp),
    onDisconnect: (kind, msg, code) => {
      r.events.push(`disconnect ${kind} ${code} ${msg}`);
      reopen?.();
    },
    onMessage: (topic, payload, packet) => r.messages.push({ topic, payload, packet }),
    onPublished: (id) => r.published.push(id),
    onDropped: (id) => r.dropped.push(id),
    onSubscribed: (f, g) => r.events.push(`suback ${f} ${g}`),
    ...o,
  });
  r.until = async (pred, ms, what) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; events: ${r.events.slice(-8).join(" | ")}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  };
  r.autoReconnect = (delayMs) => {
    let timer: NodeJS.Timeout | undefined;
    reopen = () => {
      timer = setTimeout(() => r.client.open(), delayMs);
    };
    return () => {
      reopen = undefined;
      clearTimeout(timer);
    };
  };
  return r;
}
