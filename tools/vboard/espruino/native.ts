// The host-side parts the espruino engine needs: the interpreter binary (ESPRUINO_BIN) and the
// preloaded library (preload.c: the board's clock, loopback-only names and connections), compiled once
// per source version with the machine's C compiler.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ESPRUINO_HOWTO =
  "set ESPRUINO_BIN to an Espruino 2v29 Linux build (build Espruino's LINUX board from its public source, " +
  "or use ../shared/espruino/espruino-linux-x64 in this workplace)";

/** The interpreter binary named by `bin` or ESPRUINO_BIN; a clear error when missing. */
export function espruinoBinary(bin = process.env.ESPRUINO_BIN): string {
  if (!bin) throw new Error(`the espruino engine needs the real interpreter: ${ESPRUINO_HOWTO}`);
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(`ESPRUINO_BIN=${bin} is not an executable file: ${ESPRUINO_HOWTO}`);
  }
  return bin;
}

const PRELOAD_SOURCE = join(import.meta.dirname, "preload.c");

/** Path of the compiled preload library, built on first use and cached by the source's hash. */
export function preloadLibrary(): string {
  const src = readFileSync(PRELOAD_SOURCE);
  const hash = createHash("sha256").update(src).digest("hex").slice(0, 12);
  const dir = join(tmpdir(), "tb-vboard");
  const out = join(dir, `preload-${hash}.so`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    execFileSync(process.env.CC || "cc", ["-shared", "-fPIC", "-O2", "-o", tmp, PRELOAD_SOURCE, "-ldl"], { stdio: "pipe" });
  } catch (e) {
    const why = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
    throw new Error(`cannot compile the virtual board's preload library (tools/vboard/espruino/preload.c) with ${process.env.CC || "cc"}: ` +
      `${why.split("\n")[0]}; install a C compiler (Debian: apt-get install gcc)`);
  }
  renameSync(tmp, out);
  return out;
}
