// Cursor over one packet body. Module-wide state (not a closure per packet): a body is parsed
// to completion before the next one starts.
import type { Packet } from "./packet.js";

let B = "";
let P = 0;

export function begin(body: string): void {
  B = body;
  P = 0;
}

export function u8(): number {
  return B.charCodeAt(P++) | 0;
}

export function u16(): number {
  return (u8() << 8) | u8();
}

/** A length-prefixed string. */
export function str(): string {
  const n = u16();
  P += n;
  return B.substr(P - n, n);
}

/** The bytes left; the body is then consumed. */
export function rest(): string {
  const r = B.substr(P);
  P = B.length;
  return r;
}

/** True when a read went past the end. */
export function over(): boolean {
  return P > B.length;
}

export function more(): boolean {
  return P < B.length;
}

/** The packet when exactly the whole body was read and ok >= 0, else an error message. */
export function done(p: Packet, ok: number): Packet | string {
  return P != B.length || ok < 0 ? "malformed packet type " + p.type : p;
}
