// The bundle to flash: rebuilt unless it was built from exactly the current inputs (the effective
// config after TB_* variables, the certificate's bytes, src/, the bundler, the board file: the digest
// on its first line, tools/bundler/inputs.ts), whatever the file dates say; refused when over the
// board's budget (the build checks too, a bundle flashed as it is may not).
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { fail, progress, ROOT, ToolError, type BoardJson, type BoardName } from "../common/index.ts";
import { ConfigError, loadDeviceConfig } from "../bundler/config.ts";
import { bundleInputsDigest, describeChange, firmwareInputs, readInputsFile, type BuildInputs } from "../bundler/inputs.ts";

export interface BundleRequest {
  file: string;
  /** Config file for a rebuild; default TB_CONFIG or device.config.json. */
  configFile?: string;
  /** Board to build for; default the config's. */
  board?: BoardName;
  env?: Record<string, string | undefined>;
  /** Where the line saying why it rebuilds goes, before the build starts (default stdout). */
  log?: (line: string) => void;
}

export interface Bundle {
  file: string;
  code: string;
  board: BoardName;
  built: boolean;
  /** Why it was (re)built, or "up to date". */
  reason: string;
  lines: string[];
  /** The config's "tls" (false: plain MQTT); undefined when there is no config (a bundle flashed as it is). */
  tls?: boolean;
  /** The config's "ota": the board then gets the update key (.tbkey); undefined without a config. */
  ota?: boolean;
  /** The config file it was (or would be) built from, absolute; the update key sits beside it. */
  configFile?: string;
}

/** Board named on the bundle's first line: `// tb-espruino-device <version> board=<chip> inputs=<digest>`. */
export function bundleBoard(code: string): string | undefined {
  const first = code.slice(0, code.indexOf("\n") >>> 0);
  return /^\/\/ tb-espruino-device \S+ board=(\S+)/.exec(first)?.[1];
}

function shown(file: string): string {
  const r = relative(ROOT, file);
  return r && !r.startsWith("..") && !isAbsolute(r) ? r : file;
}

/** Why `file` must be rebuilt for `now` (the current inputs), or undefined when it was built from exactly them. */
export function staleReason(file: string, now: BuildInputs, board: string): string | undefined {
  if (!existsSync(file)) return "it does not exist";
  const code = readFileSync(file, "latin1");
  const have = bundleBoard(code);
  if (have !== board) return `it was built for ${have ?? "an unknown board"}, not ${board}`;
  const digest = bundleInputsDigest(code);
  if (!digest) return "it does not record what it was built from (an older build)";
  if (digest === now.digest) return undefined;
  // The record beside the bundle names the parts; without it (or from another build) only the digest tells.
  const was = readInputsFile(file);
  return was?.digest === digest ? `it was built from other inputs (${describeChange(was, now)})` : "it was built from other inputs";
}

export async function prepareBundle(r: BundleRequest): Promise<Bundle> {
  const env = { ...(r.env ?? process.env) };
  if (r.board) env.TB_BOARD = r.board;
  const file = resolve(r.file);
  let config;
  try {
    config = loadDeviceConfig({ file: r.configFile, env });
  } catch (e) {
    // Without a usable config an existing bundle can still be flashed as it is, but never called up to
    // date: nothing says what it was built from.
    if (!(e instanceof ConfigError) || !existsSync(file) || r.configFile) throw e;
    const why = e.message.split("\n")[0]!.replace(/^E config: /, "");
    const board = (r.board ?? bundleBoard(readFileSync(file, "latin1"))) as BoardName | undefined;
    if (!board) {
      throw fail("flash", `no config to build from (${why}), and ${shown(file)} names no board on its first line`,
        "pass --board esp32, esp32c3 or esp32s3 to flash it as it is, or fix the config so flash can build the firmware");
    }
    const from = readInputsFile(file)?.configFile;
    return {
      file, code: readFileSync(file, "latin1"), board, built: false, reason: "as it is",
      lines: [`W flash: no config to build from (${why}); flashing ${shown(file)} as it is, built ${from ? "from " + from : "from inputs it does not record"}`],
    };
  }
  const board = (config.config.board ?? r.board) as BoardName;
  const reason = staleReason(file, firmwareInputs({ config: config.config, configFile: config.file }), board);
  if (!reason) {
    return { file, code: readFileSync(file, "latin1"), board, built: false, reason: "up to date", lines: [], tls: config.config.tls,
      ota: config.config.ota, configFile: config.file };
  }
  (r.log ?? console.log)(`I flash: ${existsSync(file) ? "rebuilding" : "building"} ${shown(file)}: ${reason}`);
  // The build pulls in rollup and the type checker: loaded only when a build is due, so errors stay quick.
  const { BuildError, buildFirmware } = await import("../bundler/build.ts");
  const { CertError } = await import("../bundler/cert.ts");
  const bar = progress("build");
  try {
    const b = await buildFirmware({ configFile: r.configFile, env, outFile: file, onPhase: (what) => bar.update(what) });
    bar.done();
    return { file, code: b.code, board, built: true, reason, lines: [...b.warnings, `I build: ${b.sizeLine}`], tls: config.config.tls,
      ota: config.config.ota, configFile: config.file };
  } catch (e) {
    bar.done();
    if (e instanceof BuildError || e instanceof ConfigError || e instanceof CertError) {
      const size = /^E size:/m.test(e.message);
      throw new ToolError(e.message + "\n" + (size
        ? "E flash: nothing was flashed: the bundle is over the board's budget (see the size line above); trim the firmware or pick a board with more room"
        : "E flash: nothing was flashed: the build failed (see above); fix that, then run npm run flash again"));
    }
    throw e;
  }
}

/** A bundle flashed as it is (no config to rebuild from) still has to fit and match the board. */
export function checkBundle(code: string, file: string, board: BoardName, json: BoardJson): void {
  const bytes = Buffer.byteLength(code, "latin1");
  const budget = json.device.bundleBudgetBytes;
  if (bytes > budget) {
    throw fail("flash", `${file} is ${bytes.toLocaleString("en")} bytes, over the ${budget.toLocaleString("en")}-byte budget for ${board}`,
      "nothing was flashed; trim the firmware and rebuild (npm run build)");
  }
  const built = bundleBoard(code);
  if (built && built !== board) {
    throw fail("flash", `${file} was built for ${built}, not ${board}`, `rebuild for it (npm run build with "board": "${board}") or pass --board ${built}`);
  }
}
