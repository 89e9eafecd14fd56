// require("crypto"): the digests of Espruino's crypto module on ESP32 builds (docs/espruino.md §2.5:
// a built-in module there), over node:crypto. Each takes an 8-bit string or an ArrayBuffer/typed
// array and returns the digest as an ArrayBuffer, as 2v29 does. A Storage read is an ordinary string
// here, so hashing a file needs no copy on either engine.
import { createHash } from "node:crypto";
import { eToString } from "../format.ts";
import type { ProgramHost } from "./host.ts";

export function cryptoModule(p: ProgramHost): Record<string, unknown> {
  const digest = (algorithm: string) => p.guard((message: unknown) => {
    const bytes = Buffer.from(eToString([message === undefined ? "" : typeof message === "object" ? message : String(message)]), "latin1");
    const d = createHash(algorithm).update(bytes).digest();
    return d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength);
  });
  return { SHA1: digest("sha1"), SHA224: digest("sha224"), SHA256: digest("sha256"), SHA384: digest("sha384"), SHA512: digest("sha512") };
}
