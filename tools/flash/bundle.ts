// The bundle to flash: rebuilt when missing, older than anything it is built from, or built for
// another board; refused when over the board's budget (the build checks too, a stale file may not).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { boardJsonPath, fail, ROOT, ToolError, type BoardJson, type BoardName } from "../common/index.ts";
import { ConfigError, loadDeviceConfig } from "../bundler/config.ts";

export interface BundleRequest {
  file: string;
  /** Config file for a rebuild; default TB_CONFIG or device.config.json. */
  configFile?: string;
  /** Board to build for; default the config's. */
  board?: BoardName;
  env?: Record<string, string | undefined>;
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
}

/** Board named on the bundle's first line: `// tb-espruino-device <version> board=<chip>`. */
export function bundleBoard(code: string): string | undefined {
  const first = code.slice(0, code.indexOf("\n") >>> 0);
  return /^\/\/ tb-espruino-device \S+ board=(\S+)/.exec(first)?.[1];
}

function newestMtime(paths: string[]): { ms: number; path: string } {
  let best = { ms: 0, path: "" };
  const visit = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) for (const n of readdirSync(p)) visit(join(p, n));
    else if (st.mtimeMs > best.ms) best = { ms: st.mtimeMs, path: p };
  };
  paths.forEach(visit);
  return best;
}

/** Why `file` must be rebuilt, or undefined when it is current. */
export function staleReason(file: string, inputs: string[], board?: string): string | undefined {
  if (!existsSync(file)) return `${relative(process.cwd(), file) || file} does not exist`;
  const have = bundleBoard(readFileSync(file, "latin1"));
  if (board && have !== board) return `it was built for ${have ?? "an unknown board"}, not ${board}`;
  const newest = newestMtime(inputs);
  if (newest.ms > statSync(file).mtimeMs) return `${relative(ROOT, newest.path) || newest.path} changed since the last build`;
  return undefined;
}

export async function prepareBundle(r: BundleRequest): Promise<Bundle> {
  const env = { ...(r.env ?? process.env) };
  if (r.board) env.TB_BOARD = r.board;
  const file = resolve(r.file);
  let config;
  try {
    config = loadDeviceConfig({ file: r.configFile, env });
  } catch (e) {
    // Without a usable config an existing bundle can still be flashed as it is.
    if (!(e instanceof ConfigError) || !existsSync(file) || r.configFile) throw e;
  }
  const board = (config?.config.board ?? r.board ?? bundleBoard(readFileSync(file, "latin1"))) as BoardName;
  const inputs = [join(ROOT, "src"), join(ROOT, "rollup.config.js"), join(ROOT, "package.json"), join(ROOT, "tools", "build"),
    boardJsonPath(board), ...(config ? [config.file, config.config.serverCert] : [])];
  const reason = config ? staleReason(file, inputs, board) : undefined;
  if (!reason) {
    return { file, code: readFileSync(file, "latin1"), board, built: false, reason: "up to date", lines: [], tls: config?.config.tls };
  }
  // The build pulls in rollup and ESLint: loaded only when a build is due, so errors stay quick.
  const { BuildError, buildFirmware } = await import("../bundler/build.ts");
  const { CertError } = await import("../bundler/cert.ts");
  try {
    const b = await buildFirmware({ configFile: r.configFile, env, outFile: file });
    return { file, code: b.code, board, built: true, reason, lines: [...b.warnings, `I build: ${b.sizeLine}`], tls: config?.config.tls };
  } catch (e) {
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
