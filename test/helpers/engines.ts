// Which engines of the virtual board a test file runs on, and how a missing interpreter shows.
// node: tools/vboard's vm imitation. espruino: the real Espruino 2v29 Linux build (ESPRUINO_BIN).
// In CI the espruino engine is required: a missing binary fails instead of skipping.
import { ENGINE_NAMES, type EngineName } from "../../tools/vboard/index.ts";
import { espruinoBinary } from "../../tools/vboard/espruino/native.ts";

export type { EngineName };
export const ENGINES = ENGINE_NAMES;

export const ESPRUINO_MISSING =
  "no real interpreter: set ESPRUINO_BIN to an Espruino 2v29 Linux build (README, \"Engines\") to run this on it";

/** The interpreter binary, or undefined when ESPRUINO_BIN is unset; throws when set but unusable. */
export function espruinoBin(): string | undefined {
  const bin = process.env.ESPRUINO_BIN;
  if (!bin) {
    if (process.env.CI) throw new Error("CI needs the real interpreter: ESPRUINO_BIN is not set (.ci/run sets it)");
    return undefined;
  }
  return espruinoBinary(bin);
}

/** node:test options for a test on `engine`: skipped, with the reason, when that engine cannot run here. */
export function onEngine(engine: EngineName): { skip: string | false } {
  return { skip: engine === "espruino" && !espruinoBin() ? ESPRUINO_MISSING : false };
}
