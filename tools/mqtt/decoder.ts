// A stream decoder over the firmware's packet reader (src/mqtt/decode.ts), for host code: tests, the
// bench and the tools feed it chunks as they arrive and get whole packets. The firmware's client keeps
// its own buffer and calls readPacket directly.
import { readPacket } from "../../src/mqtt/decode.ts";
import type { BodyParser } from "../../src/mqtt/decode.ts";
import type { Packet } from "../../src/mqtt/packet.ts";

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

/** A stream decoder holding at most one incomplete packet of at most `max` bytes (host code, tests). */
export function decoder(max: number, parser?: BodyParser): Decoder {
  let b = "";
  function fail(why: string): string {
    b = "";
    return why;
  }
  return {
    reset: () => fail(""),
    held: () => b.length,
    feed(chunk, out) {
      b += chunk;
      for (;;) {
        const p = readPacket(b, max, parser);
        if (!p) return "";
        if (typeof p == "string") return fail(p);
        b = b.substr(p.length!);
        // The stream's packets as the protocol has them: where one ended is this decoder's business.
        delete p.length;
        out(p);
      }
    },
  };
}
