// One config built once per sensor (issue 13's drivers), for the size and ram suites: the first variant
// goes through prepareBuild (config, certificate, type check of src/, the renamed properties), the others
// reuse its rename plan, which does not depend on the config, and run the rest of a real build each:
// prepareConfig with their environment (so per-part defaults such as the BME280's address apply),
// rollup and the minifier, the Espruino gate and the size budget (firmwareChecks). Nothing is written: the suites need the code and its source map.
import { rollup, type Plugin } from "rollup";
import { firmwareRollupOptions } from "../../rollup.config.js";
import { firmwareChecks, prepareBuild, prepareConfig, type PreparedBuild } from "../bundler/build.ts";
import { type DeviceConfig } from "../bundler/config.ts";
import { SENSOR_KINDS, type SensorKind } from "../vboard/index.ts";

/** The drivers of src/sensors/ a config can pick beside "simulated" and "internal": the parts the
 *  virtual board models. */
export const SENSOR_DRIVERS = SENSOR_KINDS;
export type SensorDriver = SensorKind;

export interface VariantBuild {
  name: string;
  config: DeviceConfig;
  code: string;
  map: object;
  /** The bundle's bytes, as `npm run build` counts them (its first line included). */
  bytes: number;
}

/** Builds `configFile` once per variant, each with `env` and its own environment on top. */
export async function buildVariants(configFile: string, env: Record<string, string | undefined>,
  variants: Array<{ name: string; env: Record<string, string> }>): Promise<Map<string, VariantBuild>> {
  const out = new Map<string, VariantBuild>();
  let first: PreparedBuild | undefined;
  for (const v of variants) {
    const venv = { ...env, ...v.env };
    let p: PreparedBuild;
    if (!first) {
      p = first = prepareBuild({ configFile, env: venv, outFile: `/nonexistent/${v.name}.js` });
    } else {
      p = { ...prepareConfig({ configFile, env: venv, outFile: `/nonexistent/${v.name}.js` }), renamed: first.renamed };
      if (p.config.board !== first.config.board) throw new Error("buildVariants: every variant must be for the same board");
    }
    const checks = firmwareChecks(p);
    const opts = firmwareRollupOptions({ firmwareConfig: p.firmwareConfig, preamble: p.preamble, renamed: p.renamed.regex });
    const bundle = await rollup(opts.input);
    try {
      await bundle.generate({ ...opts.output, plugins: [...(opts.output.plugins as Plugin[]), checks.plugin] });
    } finally {
      await bundle.close();
    }
    const r = checks.result();
    out.set(v.name, { name: v.name, config: p.config, code: r.code, map: r.map, bytes: r.bytes });
  }
  return out;
}
