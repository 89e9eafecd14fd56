// Cursor over one MQTT packet body, for the host's codec (tests, the bench and tools; the firmware
// never loads it). Each reader holds its own body and position, so parses can interleave or nest.
// Reads past the end give 0 or "" and are caught by whole().

export interface Reader {
  u8(): number;
  u16(): number;
  /** A length-prefixed string. */
  str(): string;
  /** The bytes left; the body is then consumed (unless a read already went past its end). */
  rest(): string;
  more(): boolean;
  /** True when the reads took exactly the whole body. */
  whole(): boolean;
}

/** A fresh cursor at the start of `body`. */
export function reader(body: string): Reader {
  let p = 0;
  const u8 = (): number => body.charCodeAt(p++) | 0;
  const u16 = (): number => (u8() << 8) | u8();
  return {
    u8,
    u16,
    str() {
      const n = u16();
      p += n;
      return body.substr(p - n, n);
    },
    rest() {
      const r = body.substr(p);
      p += r.length;
      return r;
    },
    more: () => p < body.length,
    whole: () => p == body.length,
  };
}
