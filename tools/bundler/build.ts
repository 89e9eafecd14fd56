// The firmware build as a function: validated config + checked certificate + type check -> rollup
// bundle -> Espruino compatibility gate -> size budget -> dist/firmware.js, with the digest of its
// inputs on the bundle's first line and per part beside it (inputs.ts). `npm run build` (cli.ts) and
// `rollup -c` (rollup.config.js, through rollupCommandOptions) run the same steps; the CLI only prints.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { rollup, type OutputBundle, type OutputChunk, type Plugin, type RollupOptions } from "rollup";
import { firmwareRollupOptions } from "../../rollup.config.js";
import type { FirmwareConfig } from "../../src/config.ts";
import { loadBoard, progress, ROOT, type BoardJson } from "../common/index.ts";
import { CertError, checkServerCert } from "./cert.ts";
import { ConfigError, loadDeviceConfig, type DeviceConfig } from "./config.ts";
import { checkBundle, formatViolation } from "./gate/index.ts";
import { firmwareInputs, inputsFileFor, packageVersion, preambleLine, toFirmwareConfig, writeInputsFile, type BuildInputs } from "./inputs.ts";
import { renamableProperties, type RenamePlan } from "./renamable.ts";
import { checkRenamedProperties } from "./renamed-properties.ts";
import { typecheckFirmware } from "./typecheck.ts";

export { toFirmwareConfig };

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
  /** Called as each phase starts ("type-checking src/", ...), for a progress line. */
  onPhase?: (what: string) => void;
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
  /** What it was built from, as recorded on its first line and in the inputs file beside it. */
  inputs: BuildInputs;
}

/** Everything checked before rollup runs. */
export interface PreparedBuild {
  config: DeviceConfig;
  board: BoardJson;
  warnings: string[];
  firmwareConfig: FirmwareConfig;
  preamble: string;
  inputs: BuildInputs;
  renamed: RenamePlan;
  outFile: string;
  input?: string;
  tsconfig?: string;
  onPhase: (what: string) => void;
}

/** What the checks plugin found in the bundle it let through. */
export interface CheckedBundle {
  outFile: string;
  code: string;
  map: object;
  bytes: number;
  gzipBytes: number;
  budget: number;
  sizeLine: string;
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

/** The config and the certificate: what the build embeds and records (prepareBuild's first half; a
 *  second build of the same sources, such as the bench's per-sensor variants, needs only this). */
export function prepareConfig(o: BuildOptions = {}): Omit<PreparedBuild, "renamed"> {
  const env = o.env ?? process.env;
  const onPhase = o.onPhase ?? (() => undefined);
  onPhase("checking the config and the certificate");
  const loaded = loadDeviceConfig({ file: o.configFile, env }); // throws ConfigError
  const config = loaded.config;
  const warnings = loaded.warnings.slice();
  // Without TLS there is no certificate to check or embed (the config refuses one).
  const cert = config.tls
    ? checkServerCert({ path: config.serverCert, host: config.host, skipCnCheck: config.skipCnCheck, now: o.now })
    : { derBase64: "", warnings: [] };
  warnings.push(...cert.warnings);
  const board = loadBoard(config.board);
  const outFile = resolve(o.outFile ?? join(ROOT, "dist", "firmware.js"));
  const inputs = firmwareInputs({ config, configFile: loaded.file });
  return {
    config, board, warnings, outFile, inputs, input: o.input, tsconfig: o.tsconfig, onPhase,
    firmwareConfig: toFirmwareConfig(config, cert.derBase64, board),
    preamble: preambleLine(packageVersion(), config.board, inputs.digest),
  };
}

/** Config, certificate, types and the renamed properties: every check that comes before bundling. */
export function prepareBuild(o: BuildOptions = {}): PreparedBuild {
  const prepared = prepareConfig(o);
  const onPhase = prepared.onPhase;
  onPhase("type-checking src/");
  const typed = typecheckFirmware(o.tsconfig ?? join(ROOT, "tsconfig.json"), ROOT);
  const typeErrors = typed.problems;
  if (typeErrors.length || !typed.program) {
    throw new BuildError([...typeErrors, `E tsc: ${typeErrors.length} type error(s): fix them and build again`]);
  }
  // The names to shorten come from the program just checked, and so does the proof of each use.
  onPhase("checking the properties the minifier renames");
  const renamed = renamableProperties(typed.program, ROOT);
  const renameErrors = checkRenamedProperties(typed.program, renamed.regex, ROOT);
  if (renameErrors.length) {
    throw new BuildError([...renameErrors, `E build: ${renameErrors.length} renamed propert(ies) would break on the board`]);
  }
  return { ...prepared, renamed };
}

/**
 * The checks on rollup's output, as an output plugin after the minifier: the Espruino gate and the
 * size budget refuse the bundle before anything is written, and the source map (kept for the gate's
 * messages) is not written at all. Under rollup.write the inputs file is written beside the bundle.
 */
export function firmwareChecks(p: PreparedBuild, onError?: (e: unknown) => void): { plugin: Plugin; result: () => CheckedBundle } {
  let result: CheckedBundle | undefined;
  const plugin: Plugin = {
    name: "firmware-checks",
    renderStart() {
      p.onPhase("minifying");
    },
    generateBundle(output, bundle) {
      try {
        check(output.file, bundle);
      } catch (e) {
        onError?.(e);
        throw e;
      }
    },
    writeBundle() {
      if (result) writeInputsFile(result.outFile, p.inputs);
    },
  };
  function check(file: string | undefined, bundle: OutputBundle): void {
    p.onPhase("checking the bundle against Espruino 2v29");
    const outFile = file ? resolve(file) : p.outFile;
    // Never leave a bundle behind that the board would reject, nor a record of inputs without it.
    rmSync(outFile, { force: true });
    rmSync(inputsFileFor(outFile), { force: true });
    const chunk = Object.values(bundle).find((c): c is OutputChunk => c.type === "chunk" && c.isEntry);
    if (!chunk || !chunk.map) throw new BuildError(["E build: rollup produced no bundle with a source map"]);
    const violations = checkBundle(chunk.code, { builtinModules: p.board.info.builtin_modules, sourceMap: chunk.map });
    if (violations.length) {
      throw new BuildError([
        ...violations.map(formatViolation),
        `E gate: ${violations.length} construct(s) would fail on Espruino 2v29; the bundle was not written`,
      ]);
    }
    const bytes = Buffer.byteLength(chunk.code, "latin1");
    const gzipBytes = gzipSync(chunk.code).length;
    const budget = p.board.device.bundleBudgetBytes;
    const line = sizeLine(relative(process.cwd(), outFile) || outFile, bytes, gzipBytes, budget, p.config.board);
    assertWithinBudget(line, bytes, budget, p.config.board);
    for (const [name, file] of Object.entries(bundle)) if (file.type === "asset" && name.endsWith(".map")) delete bundle[name];
    result = { outFile, code: chunk.code, map: chunk.map, bytes, gzipBytes, budget, sizeLine: line };
  }
  return {
    plugin,
    result: () => {
      if (!result) throw new Error("firmware-checks: the bundle was not generated");
      return result;
    },
  };
}

function rollupOptions(p: PreparedBuild, checks: Plugin) {
  const opts = firmwareRollupOptions({
    firmwareConfig: p.firmwareConfig, preamble: p.preamble, input: p.input, tsconfig: p.tsconfig, renamed: p.renamed.regex,
  });
  const plugins = [...(opts.output.plugins as Plugin[]), checks];
  return { input: { ...opts.input, plugins: [...(opts.input.plugins as Plugin[]), { name: "phase", buildStart: () => p.onPhase("bundling src/") }] }, output: { ...opts.output, plugins } };
}

export async function buildFirmware(o: BuildOptions = {}): Promise<BuildResult> {
  const p = prepareBuild(o);
  const checks = firmwareChecks(p);
  const opts = rollupOptions(p, checks.plugin);
  const bundle = await rollup(opts.input);
  try {
    await bundle.generate(opts.output);
  } finally {
    await bundle.close();
  }
  const r = checks.result();
  mkdirSync(dirname(r.outFile), { recursive: true });
  writeFileSync(r.outFile, r.code);
  writeInputsFile(r.outFile, p.inputs);
  return { ...r, board: p.board, config: p.config, warnings: p.warnings, renamed: p.renamed, inputs: p.inputs };
}

/** Config, certificate, type, gate and size errors are finished `E …` lines: rollup shows them without name or stack. */
function asFinishedLines(e: unknown): unknown {
  if (e instanceof ConfigError || e instanceof CertError || e instanceof BuildError) {
    const shown = e as Error & { plugin?: string };
    shown.name = "";
    shown.stack = "";
    delete shown.plugin;
  }
  return e;
}

/**
 * The options `rollup -c` runs (rollup.config.js): the same checks as buildFirmware, with rollup
 * writing dist/firmware.js (or -o FILE); warnings and the size line go to stderr beside rollup's own.
 */
export function rollupCommandOptions(o: BuildOptions = {}): RollupOptions {
  const bar = progress("build");
  let p: PreparedBuild;
  try {
    p = prepareBuild({ ...o, onPhase: (what) => bar.update(what) });
  } catch (e) {
    bar.done();
    throw asFinishedLines(e);
  }
  for (const w of p.warnings) console.error(w);
  const failed = (e: unknown) => {
    bar.done();
    asFinishedLines(e);
  };
  const checks = firmwareChecks(p, failed);
  const opts = rollupOptions(p, checks.plugin);
  const report: Plugin = {
    name: "firmware-report",
    renderError: failed,
    writeBundle() {
      bar.done();
      console.error(`I build: ${checks.result().sizeLine}`);
    },
  };
  return {
    ...opts.input,
    plugins: [...(opts.input.plugins as Plugin[]), { name: "firmware-report-input", buildEnd: (e) => { if (e) failed(e); } }],
    output: { ...opts.output, file: p.outFile, plugins: [...(opts.output.plugins as Plugin[]), report] },
  };
}
