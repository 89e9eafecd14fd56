// `npm run bench -- size`: the firmware bundle's minified bytes per source module, so trimming goes
// where the bytes are. Builds like `npm run build` (TB_CONFIG or device.config.json, else the example
// config) and attributes each output byte to the source module its source-map segment points at.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { rollup } from "rollup";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import { firmwareRollupOptions } from "../../rollup.config.js";
import { buildFirmware, toFirmwareConfig } from "../bundler/build.ts";
import { ROOT } from "../common/index.ts";
import { checkServerCert } from "../bundler/cert.ts";
import { DEFAULT_CONFIG_FILE, EXAMPLE_CONFIG_FILE } from "../bundler/config.ts";
import { buildVariants, SENSOR_DRIVERS } from "./sensor-builds.ts";

/** Minified bytes per source (module path, or "(config)" for the embedded settings and certificate);
 *  `renamed` is the build's (BuildResult.renamed.regex). */
export async function bundleBytesBySource(firmwareConfig: object, renamed: RegExp): Promise<Map<string, number>> {
  const opts = firmwareRollupOptions({ firmwareConfig, preamble: "", renamed });
  const bundle = await rollup(opts.input);
  try {
    const { output } = await bundle.generate(opts.output);
    const { code, map } = output[0];
    return bytesBySource(code, map as object);
  } finally {
    await bundle.close();
  }
}

/** Bytes of `code` per source its source map names (module path, "(config)", or the unmapped rest). */
export function bytesBySource(code: string, map: object): Map<string, number> {
  const tm = new TraceMap(map as never);
  const bytes = new Map<string, number>();
  const add = (k: string, n: number) => bytes.set(k, (bytes.get(k) ?? 0) + n);
  code.split("\n").forEach((line, li) => {
    // Each byte belongs to the last mapped position at or before it on its line.
    let owner = "(config, certificate, wrapper)";
    let from = 0;
    for (let col = 0; col <= line.length; col++) {
      const pos = col < line.length ? originalPositionFor(tm, { line: li + 1, column: col }) : null;
      const src = pos && pos.source ? label(pos.source) : owner;
      if (src !== owner || col == line.length) {
        add(owner, col - from);
        owner = src;
        from = col;
      }
    }
    add(owner, 1); // the newline
  });
  return bytes;
}

function label(source: string): string {
  if (source.includes("device-config")) return "(config)";
  return relative(ROOT, source.startsWith("/") ? source : join(ROOT, source)).replace(/^(\.\.\/)+/, "");
}

export async function runSizeBench(print: (line: string) => void): Promise<void> {
  const configFile = process.env.TB_CONFIG ?? (existsSync(join(ROOT, DEFAULT_CONFIG_FILE)) ? DEFAULT_CONFIG_FILE : EXAMPLE_CONFIG_FILE);
  const dir = mkdtempSync(join(tmpdir(), "tb-size-"));
  try {
    // The real build first: same gate and figure as `npm run build`, without touching dist/.
    const fw = await buildFirmware({ configFile: resolve(ROOT, configFile), outFile: join(dir, "firmware.js") });
    const cert = checkServerCert({ path: fw.config.serverCert, host: fw.config.host, skipCnCheck: fw.config.skipCnCheck });
    const bytes = await bundleBytesBySource(toFirmwareConfig(fw.config, cert.derBase64, fw.board), fw.renamed.regex);
    const rows = [...bytes].sort((a, b) => b[1] - a[1]);
    const total = rows.reduce((s, r) => s + r[1], 0);
    print(`${configFile}: ${fw.bytes} bytes for ${fw.config.board} (budget ${fw.budget})`);
    for (const [src, n] of rows) print(`${String(n).padStart(6)}  ${src}`);
    print(`${String(total).padStart(6)}  total (without the preamble line)`);
    print("");
    await sensorDriverBytes(print, resolve(ROOT, configFile));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What only a driver's code has: the part's name and the bus it opens (device-sensors.test.ts checks
 *  the same in its builds). None may be in the simulated bundle. */
const DRIVER_TEXT = ['"SHT3x"', '"SHT4x"', '"BME280"', '"DS18B20"', '"DHT22"', "new I2C", "new OneWire", "setWatch("];

/**
 * Each driver's bytes: the same config built once per driver and once with "sensor": "simulated"
 * (buildVariants: the real build's steps), the difference in bundle bytes, and where it goes per source
 * module; then that a driver not selected costs nothing: the simulated bundle has none of the drivers'
 * modules (by its source map) and none of their text.
 */
export async function sensorDriverBytes(print: (line: string) => void, configFile: string): Promise<void> {
  const builds = await buildVariants(configFile, process.env, ["simulated", ...SENSOR_DRIVERS].map((s) => ({ name: s, env: { TB_SENSOR: s } })));
  const sim = builds.get("simulated")!;
  const simBytes = bytesBySource(sim.code, sim.map);
  print(`sensor drivers: bundle bytes each adds over "sensor": "simulated" (${sim.bytes} bytes), the same config otherwise ` +
    `(${relative(ROOT, configFile) || configFile}, ${sim.config.board})`);
  print(`  ${"driver".padEnd(8)} ${"bundle".padStart(6)} ${"added".padStart(6)}   where (bytes added per source module)`);
  const driverModules = new Set<string>();
  for (const d of SENSOR_DRIVERS) {
    const b = builds.get(d)!;
    const by = bytesBySource(b.code, b.map);
    const deltas = [...new Set([...by.keys(), ...simBytes.keys()])]
      .map((k) => [k, (by.get(k) ?? 0) - (simBytes.get(k) ?? 0)] as const)
      .filter(([, n]) => n !== 0)
      .sort((x, y) => y[1] - x[1]);
    for (const [k] of deltas) if (k.startsWith("src/sensors/") && !simBytes.has(k)) driverModules.add(k);
    const added = b.bytes - sim.bytes;
    // A few bytes here and there elsewhere: the minifier's short names shift with the code around them.
    const small = deltas.filter(([k, n]) => Math.abs(n) < 5 && !k.startsWith("src/sensors/"));
    const rest = small.reduce((sum, [, n]) => sum + n, 0);
    print(`  ${d.padEnd(8)} ${String(b.bytes).padStart(6)} ${signed(added).padStart(6)}   ` +
      [...deltas.filter((x) => !small.includes(x)).map(([k, n]) => `${k} ${signed(n)}`),
        ...(small.length ? [`${small.length} other modules ${signed(rest)} (the minifier's names)`] : [])].join(", "));
  }
  const modulesIn = [...driverModules].filter((m) => simBytes.has(m));
  const textIn = DRIVER_TEXT.filter((t) => sim.code.includes(t));
  const names = [...driverModules].sort().map((m) => m.replace(/^src\/sensors\//, "").replace(/\.ts$/, ""));
  if (!modulesIn.length && !textIn.length) {
    print(`a driver not selected costs nothing: the simulated bundle has none of src/sensors/{${names.join(",")}}.ts ` +
      `and none of the drivers' text (${DRIVER_TEXT.map((t) => "`" + t + "`").join(" ")})`);
  } else {
    print(`! a driver not selected COSTS bytes: the simulated bundle has ${[...modulesIn, ...textIn].join(", ")}`);
  }
}

const signed = (n: number) => `${n >= 0 ? "+" : ""}${n}`;
