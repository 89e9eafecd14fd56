// Streaming parser of the packets a broker sends to a client, bounded by a maximum packet size.
import { CONNACK, PUBACK, PUBLISH, SUBACK, UNSUBACK } from "./packet.js";
import type { Packet } from "./packet.js";
import { begin, more, rest, str, u16, u8, whole } from "./reader.js";

/** Parses one body after its first header byte `h`; returns the packet or an error message. */
export type BodyParser = (h: number, body: string) => Packet | string;

/** CONNACK, PUBLISH (QoS 0/1), PUBACK, SUBACK, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT. */
export function parse(h: number, body: string): Packet | string {
  const t = h >> 4;
  const f = h & 15;
  const p: Packet = { type: t };
  // Only PUBLISH has flags (DUP, QoS, retain); QoS 2 and 3 are not for this client.
  let ok = !f;
  begin(body);
  if (t == PUBLISH) {
    ok = (p.qos = (f >> 1) & 3) < 2;
    p.dup = !!(f & 8);
    p.retain = !!(f & 1);
    p.topic = str();
    if (p.qos) p.id = u16();
    p.payload = rest();
  } else if (t == CONNACK) {
    const s = u8();
    p.session = s == 1;
    p.code = u8();
    if (s > 1) ok = false;
  } else if (t == PUBACK || t == UNSUBACK) p.id = u16();
  else if (t == SUBACK) {
    p.id = u16();
    const g: number[] = (p.granted = []);
    do g.push(u8());
    while (more());
  } else if (t < 12 || t > 14) return "unexpected packet type " + t;
  return ok && whole() ? p : "malformed packet type " + t;
}

export interface Decoder {
  /**
   * Appends a chunk and calls `out` for each complete packet in order. Returns "" or, when the
   * stream is malformed or a packet exceeds the limit, an error message; the buffer is then empty.
   * `out` may call _reset(): the rest of the chunk is dropped.
   */
  _feed(chunk: string, out: (p: Packet) => void): string;
  /** Drops buffered bytes. */
  _reset(): void;
  /** Bytes held (at most one incomplete packet). */
  _held(): number;
}

/** A decoder holding at most one incomplete packet of at most `max` bytes. */
export function decoder(max: number, parser?: BodyParser): Decoder {
  const ps = parser || parse;
  let b = "";
  function fail(why: string): string {
    b = "";
    return why;
  }
  return {
    _reset: () => fail(""),
    _held: () => b.length,
    _feed(chunk, out) {
      b += chunk;
      for (;;) {
        // Remaining length: 1-4 bytes of 7 bits, least significant first, after the type byte.
        let n = 0;
        let j = 1;
        let c;
        do {
          if (j > 4) return fail("bad remaining length");
          if (j >= b.length) return "";
          c = b.charCodeAt(j);
          n += (c & 127) << (7 * j++ - 7);
        } while (c & 128);
        n += j;
        if (n > max) return fail("packet of " + n + " bytes over limit " + max);
        if (n > b.length) return "";
        const p = ps(b.charCodeAt(0), b.substring(j, n));
        b = b.substr(n);
        if (typeof p == "string") return fail(p);
        out(p);
      }
    },
  };
}
