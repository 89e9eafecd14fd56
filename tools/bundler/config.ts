// Device configuration: the menuconfig of the ESP-IDF example as a flat JSON file
// (device.config.json), overridable per key by TB_<KEY> environment variables, checked before
// anything is bundled. Every problem becomes one line naming the key, where it came from, what is
// wrong and how to fix it; all problems are reported at once. Secrets are never echoed.
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import { closest, distance } from "fastest-levenshtein";
import { z } from "zod";
import { BOARDS, mask, MAX_INTERVAL_MS, MIN_INTERVAL_MS, type BoardName } from "../common/index.ts";

/** The chips with a board/<chip>.json; the list lives with the board loader. */
export type Board = BoardName;
export type LogLevel = "none" | "error" | "warn" | "info" | "debug" | "verbose";

export interface DeviceConfig {
  board: Board;
  wifiSsid: string;
  wifiPassword: string;
  host: string;
  port: number;
  /** False: plain MQTT, no certificate (an explicit choice for boards whose native heap cannot hold TLS). */
  tls: boolean;
  accessToken: string;
  telemetryIntervalMs: number;
  skipCnCheck: boolean;
  logLevel: LogLevel;
  /** Resolved absolute path (relative paths are taken from the config file's folder). */
  serverCert: string;
  /** Where readings come from: the example's simulated values or the ESP32's internal sensor. */
  sensor: "simulated" | "internal";
  /** Telemetry key names (the example's dashboards use the misspelled "temprature"). */
  temperatureKey: string;
  humidityKey: string;
  /** Readings kept while the link is down; the oldest is dropped when full. */
  queueCapacity: number;
  /** Time server for Wifi.setSNTP, so readings carry their real time. */
  sntpServer: string;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export const DEFAULT_CONFIG_FILE = "device.config.json";
export const EXAMPLE_CONFIG_FILE = "device.config.example.json";

/** In ESP-IDF order: the firmware gets the index (0 none … 5 verbose). */
/** ThingsBoard's MQTT ports: over TLS, and plain. */
export const TLS_PORT = 8883;
export const PLAIN_PORT = 1883;

export const LOG_LEVELS = ["none", "error", "warn", "info", "debug", "verbose"] as const;

// ---------------------------------------------------------------------------------------------
// Value rules. Each returns "what is wrong: how to fix it", or undefined when the value is fine.

/** Why `host` is not a bare host name or IP literal, or undefined when it is one. Shared with `npm run certs`. */
export function checkHost(host: string): string | undefined {
  const example = "e.g. \"thingsboard.local\" or \"192.168.1.10\"";
  if (host === "") return `is empty: set it to your ThingsBoard server's host name or IP address, ${example}`;
  if (/\s/.test(host)) return `contains a space: write only the host name, ${example}`;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(host);
  if (scheme) return `has a scheme ("${scheme[1]}://"): remove it and write only the host name, ${example}`;
  if (host.includes("/")) return `has a path ("${host.slice(host.indexOf("/"))}"): remove it and write only the host name, ${example}`;
  if (host.startsWith("[")) {
    return "has brackets: write an IPv6 address without [ ] (and any port goes into \"port\", not \"host\")";
  }
  if (isIP(host)) return undefined;
  const port = /^([^:]+):(\d*)$/.exec(host);
  if (port) return `has a port (":${port[2]}"): remove it and set "port": ${port[2] || 8883} instead`;
  if (host.includes(":")) return "has a \":\" but is not a valid IPv6 address: write a host name or an IP address only";
  if (/^[\d.]+$/.test(host)) return "looks like an IPv4 address but is not one: use four numbers 0-255, e.g. 192.168.1.10";
  if (host.length > 253) return `is ${host.length} characters long: a host name has at most 253`;
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  for (const label of name.split(".")) {
    if (label === "") return "has an empty part (\"..\" or a leading dot): check the spelling";
    if (label.length > 63) return `has a part longer than 63 characters ("${label.slice(0, 20)}…")`;
    if (!/^[a-z0-9-]+$/i.test(label)) {
      const bad = label.replace(/[a-z0-9-]/gi, "")[0];
      return `contains "${bad}": a host name has only letters, digits, "-" and dots`;
    }
    if (label.startsWith("-") || label.endsWith("-")) return `has a part starting or ending with "-" ("${label}")`;
  }
  return undefined;
}

// Espruino 2v29's ESP32 Wifi.connect copies the SSID into 31 bytes and the password into 63
// characters (shared/docs/espruino-platform.md §3): a longer value is cut and can never join.
const SSID_MAX_BYTES = 31;
const PASSWORD_MAX_CHARS = 63;

function checkSsid(s: string): string | undefined {
  const bytes = Buffer.byteLength(s, "utf8");
  if (bytes === 0) return "is empty: set it to the name of your Wi-Fi network";
  if (bytes > SSID_MAX_BYTES) {
    return `is ${bytes} bytes long (UTF-8), over the limit of ${SSID_MAX_BYTES}: Espruino 2v29 on ESP32 cuts the SSID to ` +
      `${SSID_MAX_BYTES} bytes, so the board would look for another name and never join: check the spelling, or give the ` +
      `network a name of at most ${SSID_MAX_BYTES} bytes`;
  }
  return undefined;
}

function checkWifiPassword(s: string): string | undefined {
  const rule = "a WPA2 password has 8-63 characters; use \"\" for an open network";
  if (s === "") return undefined;
  if (s.length > PASSWORD_MAX_CHARS) {
    const what = /^[0-9a-f]{64}$/i.test(s) ? "is a 64-hex-digit key" : `has ${s.length} characters`;
    return `the value ${what}, over the limit of ${PASSWORD_MAX_CHARS} characters: Espruino 2v29 on ESP32 cuts the ` +
      `password to ${PASSWORD_MAX_CHARS} characters, so the board could never join: use the network's passphrase ` +
      `(8-${PASSWORD_MAX_CHARS} characters) instead, or set a shorter one on the access point`;
  }
  if (s.length < 8) return `the value has ${s.length} characters: ${rule}`;
  // WPA2 passphrases are printable ASCII (IEEE 802.11i); Espruino's strings are 8-bit as well.
  const at = [...s].findIndex((c) => c < " " || c > "~");
  if (at >= 0) return `character ${at + 1} of the value is not printable ASCII: WPA2 passwords use only ASCII letters, digits, spaces and symbols`;
  return undefined;
}

function checkAccessToken(s: string): string | undefined {
  const fix = "copy it again from ThingsBoard (Entities → Devices → your device → Copy access token)";
  if (s === "") return `is empty: ${fix}`;
  const ws = s.search(/\s/);
  if (ws >= 0) return `the value has whitespace at character ${ws + 1} of ${s.length}: ${fix}, without spaces or line breaks`;
  if (s.length > 256) return `the value has ${s.length} characters: ThingsBoard access tokens have at most 256; ${fix}`;
  return undefined;
}

function checkPort(n: number): string | undefined {
  if (n >= 1 && n <= 65535) return undefined;
  return `${n} is out of range: use 1-65535 (ThingsBoard MQTT over TLS listens on 8883)`;
}

function checkInterval(n: number): string | undefined {
  if (n >= MIN_INTERVAL_MS && n <= MAX_INTERVAL_MS) return undefined;
  const seconds = n >= 1 && n < MIN_INTERVAL_MS ? `; it is in milliseconds, so ${n} s would be ${n * 1000}` : "";
  return `${n} is out of range: use ${MIN_INTERVAL_MS}-${MAX_INTERVAL_MS} (1 second to 24 hours)${seconds}`;
}

function checkTelemetryKey(s: string): string | undefined {
  if (/^[\x21-\x7e]{1,64}$/.test(s) && !/["\\]/.test(s)) return undefined;
  return `${JSON.stringify(s.slice(0, 40))} is not a usable telemetry key: use 1-64 printable ASCII characters without spaces, quotes or backslashes, e.g. "temperature"`;
}

function checkQueueCapacity(n: number): string | undefined {
  if (n >= 1 && n <= 200) return undefined;
  return `${n} is out of range: use 1-200 readings (each costs 24 bytes of RAM; 200 still fits the ESP32-C3's 4,095 JsVars beside TLS)`;
}

function checkSntpServer(s: string): string | undefined {
  const problem = checkHost(s);
  return problem ? problem.replace("your ThingsBoard server's", "a time server's").replace(/e\.g\. .*$/, "e.g. \"pool.ntp.org\"") : undefined;
}

function checkPath(s: string): string | undefined {
  return s.trim() === "" ? "is empty: set it to the server certificate's PEM file, e.g. \"certs/server.pem\"" : undefined;
}

/** Attaches a rule to a schema; the rule's text becomes the issue message verbatim. */
function rule<T>(check: (v: T) => string | undefined) {
  return (v: T, ctx: z.RefinementCtx) => {
    const problem = check(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  };
}

// ---------------------------------------------------------------------------------------------
// The keys. To add one: a field here (schema with default, env parser, example, hint), and the
// DeviceConfig member; the type check below keeps both in step.

type EnvKind = "string" | "integer" | "boolean";
interface Field {
  schema: z.ZodType;
  env: EnvKind;
  /** Never printed: errors give only the length, logs the first 2 characters. */
  secret?: boolean;
  /** Value in device.config.example.json; also used in "write it as ..." hints. */
  example: string | number | boolean;
  /** Said when a required key is missing. */
  missing?: string;
}

const FIELDS = {
  board: {
    schema: z.enum(BOARDS).default("esp32"), env: "string", example: "esp32",
  },
  wifiSsid: {
    schema: z.string().superRefine(rule(checkSsid)), env: "string", example: "MySSID",
    missing: "set it to the name of your Wi-Fi network",
  },
  wifiPassword: {
    schema: z.string().superRefine(rule(checkWifiPassword)).default(""), env: "string", secret: true, example: "MyPassword",
  },
  host: {
    schema: z.string().superRefine(rule(checkHost)), env: "string", example: "localhost",
    missing: "set it to your ThingsBoard server's host name or IP address (no mqtts://, no port)",
  },
  port: {
    schema: z.int().superRefine(rule(checkPort)).default(8883), env: "integer", example: 8883,
  },
  tls: {
    schema: z.boolean().default(true), env: "boolean", example: true,
  },
  accessToken: {
    schema: z.string().superRefine(rule(checkAccessToken)), env: "string", secret: true, example: "A1_TEST_TOKEN",
    missing: "set it to your device's access token (ThingsBoard: Entities → Devices → your device → Copy access token)",
  },
  telemetryIntervalMs: {
    schema: z.int().superRefine(rule(checkInterval)).default(5000), env: "integer", example: 5000,
  },
  skipCnCheck: {
    schema: z.boolean().default(false), env: "boolean", example: false,
  },
  logLevel: {
    schema: z.enum(LOG_LEVELS).default("info"), env: "string", example: "info",
  },
  serverCert: {
    schema: z.string().superRefine(rule(checkPath)).default("certs/server.pem"), env: "string", example: "certs/server.pem",
  },
  sensor: {
    schema: z.enum(["simulated", "internal"]).default("simulated"), env: "string", example: "simulated",
  },
  temperatureKey: {
    schema: z.string().superRefine(rule(checkTelemetryKey)).default("temperature"), env: "string", example: "temperature",
  },
  humidityKey: {
    schema: z.string().superRefine(rule(checkTelemetryKey)).default("humidity"), env: "string", example: "humidity",
  },
  queueCapacity: {
    schema: z.int().superRefine(rule(checkQueueCapacity)).default(50), env: "integer", example: 50,
  },
  sntpServer: {
    schema: z.string().superRefine(rule(checkSntpServer)).default("pool.ntp.org"), env: "string", example: "pool.ntp.org",
  },
} satisfies Record<keyof DeviceConfig, Field>;

type Key = keyof typeof FIELDS;
const fields: Record<Key, Field> = FIELDS;

/** The whole file's schema: strict, so unknown keys are reported. */
export const deviceConfigSchema = z.object(
  Object.fromEntries(Object.entries(FIELDS).map(([k, f]) => [k, f.schema])) as { [K in Key]: (typeof FIELDS)[K]["schema"] },
).strict();

// The schema's output must be exactly DeviceConfig.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesType: Same<z.output<typeof deviceConfigSchema>, DeviceConfig> = true;
void schemaMatchesType;

export const CONFIG_KEYS: readonly string[] = Object.keys(FIELDS);

/** Environment variable for a key: accessToken → TB_ACCESS_TOKEN. */
export function envVarFor(key: string): string {
  return "TB_" + key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The effective config with secrets masked (src/mask.ts, as the firmware logs them), ready to print. */
export function describeConfig(c: DeviceConfig): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const key of Object.keys(fields) as Key[]) out[key] = fields[key].secret ? mask(String(c[key])) : c[key];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Validation

export interface ConfigOrigin {
  /** The config file the values came from; relative serverCert paths resolve against its folder. */
  file?: string;
  /** Keys whose value came from a TB_* environment variable. */
  envKeys?: Set<string>;
  /** Base for shown file names (default process.cwd()). */
  cwd?: string;
}

interface Checked {
  config?: DeviceConfig;
  problems: string[];
  warnings: string[];
}

/** Validates merged raw values; throws ConfigError listing every problem. */
export function validateDeviceConfig(raw: unknown, origin: ConfigOrigin): DeviceConfig {
  const r = checkDeviceConfig(raw, origin);
  if (!r.config) throw new ConfigError(r.problems);
  return r.config;
}

function checkDeviceConfig(raw: unknown, origin: ConfigOrigin): Checked {
  const cwd = origin.cwd ?? process.cwd();
  const fileLabel = origin.file ? displayPath(origin.file, cwd) : "config";
  const where = (key: string) => (origin.envKeys?.has(key) ? `env ${envVarFor(key)}` : fileLabel);
  const problems: string[] = [];

  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    problems.push(`E config: ${fileLabel}: expected one JSON object { "key": value, ... }, got ${describe(raw, false)}: start from ${EXAMPLE_CONFIG_FILE}`);
    return { problems, warnings: [] };
  }
  const values = raw as Record<string, unknown>;
  const result = deviceConfigSchema.safeParse(values);
  if (result.success) {
    const config: DeviceConfig = {
      ...result.data,
      serverCert: resolve(origin.file ? dirname(resolve(cwd, origin.file)) : cwd, result.data.serverCert),
    };
    if (!config.tls) {
      // Plain MQTT is never reached by accident: no TLS port, no certificate that would not be used.
      if (values.port === undefined) config.port = PLAIN_PORT;
      if (config.port === TLS_PORT) {
        problems.push(`E config: ${where("port")}: port: 8883 is ThingsBoard's MQTT-over-TLS port, but "tls" is false: ` +
          `set "port": ${PLAIN_PORT} for plain MQTT, or remove "tls": false`);
      }
      if (values.serverCert !== undefined) {
        problems.push(`E config: ${where("serverCert")}: serverCert: a certificate is set, but "tls" is false and would not use it: ` +
          `remove serverCert for plain MQTT, or remove "tls": false to use TLS`);
      }
      if (problems.length) return { problems, warnings: [] };
    }
    return { config, problems, warnings: warningsFor(config, values, origin, where) };
  }
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) problems.push(`E config: ${fileLabel}: ${unknownKey(k)}`);
      continue;
    }
    const key = String(issue.path[0]) as Key;
    problems.push(`E config: ${where(key)}: ${key}: ${explain(issue, key, values[key])}`);
  }
  return { problems, warnings: [] };
}

function unknownKey(k: string): string {
  const near = closest(k.toLowerCase(), CONFIG_KEYS.map((c) => c.toLowerCase()));
  const suggestion = CONFIG_KEYS.find((c) => c.toLowerCase() === near)!;
  const far = distance(k.toLowerCase(), near) > Math.max(3, suggestion.length / 2);
  return `unknown key "${k}": did you mean "${suggestion}"?` + (far ? ` (known keys: ${CONFIG_KEYS.join(", ")})` : "");
}

function explain(issue: z.core.$ZodIssue, key: Key, value: unknown): string {
  const f = fields[key];
  switch (issue.code) {
    case "custom":
      return issue.message;
    case "invalid_type": {
      if (value === undefined) return `is missing: ${f.missing ?? `add "${key}": ${JSON.stringify(f.example)}`}`;
      const expected = issue.expected === "int" || issue.expected === "number" ? "an integer"
        : issue.expected === "boolean" ? "true or false" : "a string";
      const quotes = typeof value === "string" && expected !== "a string" ? "remove the quotes, " : "";
      return `expected ${expected}, got ${describe(value, !!f.secret)}: ${quotes}write it as "${key}": ${JSON.stringify(f.example)}`;
    }
    case "invalid_value": {
      const options = issue.values.map(String);
      const near = typeof value === "string" ? closest(value, options) : undefined;
      const guess = near && typeof value === "string" && distance(value, near) <= 3 ? `did you mean "${near}"? ` : "";
      return `${describe(value, !!f.secret)} is not allowed: ${guess}use one of ${options.map((o) => `"${o}"`).join(", ")}`;
    }
    default:
      return issue.message;
  }
}

/** A value as an error message may show it: secrets only by type and length. */
function describe(v: unknown, secret: boolean): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list [...]";
  if (typeof v === "string") {
    if (secret) return `a string (the value has ${v.length} characters)`;
    const shown = v.length > 40 ? v.slice(0, 40) + "…" : v;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof v === "number" || typeof v === "boolean") return secret ? `a ${typeof v}` : `the ${typeof v} ${v}`;
  return typeof v === "object" ? "an object {...}" : typeof v;
}

function warningsFor(c: DeviceConfig, values: Record<string, unknown>, origin: ConfigOrigin, where: (k: string) => string): string[] {
  const warnings: string[] = [];
  const isExample = origin.file !== undefined && basename(origin.file) === EXAMPLE_CONFIG_FILE;
  for (const key of ["wifiSsid", "wifiPassword", "accessToken"] as const) {
    if (!isExample && values[key] === FIELDS[key].example) {
      warnings.push(`W config: ${where(key)}: ${key}: still the example value from ${EXAMPLE_CONFIG_FILE}: fine for the local virtual board, set your own for a real one`);
    }
  }
  if (c.wifiSsid !== c.wifiSsid.trim()) {
    warnings.push(`W config: ${where("wifiSsid")}: wifiSsid: starts or ends with a space: check that the network name really has it`);
  }
  if (!c.tls) {
    warnings.push(`W config: ${where("tls")}: tls: false: the access token and the telemetry cross the network in clear, ` +
      `readable and forgeable by anyone on the path; use it only on an isolated network you control (README: "Plain MQTT")`);
  } else if (c.port === PLAIN_PORT) {
    warnings.push(`W config: ${where("port")}: port: ${PLAIN_PORT} is ThingsBoard's plain MQTT port, but this firmware uses TLS: use ${TLS_PORT} unless your server runs TLS there`);
  }
  return warnings;
}

function displayPath(file: string, cwd: string): string {
  const abs = resolve(cwd, file);
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : abs;
}

// ---------------------------------------------------------------------------------------------
// Loading: file + environment

export interface LoadOptions {
  /** Config file; default env TB_CONFIG, else device.config.json; relative to cwd. */
  file?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
}

/**
 * Reads the config file, applies TB_* overrides and validates; throws ConfigError listing every problem.
 * A relative serverCert, from the file or from TB_SERVER_CERT, is resolved against the config file's
 * folder (as ESPHome does), so a build gives the same result from any working directory.
 */
export function loadDeviceConfig(opts: LoadOptions = {}): { config: DeviceConfig; file: string; warnings: string[] } {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const env = opts.env ?? process.env;
  const fromEnv = opts.file === undefined && env.TB_CONFIG ? " (from TB_CONFIG)" : "";
  const file = resolve(cwd, opts.file ?? (env.TB_CONFIG || DEFAULT_CONFIG_FILE));
  const label = displayPath(file, cwd);

  const overrides: Record<string, unknown> = {};
  const envProblems: string[] = [];
  for (const key of Object.keys(fields) as Key[]) {
    const name = envVarFor(key);
    const text = env[name];
    if (text === undefined) continue;
    const parsed = parseEnv(text, fields[key].env, name, key);
    if (typeof parsed === "object") envProblems.push(parsed.problem);
    else overrides[key] = parsed;
  }
  let raw: Record<string, unknown>;
  try {
    raw = readConfigFile(file, label, fromEnv);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError([...e.problems, ...envProblems]);
    throw e;
  }
  Object.assign(raw, overrides);
  const envKeys = new Set(Object.keys(overrides));
  const checked = checkDeviceConfig(raw, { file, envKeys, cwd });
  const problems = [...checked.problems, ...envProblems];
  if (problems.length > 0 || !checked.config) throw new ConfigError(problems);
  return { config: checked.config, file, warnings: [...checked.warnings, ...envTypos(env)] };
}

function readConfigFile(file: string, label: string, fromEnv: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new ConfigError([`E config: ${label} not found${fromEnv}: copy ${EXAMPLE_CONFIG_FILE} to ${label} and set wifiSsid, wifiPassword, host and accessToken`]);
    }
    if (code === "EISDIR") throw new ConfigError([`E config: ${label} is a folder${fromEnv}: point to the JSON file inside it`]);
    throw new ConfigError([`E config: ${label}: cannot read the file (${code ?? String(e)}): check its permissions`]);
  }
  text = text.replace(/^\uFEFF/, "");
  if (text.trim() === "") {
    throw new ConfigError([`E config: ${label}: the file is empty: copy ${EXAMPLE_CONFIG_FILE} to ${label} and set wifiSsid, wifiPassword, host and accessToken`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([jsonProblem(text, (e as Error).message, label)]);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError([`E config: ${label}: expected one JSON object { "key": value, ... }, got ${describe(raw, false)}: start from ${EXAMPLE_CONFIG_FILE}`]);
  }
  return raw as Record<string, unknown>;
}

/** "line L, column C: invalid JSON: <reason>", without V8's quote of the source (it may hold secrets). */
function jsonProblem(text: string, message: string, label: string): string {
  const given = /in JSON at position (\d+)/.exec(message)?.[1];
  const pos = given !== undefined ? Number(given) : findJsonError(text);
  const reason = message
    .replace(/ in JSON at position \d+.*$/s, "")
    .replace(/, (?:\.\.\.)?".*$/s, "") // V8 quotes the text around the error: never show it
    .replace(/^Unexpected token '[\p{L}\p{N}]'/u, "Unexpected token");
  const before = text.slice(0, pos).split(/\r\n|\r|\n/);
  const line = before.length;
  const column = before[before.length - 1]!.length + 1;
  return `E config: ${label}: line ${line}, column ${column}: invalid JSON: ${reason}: ${jsonHint(text, pos)}`;
}

/** The usual cause of a JSON error at `pos`, judged from the text there. */
function jsonHint(text: string, pos: number): string {
  const rest = text.slice(pos);
  if (rest.startsWith("//") || rest.startsWith("/*")) return "JSON has no comments: remove them";
  if (rest.startsWith("'")) return "JSON strings need double quotes \"...\", not single quotes";
  if (/^[\p{L}_]/u.test(rest)) return "put text values in double quotes, e.g. \"host\": \"tb.example.org\"";
  if (/^[}\]]/.test(rest) && /,\s*$/.test(text.slice(0, pos))) return "remove the comma before the closing bracket (JSON allows none)";
  if (rest.trim() === "") return "the file ends too early: check for a missing } or \"";
  return "check for a missing comma or quote on this line or the one before";
}

/**
 * Offset of the first JSON syntax error, for parser messages that give no position.
 * A small recursive-descent scan of the JSON grammar (RFC 8259); only run after JSON.parse failed.
 */
function findJsonError(t: string): number {
  let i = 0;
  const ws = () => { while (i < t.length && " \t\r\n".includes(t[i]!)) i++; };
  const fail = (): never => { throw i; };
  const value = (): void => {
    ws();
    const c = t[i];
    if (c === "{") {
      i++; ws();
      if (t[i] === "}") { i++; return; }
      for (;;) {
        ws(); if (t[i] !== "\"") fail(); string(); ws();
        if (t[i] !== ":") fail(); i++; value(); ws();
        if (t[i] === ",") { i++; continue; }
        if (t[i] === "}") { i++; return; }
        fail();
      }
    }
    if (c === "[") {
      i++; ws();
      if (t[i] === "]") { i++; return; }
      for (;;) {
        value(); ws();
        if (t[i] === ",") { i++; continue; }
        if (t[i] === "]") { i++; return; }
        fail();
      }
    }
    if (c === "\"") return string();
    const lit = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(t.slice(i));
    if (!lit) fail();
    i += lit![0].length;
  };
  const string = () => {
    i++;
    while (i < t.length && t[i] !== "\"") {
      if (t[i]! < " ") fail();
      if (t[i] === "\\") {
        i++;
        if (t[i] === "u") { if (!/^[0-9a-fA-F]{4}/.test(t.slice(i + 1, i + 5))) fail(); i += 4; }
        else if (!"\"\\/bfnrt".includes(t[i] ?? "x")) fail();
      }
      i++;
    }
    if (i >= t.length) fail();
    i++;
  };
  try {
    value(); ws();
    return i < t.length ? i : t.length;
  } catch (pos) {
    return Math.min(pos as number, t.length);
  }
}

function parseEnv(text: string, kind: EnvKind, name: string, key: string): string | number | boolean | { problem: string } {
  const s = text.trim();
  if (kind === "integer") {
    if (/^[+-]?\d+$/.test(s)) return Number(s);
    return { problem: `E config: env ${name}: ${key}: ${JSON.stringify(text.slice(0, 40))} is not a whole number: set ${name} to digits only, e.g. ${name}=${fields[key as Key].example}` };
  }
  if (kind === "boolean") {
    if (/^(true|1|yes|on)$/i.test(s)) return true;
    if (/^(false|0|no|off)$/i.test(s)) return false;
    return { problem: `E config: env ${name}: ${key}: ${JSON.stringify(text.slice(0, 40))} is not a boolean: set ${name} to true or false (1/0, yes/no also work)` };
  }
  return text;
}

/** A TB_* variable one typo away from a real one is probably meant as that one. */
function envTypos(env: Record<string, string | undefined>): string[] {
  const known = CONFIG_KEYS.map(envVarFor);
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith("TB_") || known.includes(name) || name === "TB_CONFIG") continue;
    const near = closest(name, known);
    if (distance(name, near) <= 2) warnings.push(`W config: env ${name} is not a config variable and is ignored: did you mean ${near}?`);
  }
  return warnings;
}
