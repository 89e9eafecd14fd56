// The host-side parts the espruino engine needs: the interpreter binary (ESPRUINO_BIN) and the
// preloaded clock library (clock.c), compiled once per source version with the machine's C compiler.
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

const CLOCK_SOURCE = join(import.meta.dirname, "clock.c");

/** Path of the compiled clock library, built on first use and cached by the source's hash. */
export function clockLibrary(): string {
  const src = readFileSync(CLOCK_SOURCE);
  const hash = createHash("sha256").update(src).digest("hex").slice(0, 12);
  const dir = join(tmpdir(), "tb-vboard");
  const out = join(dir, `clock-${hash}.so`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    execFileSync(process.env.CC || "cc", ["-shared", "-fPIC", "-O2", "-o", tmp, CLOCK_SOURCE, "-ldl"], { stdio: "pipe" });
  } catch (e) {
    const why = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
    throw new Error(`cannot compile the virtual board's clock (tools/vboard/espruino/clock.c) with ${process.env.CC || "cc"}: ` +
      `${why.split("\n")[0]}; install a C compiler (Debian: apt-get install gcc)`);
  }
  renameSync(tmp, out);
  return out;
}
