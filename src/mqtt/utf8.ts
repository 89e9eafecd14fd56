// UTF-8 encoding into a binary string: Espruino strings are 8-bit (docs/espruino.md §1.4), so text
// with chars >= 0x80 must be turned into bytes before it goes on the wire. The client sends the
// strings it is given as bytes and encodes nothing itself (client.ts): this is for callers that hold
// text. A bundle that never calls it leaves it out, as the firmware's does.

import { at, chr } from "./chr.js";

/** The top six bits of a UTF-16 high (0xD800-0xDBFF) and low (0xDC00-0xDFFF) surrogate. */
const HIGH_SURROGATE = 0xd800 >> 10;
const LOW_SURROGATE = 0xdc00 >> 10;

/** Returns s as UTF-8 bytes (one char per byte); ASCII comes back unchanged. */
export function utf8(s: string): string {
  // Declarations first: one statement each in the bundle.
  let o = "";
  let i = 0;
  if (!/[^\0-\x7f]/.test(s)) return s;
  for (; i < s.length; i++) {
    let c = at(s, i);
    const d = at(s, i + 1);
    let n: number;
    // A surrogate pair is one code point (only in Node: Espruino has no chars above 255).
    if (c >> 10 == HIGH_SURROGATE && d >> 10 == LOW_SURROGATE) {
      c = 0x10000 + ((c - 0xd800) << 10) + d - 0xdc00;
      i++;
    }
    // n continuation bytes of 6 bits each after a lead byte of n+1 high ones.
    n = c < 128 ? 0 : c < 2048 ? 1 : c < 65536 ? 2 : 3;
    o += chr([0, 192, 224, 240][n] | (c >> (6 * n)));
    while (n--) o += chr(128 | ((c >> (6 * n)) & 63));
  }
  return o;
}
