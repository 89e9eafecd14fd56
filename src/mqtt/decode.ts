// Streaming parser of the packets a broker sends to a client, bounded by a maximum packet size.
import { at } from "./chr.js";
import { CONNACK, MALFORMED, PUBACK, PUBLISH, SUBACK, UNEXPECTED, UNSUBACK } from "./packet.js";
import type { Packet } from "./packet.js";

/** Parses one body after its first header byte `h`; returns the packet or an error message. */
export type BodyParser = (h: number, body: string) => Packet | string;

/** CONNACK, PUBLISH (QoS 0/1), PUBACK, SUBACK, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT. */
export function parse(h: number, b: string): Packet | string {
  const t = h >> 4;
  const f = h & 15;
  const n = b.length;
  const p: Packet = { type: t };
  // A read past the end gives NaN, which the length checks below reject.
  const u16 = (i: number) => (at(b, i) << 8) | at(b, i + 1);
  // Only PUBLISH has flags (DUP, QoS, retain); QoS 2 and 3 are not for this client.
  let ok = !f;
  /** The body length the packet must have. */
  let len = 2;
  if (t == PUBLISH) {
    const q = (p.qos = (f >> 1) & 3);
    len = 2 + u16(0);
    p.dup = !!(f & 8);
    p.retain = !!(f & 1);
    p.topic = b.substring(2, len);
    if (q) {
      p.id = u16(len);
      len += 2;
    }
    p.payload = b.substr(len);
    ok = q < 2 && len <= n;
    len = n;
  } else if (t == CONNACK) {
    p.session = b[0] == "\x01";
    p.code = at(b, 1);
    ok = ok && at(b, 0) < 2;
  } else if (t == PUBACK || t == UNSUBACK || t == SUBACK) {
    p.id = u16(0);
    if (t == SUBACK) {
      const g: number[] = (p.granted = []);
      while (len < n) g.push(at(b, len++));
      ok = ok && n > 2;
    }
  } else if (t < 12 || t > 14) return UNEXPECTED + t;
  else len = 0;
  return ok && n == len ? p : MALFORMED + t;
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
        /** The packet, or what is wrong with it. */
        let p: Packet | string;
        do {
          if (j > 4) return fail("bad remaining length");
          if (j >= b.length) return "";
          c = at(b, j);
          n += (c & 127) << (7 * j++ - 7);
        } while (c & 128);
        n += j;
        if (n > max) return fail("packet of " + n + " bytes over limit " + max);
        if (n > b.length) return "";
        p = (parser || parse)(at(b, 0), b.substring(j, n));
        b = b.substr(n);
        if (typeof p == "string") return fail(p);
        out(p);
      }
    },
  };
}
