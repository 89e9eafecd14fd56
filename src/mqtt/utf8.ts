// UTF-8 encoding into a binary string: Espruino strings are 8-bit, so text with chars >= 0x80
// must be turned into bytes before it goes on the wire.

import { chr } from "./chr.js";

/** Returns s as UTF-8 bytes (one char per byte); ASCII comes back unchanged. */
export function utf8(s: string): string {
  if (!/[^\0-\x7f]/.test(s)) return s;
  let o = "";
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 128) o += s[i];
    else if (c < 2048) o += chr(192 | (c >> 6), 128 | (c & 63));
    else {
      const d = s.charCodeAt(i + 1);
      // A surrogate pair is one code point of four bytes (only in Node: Espruino has no such chars).
      if (c >> 10 == 54 && d >> 10 == 55) {
        c = 65536 + ((c - 55296) << 10) + d - 56320;
        i++;
        o += chr(240 | (c >> 18), 128 | ((c >> 12) & 63));
      } else o += chr(224 | (c >> 12));
      o += chr(128 | ((c >> 6) & 63), 128 | (c & 63));
    }
  }
  return o;
}
