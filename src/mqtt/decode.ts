// Streaming parser of the packets a broker sends to a client, bounded by a maximum packet size.
import { CONNACK, PUBACK, PUBLISH, SUBACK, UNSUBACK } from "./packet.js";
import type { Packet } from "./packet.js";
import { begin, done, more, over, rest, str, u16, u8 } from "./reader.js";

/** Parses one body after its first header byte `h`; returns the packet or an error message. */
export type BodyParser = (h: number, body: string) => Packet | string;

/** CONNACK, PUBLISH (QoS 0/1), PUBACK, SUBACK, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT. */
export function parse(h: number, body: string): Packet | string {
  const t = h >> 4;
  const f = h & 15;
  const p: Packet = { type: t };
  begin(body);
  if (t == PUBLISH) {
    p.qos = (f >> 1) & 3;
    if (p.qos > 1) return "unsupported QoS " + p.qos;
    p.dup = !!(f & 8);
    p.retain = !!(f & 1);
    p.topic = str();
    if (p.qos) p.id = u16();
    if (over()) return "malformed PUBLISH";
    p.payload = rest();
  } else if (f) return "bad flags on type " + t;
  else if (t == CONNACK) {
    const s = u8();
    p.session = s == 1;
    p.code = u8();
    if (s > 1) return done(p, -1);
  } else if (t == PUBACK || t == UNSUBACK) p.id = u16();
  else if (t == SUBACK) {
    p.id = u16();
    const g: number[] = (p.granted = []);
    while (more()) g.push(u8());
    if (!g.length) return done(p, -1);
  } else if (t < 12 || t > 14) return "unexpected type " + t;
  return done(p, 0);
}

export interface Decoder {
  /**
   * Appends a chunk and calls `out` for each complete packet in order. Returns "" or, when the
   * stream is malformed or a packet exceeds the limit, an error message; the buffer is then empty.
   * `out` may call reset(): the rest of the chunk is dropped.
   */
  feed(chunk: string, out: (p: Packet) => void): string;
  /** Drops buffered bytes. */
  reset(): void;
  /** Bytes held (at most one incomplete packet). */
  held(): number;
}

/** A decoder holding at most one incomplete packet of at most `max` bytes. */
export function decoder(max: number, parser?: BodyParser): Decoder {
  const ps = parser || parse;
  let b = "";
  let i = 0;
  function reset(): void {
    b = "";
    i = 0;
  }
  function fail(why: string): string {
    reset();
    return why;
  }
  return {
    reset,
    held: () => b.length - i,
    feed(chunk, out) {
      b = b.substr(i) + chunk;
      i = 0;
      for (;;) {
        let j = i + 1;
        let n = 0;
        let m = 1;
        let c = 128;
        while (c & 128) {
          if (j - i > 4) return fail("bad remaining length");
          if (j >= b.length) {
            b = b.substr(i);
            i = 0;
            return "";
          }
          c = b.charCodeAt(j++);
          n += (c & 127) * m;
          m *= 128;
        }
        const end = j + n;
        if (end - i > max) return fail("packet of " + (end - i) + " bytes over limit " + max);
        if (end > b.length) {
          b = b.substr(i);
          i = 0;
          return "";
        }
        const p = ps(b.charCodeAt(i), b.substring(j, end));
        if (typeof p == "string") return fail(p);
        i = end;
        out(p);
      }
    },
  };
}
