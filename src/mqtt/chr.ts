// Byte <-> binary string helpers, shared so the bundle spells each method name once.

/** Bytes to a binary string. */
export const chr = String.fromCharCode;

/** The byte at `i` of binary string `s` (NaN past the end). */
export function at(s: string, i: number): number {
  return s.charCodeAt(i);
}
