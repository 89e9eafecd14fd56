// Cursor over one packet body. Module-wide state (not a closure per packet): a body is parsed
// to completion before the next one starts. Reads past the end give 0 or "" and are caught by whole().

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

/** The bytes left; the body is then consumed (unless a read already went past its end). */
export function rest(): string {
  const r = B.substr(P);
  P += r.length;
  return r;
}

export function more(): boolean {
  return P < B.length;
}

/** True when the reads took exactly the whole body. */
export function whole(): boolean {
  return P == B.length;
}
