// One config built once per sensor (issue 13's drivers), for the size and ram suites: the first variant
// goes through prepareBuild (config, certificate, type check of src/, the renamed properties), the others
// reuse its type check and rename plan, which do not depend on the config, and run the rest of a real
// build each: the config loaded with their environment (so per-part defaults such as the BME280's
// address apply), the certificate checked, rollup and the minifier, the Espruino gate and the size
// budget (firmwareChecks). Nothing is written: the suites need the code and its source map.
import { rollup, type Plugin } from "rollup";
import { firmwareRollupOptions } from "../../rollup.config.js";
import { firmwareChecks, prepareBuild, type PreparedBuild } from "../bundler/build.ts";
import { checkServerCert } from "../bundler/cert.ts";
import { loadDeviceConfig, type DeviceConfig } from "../bundler/config.ts";
import { firmwareInputs, packageVersion, preambleLine, toFirmwareConfig } from "../bundler/inputs.ts";

/** The drivers of src/sensors/ a config can pick beside "simulated" and "internal". */
export const SENSOR_DRIVERS = ["sht3x", "sht4x", "bme280", "ds18b20", "dht22"] as const;
export type SensorDriver = (typeof SENSOR_DRIVERS)[number];

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
      const loaded = loadDeviceConfig({ file: configFile, env: venv });
      const config = loaded.config;
      const der = config.tls ? checkServerCert({ path: config.serverCert, host: config.host, skipCnCheck: config.skipCnCheck }).derBase64 : "";
      const inputs = firmwareInputs({ config, configFile: loaded.file });
      p = {
        ...first, config, inputs, warnings: loaded.warnings, outFile: `/nonexistent/${v.name}.js`,
        firmwareConfig: toFirmwareConfig(config, der, first.board),
        preamble: preambleLine(packageVersion(), config.board, inputs.digest),
      };
      if (config.board !== first.config.board) throw new Error("buildVariants: every variant must be for the same board");
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
