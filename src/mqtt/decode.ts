// Parser of the packets a broker sends to a client, bounded by a maximum packet size: readPacket
// takes the first complete packet off a buffer, parse turns its body into a Packet. The client
// keeps the buffer itself; tools/mqtt/decoder.ts wraps both for host code that wants a stream parser.
import { at } from "./chr.js";
import { CONNACK, MALFORMED, PUBACK, PUBLISH, SUBACK, UNEXPECTED, UNSUBACK } from "./packet.js";
import type { Packet } from "./packet.js";

/** Fixed-header flags of PUBLISH (MQTT 3.1.1 §3.3.1). */
export const DUP_FLAG = 8;
export const QOS_SHIFT = 1;
export const RETAIN_FLAG = 1;
/** A remaining-length byte: 7 bits of length, and this bit when another byte follows. */
export const MORE_BYTES = 128;

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
    const q = (p.qos = (f >> QOS_SHIFT) & 3);
    len = 2 + u16(0);
    p.dup = !!(f & DUP_FLAG);
    p.retain = !!(f & RETAIN_FLAG);
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

/**
 * The first packet in `b` once all of it is there, with `length`, the bytes it took (header
 * included); undefined while it is incomplete; or, when the remaining length is malformed, the
 * packet is over `max` bytes or its body does not parse, what is wrong (a string). `parser` turns
 * the body into a packet (default: parse, the packets a client receives).
 */
export function readPacket(b: string, max: number, parser?: BodyParser): Packet | string | undefined {
  // Remaining length: 1-4 bytes of 7 bits, least significant first, after the type byte.
  let n = 0;
  let j = 1;
  let c;
  let p: Packet | string;
  do {
    if (j > 4) return "bad remaining length";
    if (j >= b.length) return;
    c = at(b, j);
    n += (c & 127) << (7 * j++ - 7);
  } while (c & MORE_BYTES);
  n += j;
  if (n > max) return "packet of " + n + " bytes over limit " + max;
  if (n > b.length) return;
  p = (parser || parse)(at(b, 0), b.substring(j, n));
  if (typeof p != "string") p.length = n;
  return p;
}
