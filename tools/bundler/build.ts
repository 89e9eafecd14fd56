// The firmware build as a function: validated config + checked certificate -> rollup bundle ->
// Espruino compatibility gate -> size budget -> dist/firmware.js. The CLI (cli.ts) only prints.
import { mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { rollup } from "rollup";
import { firmwareRollupOptions } from "../../rollup.config.js";
import type { FirmwareConfig } from "../../src/config.ts";
import { loadBoard, ROOT, type BoardJson } from "../common/index.ts";
import { checkServerCert } from "./cert.ts";
import { LOG_LEVELS, loadDeviceConfig, type DeviceConfig } from "./config.ts";
import { checkBundle, formatViolation } from "./gate/index.ts";
import { renamableProperties, type RenamePlan } from "./renamable.ts";
import { checkRenamedProperties } from "./renamed-properties.ts";
import { typecheckFirmware } from "./typecheck.ts";


export class BuildError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join("\n"));
  }
}

export interface BuildOptions {
  /** Config file; default device.config.json (or TB_CONFIG). */
  configFile?: string;
  env?: Record<string, string | undefined>;
  outFile?: string;
  /** For tests: the moment certificate validity is judged at. */
  now?: Date;
  /** For tests: another entry module instead of src/main.ts, and the tsconfig that includes it. */
  input?: string;
  tsconfig?: string;
}

export interface BuildResult {
  outFile: string;
  code: string;
  bytes: number;
  gzipBytes: number;
  budget: number;
  board: BoardJson;
  config: DeviceConfig;
  warnings: string[];
  sizeLine: string;
  /** The property names the minifier renamed, derived from src/ (renamable.ts), and those it kept. */
  renamed: RenamePlan;
  /** Rollup's source map of `code` (the one the gate reads): bundle positions back to src/. */
  map: object;
}

function packageVersion(): string {
  return JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
}

/** The one object the firmware receives: only what it needs at run time. */
export function toFirmwareConfig(c: DeviceConfig, caDer: string, board: BoardJson): FirmwareConfig {
  return {
    board: c.board,
    fwVersion: packageVersion(),
    wifiSsid: c.wifiSsid,
    wifiPassword: c.wifiPassword,
    host: c.host,
    port: c.port,
    accessToken: c.accessToken,
    telemetryIntervalMs: c.telemetryIntervalMs,
    logLevel: LOG_LEVELS.indexOf(c.logLevel),
    tls: c.tls,
    caDer,
    tlsHeap: board.device.tls.needBytes,
    heapFix: board.device.tls.remedy,
    sensor: c.sensor,
    keys: [c.temperatureKey, c.humidityKey],
    queueCapacity: c.queueCapacity,
    sntpServer: c.sntpServer,
  };
}

export function sizeLine(file: string, bytes: number, gzipBytes: number, budget: number, board: string): string {
  const pct = Math.round((bytes / budget) * 100);
  return `${file}: ${bytes.toLocaleString("en")} bytes (gzip ${gzipBytes.toLocaleString("en")}), ` +
    `${pct}% of the ${budget.toLocaleString("en")}-byte budget for ${board}`;
}

export function assertWithinBudget(line: string, bytes: number, budget: number, board: string): void {
  if (bytes > budget) {
    throw new BuildError([`E size: ${line}: over budget by ${(bytes - budget).toLocaleString("en")} bytes; ` +
      `trim the firmware, or raise device.bundleBudgetBytes in board/${board}.json only if the board really has the room`]);
  }
}

export async function buildFirmware(o: BuildOptions = {}): Promise<BuildResult> {
  const env = o.env ?? process.env;
  const loaded = loadDeviceConfig({ file: o.configFile, env }); // throws ConfigError
  const config = loaded.config;
  const warnings = loaded.warnings.slice();
  // Without TLS there is no certificate to check or embed (the config refuses one).
  const cert = config.tls
    ? checkServerCert({ path: config.serverCert, host: config.host, skipCnCheck: config.skipCnCheck, now: o.now })
    : { derBase64: "", warnings: [] };
  warnings.push(...cert.warnings);
  const board = loadBoard(config.board);
  const outFile = o.outFile ?? join(ROOT, "dist", "firmware.js");

  const preamble = `// tb-espruino-device ${packageVersion()} board=${config.board}`;
  const typed = typecheckFirmware(o.tsconfig ?? join(ROOT, "tsconfig.json"), ROOT);
  const typeErrors = typed.problems;
  if (typeErrors.length || !typed.program) {
    throw new BuildError([...typeErrors, `E tsc: ${typeErrors.length} type error(s): fix them and build again`]);
  }
  // The names to shorten come from the program just checked, and so does the proof of each use.
  const renamed = renamableProperties(typed.program, ROOT);
  const renameErrors = checkRenamedProperties(typed.program, renamed.regex, ROOT);
  if (renameErrors.length) {
    throw new BuildError([...renameErrors, `E build: ${renameErrors.length} renamed propert(ies) would break on the board`]);
  }
  const opts = firmwareRollupOptions({
    firmwareConfig: toFirmwareConfig(config, cert.derBase64, board), preamble, input: o.input, tsconfig: o.tsconfig, renamed: renamed.regex,
  });
  const bundle = await rollup(opts.input);
  let code: string;
  let map: unknown;
  try {
    const { output } = await bundle.generate(opts.output);
    code = output[0].code;
    map = output[0].map;
  } finally {
    await bundle.close();
  }

  // Never leave a bundle behind that the board would reject.
  rmSync(outFile, { force: true });
  const violations = checkBundle(code, { builtinModules: board.info.builtin_modules, sourceMap: map as object });
  if (violations.length) {
    throw new BuildError([
      ...violations.map(formatViolation),
      `E gate: ${violations.length} construct(s) would fail on Espruino 2v29; the bundle was not written`,
    ]);
  }

  const bytes = Buffer.byteLength(code, "latin1");
  const gzipBytes = gzipSync(code).length;
  const budget = board.device.bundleBudgetBytes;
  const rel = relative(process.cwd(), outFile) || outFile;
  const line = sizeLine(rel, bytes, gzipBytes, budget, config.board);
  assertWithinBudget(line, bytes, budget, config.board);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, code);
  return { outFile, code, bytes, gzipBytes, budget, board, config, warnings, sizeLine: line, map: map as object, renamed };
}
