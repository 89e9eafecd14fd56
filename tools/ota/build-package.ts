// An OTA package from a config: the firmware built with firmwareVersion = the package's version (so the
// board reports the version ThingsBoard expects after the update), signed with the key beside the
// config (key.ts) and written as docs/ota.md §2 says. npm run ota (cli.ts) and the demo page use it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { ROOT, ToolError } from "../common/index.ts";
import { envVarFor, loadDeviceConfig } from "../bundler/config.ts";
import { loadKey } from "./key.ts";
import { makePackage, nameProblem, otaAttributes, type OtaAttributes } from "./package.ts";

/** The title ThingsBoard shows when none is given: the project's name. */
export const DEFAULT_TITLE = "tb-espruino-device";

const VERSION_VAR = envVarFor("firmwareVersion");

export interface OtaBuildRequest {
  /** Default TB_CONFIG, else device.config.json (relative to the working directory). */
  configFile?: string;
  version: string;
  /** Default tb-espruino-device. */
  title?: string;
  /** Where the package goes; default dist/ota/<title>-<version>.js in the project. */
  out?: string;
  /** Environment for the config's TB_* variables; default process.env. */
  env?: Record<string, string | undefined>;
  /** Called as each build phase starts, for a progress line. */
  onPhase?: (what: string) => void;
}

export interface OtaBuildResult {
  /** The package's absolute path. */
  file: string;
  data: Buffer;
  attrs: OtaAttributes;
  board: string;
  /** The config file it was built from, and the key file it was signed with (absolute). */
  configFile: string;
  keyFile: string;
  /** Config, certificate and key warnings (`W …` lines), for the caller to print. */
  warnings: string[];
  /** The bundle's size against the board's budget, from the build's size line (e.g. `10,847 bytes (gzip 6,277), 66% of …`). */
  bundleSize: string;
}

/**
 * Builds, signs and writes a package. Like every build it runs from the project root (rollup's entry
 * src/main.ts is relative to the working directory; npm scripts start there, npm run ota changes to it). Throws a ToolError (`E ota: …`) for a bad title or version, a config
 * without "ota": true, or a missing or damaged key; ConfigError, CertError and BuildError from the build.
 */
export async function buildOtaPackage(r: OtaBuildRequest): Promise<OtaBuildResult> {
  const title = r.title ?? DEFAULT_TITLE;
  const problem = nameProblem("title", title) ?? nameProblem("version", r.version);
  if (problem) throw new ToolError(`E ota: ${problem}: choose another (docs/ota.md §2)`);
  // The version reaches the bundle as the config's firmwareVersion, through its TB_ variable, which wins over the file.
  const env = { ...(r.env ?? process.env), [VERSION_VAR]: r.version };
  const loaded = loadDeviceConfig({ file: r.configFile, env });
  const name = basename(loaded.file);
  if (loaded.config.ota !== true) {
    // The board keeps running what it installs: a bundle without the update code would be its last update.
    throw new ToolError(`E ota: ${name} does not have "ota": true, so its firmware could never take the next update: ` +
      `set "ota": true, flash the board once (npm run flash, which also gives it the update key), then make packages`);
  }
  const key = loadKey(loaded.file);
  const { buildFirmware } = await import("../bundler/build.ts");
  const dir = mkdtempSync(join(tmpdir(), "tb-ota-"));
  let built;
  try {
    built = await buildFirmware({ configFile: loaded.file, env, outFile: join(dir, "firmware.js"), onPhase: r.onPhase });
    // The bytes as written, which are what the board will store (a string would be re-encoded).
    const bundle = readFileSync(built.outFile);
    if (built.config.firmwareVersion !== r.version) {
      // The board would report another version than the package's, and ThingsBoard would offer it again.
      throw new ToolError(`E ota: the build took firmwareVersion ${JSON.stringify(built.config.firmwareVersion)} instead of ${r.version} ` +
        `from ${VERSION_VAR}: nothing was written; report this as a bug of the bundler's config loading`);
    }
    const data = makePackage({ bundle, board: built.config.board, title, version: r.version, key: key.key });
    const file = r.out ? resolve(r.out) : join(ROOT, "dist", "ota", `${title}-${r.version}.js`);
    mkdirSync(resolve(file, ".."), { recursive: true });
    // It holds the bundle, and so the Wi-Fi password and the token: private, like dist/firmware.js.
    writeFileSync(file, data, { mode: 0o600 });
    return {
      file, data, attrs: otaAttributes(data), board: built.config.board, configFile: loaded.file, keyFile: key.file,
      warnings: [...built.warnings, ...key.warnings],
      // The line names the temp file the bundle was built into, which is gone by now.
      bundleSize: built.sizeLine.slice(built.sizeLine.lastIndexOf(": ") + 2),
    };
  } finally {
    // The bundle holds the config's secrets in clear: nothing stays behind in the temp folder.
    rmSync(dir, { recursive: true, force: true });
  }
}
