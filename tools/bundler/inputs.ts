// What a bundle is built from, as digests: the build records them (a short digest on the bundle's
// first line, one digest per part in a sidecar file beside it) and flash compares them with the
// current inputs, so a bundle is reused only when it would come out the same, whatever the file
// dates say. One function computes them for both (firmwareInputs), so they cannot drift apart.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative } from "node:path";
import type { FirmwareConfig } from "../../src/config.ts";
import { boardJsonPath, loadBoard, ROOT, type BoardJson } from "../common/index.ts";
import { LOG_LEVELS, type DeviceConfig } from "./config.ts";
import { telemetryKeys } from "./config-rules.ts";

/** The title this firmware reports (current_fw_title) and `npm run ota` gives its packages by default. */
export const FIRMWARE_TITLE = "tb-espruino-device";

export function packageVersion(): string {
  return JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
}

/** The one object the firmware receives: only what it needs at run time. */
export function toFirmwareConfig(c: DeviceConfig, caDer: string, board: BoardJson): FirmwareConfig {
  return {
    board: c.board,
    fwTitle: FIRMWARE_TITLE,
    fwVersion: c.firmwareVersion || packageVersion(),
    bundleBudget: board.device.bundleBudgetBytes,
    wifiSsid: c.wifiSsid,
    wifiPassword: c.wifiPassword,
    host: c.host,
    port: c.port,
    accessToken: c.accessToken,
    provisionKey: c.provisionDeviceKey,
    provisionSecret: c.provisionDeviceSecret,
    deviceName: c.deviceName,
    ota: c.ota,
    telemetryIntervalMs: c.telemetryIntervalMs,
    logLevel: LOG_LEVELS.indexOf(c.logLevel),
    tls: c.tls,
    caDer,
    tlsHeap: board.device.tls.needBytes,
    heapFix: board.device.tls.remedy,
    sensor: c.sensor,
    sda: c.sda,
    scl: c.scl,
    pin: c.pin,
    i2cAddress: c.i2cAddress,
    keys: telemetryKeys(c),
    queueCapacity: c.queueCapacity,
    sntpServer: c.sntpServer,
  };
}

export interface BuildInputs {
  /** Digest of all parts: what the bundle's first line records. */
  digest: string;
  /** The config file the values came from (a path, never its contents). */
  configFile: string;
  /**
   * Part name -> digest: "config.<key>" per embedded setting, "certificate", "version", "board",
   * "rollup.config.js", "tsconfig.json", "package-lock.json", and one per file under src/ and
   * tools/bundler/. Digests only: the settings include the token and the Wi-Fi password (which the
   * bundle beside this file holds anyway).
   */
  parts: Record<string, string>;
}

const DIGEST_CHARS = 16;
const PART_CHARS = 16;

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Every file below `dir`, as paths from the project's root, sorted (so the digest does not depend on directory order). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile()) out.push(relative(ROOT, p));
    }
  };
  visit(dir);
  return out.sort();
}

/**
 * The digests of everything a build of `config` (already loaded, TB_* variables applied) reads.
 * A certificate that cannot be read counts as "missing": the build then says what is wrong with it.
 */
export function firmwareInputs(o: { config: DeviceConfig; configFile: string }): BuildInputs {
  const parts: Record<string, string> = {};
  const part = (name: string, data: string | Buffer) => { parts[name] = sha256(data).slice(0, PART_CHARS); };

  // The settings as embedded; the certificate goes in by its bytes, below.
  const { caDer: _, keys, ...settings } = toFirmwareConfig(o.config, "", loadBoard(o.config.board));
  for (const [key, value] of Object.entries(settings)) part(`config.${key}`, JSON.stringify(value));
  // The telemetry keys one part each, so that a change names the key (pressureKey only when it is sent).
  keys.forEach((name, i) => part(`config.${TELEMETRY_KEY_NAMES[i]}`, JSON.stringify(name)));
  let cert: Buffer | string = "missing";
  if (!o.config.tls) cert = "none";
  else {
    try {
      cert = readFileSync(o.config.serverCert);
    } catch {
      // stays "missing"
    }
  }
  part("certificate", cert);
  part("version", packageVersion());
  part("board", readFileSync(boardJsonPath(o.config.board)));
  for (const f of ["rollup.config.js", "tsconfig.json", "package-lock.json"]) {
    if (existsSync(join(ROOT, f))) part(f, readFileSync(join(ROOT, f)));
  }
  for (const f of [...filesUnder(join(ROOT, "src")), ...filesUnder(join(ROOT, "tools", "bundler"))]) {
    part(f.split("\\").join("/"), readFileSync(join(ROOT, f)));
  }
  const digest = sha256(Object.keys(parts).sort().map((k) => `${k}=${parts[k]}\n`).join("")).slice(0, DIGEST_CHARS);
  return { digest, configFile: o.configFile, parts };
}

/** The bundle's first line: what it is, for which board, from which inputs. */
export function preambleLine(version: string, board: string, digest: string): string {
  return `// tb-espruino-device ${version} board=${board} inputs=${digest}`;
}

/** The inputs digest on a bundle's first line, if it has one. */
export function bundleInputsDigest(code: string): string | undefined {
  const first = code.slice(0, code.indexOf("\n") >>> 0);
  return /^\/\/ tb-espruino-device \S+ board=\S+ inputs=([0-9a-f]+)/.exec(first)?.[1];
}

/** dist/firmware.js -> dist/firmware.inputs.json */
export function inputsFileFor(bundleFile: string): string {
  return join(dirname(bundleFile), basename(bundleFile).replace(/\.[cm]?js$/, "") + ".inputs.json");
}

export function writeInputsFile(bundleFile: string, inputs: BuildInputs): void {
  writeFileSync(inputsFileFor(bundleFile), JSON.stringify(inputs, null, 2) + "\n");
}

/** The recorded inputs of `bundleFile`, or undefined when there is no readable record. */
export function readInputsFile(bundleFile: string): BuildInputs | undefined {
  try {
    const r = JSON.parse(readFileSync(inputsFileFor(bundleFile), "utf8"));
    if (typeof r?.digest === "string" && typeof r.configFile === "string" && r.parts && typeof r.parts === "object") return r as BuildInputs;
  } catch {
    // no record, or a damaged one: the caller says it cannot tell what changed
  }
  return undefined;
}

/** How a config file is named in a reason: its name alone when both sit in one folder. */
function configNames(from: string, to: string): string {
  if (dirname(from) === dirname(to)) return `${basename(from)} -> ${basename(to)}`;
  const show = (p: string) => {
    const r = relative(process.cwd(), p);
    return r && !r.startsWith("..") && !isAbsolute(r) ? r : p;
  };
  return `${show(from)} -> ${show(to)}`;
}

/** The config keys behind FirmwareConfig.keys, in its order; each is a part of its own. */
const TELEMETRY_KEY_NAMES = ["temperatureKey", "humidityKey", "pressureKey"];
/** Settings the firmware receives under another name than the config's ("keys": records of builds before
 *  the telemetry keys became parts of their own). */
const SETTING_NAMES: Record<string, string> = { keys: "temperatureKey/humidityKey" };
/** Settings taken from another part (package.json's version, the board file): that part names the change. */
const DERIVED = new Set(["config.fwTitle", "config.bundleBudget", "config.fwVersion", "config.tlsHeap", "config.heapFix"]);

function list(names: string[], max = 3): string {
  const shown = names.slice(0, max);
  const more = names.length > max ? ` and ${names.length - max} more` : "";
  return shown.length > 1 && !more ? `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}` : shown.join(", ") + more;
}

/** What differs between the recorded inputs and the current ones, e.g. "config a.json -> b.json; accessToken changed". */
export function describeChange(was: BuildInputs, now: BuildInputs): string {
  const names = new Set([...Object.keys(was.parts), ...Object.keys(now.parts)]);
  const changed = [...names].filter((n) => was.parts[n] !== now.parts[n]).sort();
  const reasons: string[] = [];
  if (was.configFile !== now.configFile) reasons.push(`config ${configNames(was.configFile, now.configFile)}`);
  const settings = changed.filter((n) => n.startsWith("config.") && !DERIVED.has(n)).map((n) => {
    const key = n.slice("config.".length);
    return SETTING_NAMES[key] ?? key;
  });
  if (settings.length) reasons.push(`${list(settings)} changed`);
  if (changed.includes("certificate")) reasons.push("the server certificate changed");
  if (changed.includes("version")) reasons.push("the version in package.json changed");
  // Another board brings its own board file: "board changed" above says it.
  if (changed.includes("board") && !changed.includes("config.board")) reasons.push("the board's board/*.json changed");
  // Every other part is a file, named by its path from the project's root.
  const files = changed.filter((n) => !n.startsWith("config.") && !["certificate", "version", "board"].includes(n));
  const modified = files.filter((f) => was.parts[f] !== undefined && now.parts[f] !== undefined);
  const added = files.filter((f) => was.parts[f] === undefined);
  const removed = files.filter((f) => now.parts[f] === undefined);
  if (modified.length) reasons.push(`${list(modified, 2)} changed`);
  if (added.length) reasons.push(`${list(added, 2)} added`);
  if (removed.length) reasons.push(`${list(removed, 2)} removed`);
  return reasons.join("; ") || "what changed is not recorded";
}
