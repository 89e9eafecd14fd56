// What a valid device configuration is: one entry per key (its schema, default, environment type,
// example value, and whether it is a secret), the check of each value, and the rules between keys.
// A check returns "what is wrong: how to fix it" in the key's own words, or undefined; the lines
// around those words are made in config-messages.ts, and reading files and TB_* variables in
// config-loading.ts.
import { isIP } from "node:net";
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
  /** The device's access token; "" when the board gets one by provisioning. */
  accessToken: string;
  /** ThingsBoard device provisioning (docs/thingsboard.md §5): the device profile's key and secret ("" when unused). */
  provisionDeviceKey: string;
  provisionDeviceSecret: string;
  /** The name a provisioned device asks for; "" for one made from the chip's serial. */
  deviceName: string;
  /** Firmware updates over ThingsBoard's OTA (docs/ota.md): the update code is built in only when true. */
  ota: boolean;
  /** What the board reports as its firmware version (fw_version of an update); "" for package.json's version. */
  firmwareVersion: string;
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

export const DEFAULT_CONFIG_FILE = "device.config.json";
/** Holds every key's `example` value below. */
export const EXAMPLE_CONFIG_FILE = "device.config.example.json";

/** ThingsBoard's MQTT ports: over TLS, and plain. */
export const TLS_PORT = 8883;
export const PLAIN_PORT = 1883;

/** In ESP-IDF order: the firmware gets the index (0 none … 5 verbose). */
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
// characters: a longer value is cut and can never join (docs/espruino.md §3.1).
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

/** Where a provisioning key and secret come from, for every message about them. */
const PROVISION_WHERE = "ThingsBoard: Profiles → Device profiles → your profile → Device provisioning";

function checkProvisionValue(s: string): string | undefined {
  if (s === "") return `is empty: copy it from ${PROVISION_WHERE}, or remove the key to use accessToken`;
  if (/\s/.test(s)) return `has whitespace: copy it again from ${PROVISION_WHERE}, without spaces or line breaks`;
  if (s.length > 256) return `has ${s.length} characters; ThingsBoard's are far shorter: copy it again from ${PROVISION_WHERE}`;
  if (/[^\x21-\x7e]/.test(s)) return `has a character that is not printable ASCII: copy it again from ${PROVISION_WHERE}`;
  return undefined;
}

function checkDeviceName(s: string): string | undefined {
  if (/^[\x20-\x7e]{1,64}$/.test(s) && !/["\\]/.test(s) && s.trim() === s) return undefined;
  return `${JSON.stringify(s.slice(0, 40))} is not a usable device name: use 1-64 printable ASCII characters without quotes, ` +
    "backslashes or spaces at either end, or remove the key for one made from the chip's serial";
}

/** docs/ota.md §2: what an OTA package header may carry as title and version. */
export const FIRMWARE_VERSION_RULE = /^[A-Za-z0-9._+-]{1,32}$/;

function checkFirmwareVersion(s: string): string | undefined {
  if (FIRMWARE_VERSION_RULE.test(s)) return undefined;
  return `${JSON.stringify(s.slice(0, 40))} is not a usable version: use 1-32 of A-Z a-z 0-9 . _ + -, e.g. "1.2.0", ` +
    "or remove the key for package.json's version";
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

export type EnvKind = "string" | "integer" | "boolean";
export interface Field {
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
    schema: z.int().superRefine(rule(checkPort)).default(TLS_PORT), env: "integer", example: TLS_PORT,
  },
  tls: {
    schema: z.boolean().default(true), env: "boolean", example: true,
  },
  accessToken: {
    schema: z.string().superRefine(rule(checkAccessToken)).default(""), env: "string", secret: true, example: "A1_TEST_TOKEN",
  },
  provisionDeviceKey: {
    schema: z.string().superRefine(rule(checkProvisionValue)).default(""), env: "string", example: "",
  },
  provisionDeviceSecret: {
    schema: z.string().superRefine(rule(checkProvisionValue)).default(""), env: "string", secret: true, example: "",
  },
  deviceName: {
    schema: z.string().superRefine(rule(checkDeviceName)).default(""), env: "string", example: "",
  },
  ota: {
    schema: z.boolean().default(false), env: "boolean", example: false,
  },
  firmwareVersion: {
    schema: z.string().superRefine(rule(checkFirmwareVersion)).default(""), env: "string", example: "",
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

export type Key = keyof typeof FIELDS;
export const fields: Record<Key, Field> = FIELDS;

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
// Rules between keys, on values that passed the schema. `given` holds what the file and the
// environment set, before defaults, so a default is never blamed.

export interface KeyNote {
  key: Key;
  /** "what is wrong: how to fix it" */
  text: string;
}

/** Plain MQTT is never reached by accident: no TLS port, no certificate that would not be used. */
export function plainMqttProblems(c: DeviceConfig, given: Record<string, unknown>): KeyNote[] {
  if (c.tls) return [];
  const out: KeyNote[] = [];
  if (c.port === TLS_PORT) {
    out.push({ key: "port", text: `${TLS_PORT} is ThingsBoard's MQTT-over-TLS port, but "tls" is false: ` +
      `set "port": ${PLAIN_PORT} for plain MQTT, or remove "tls": false` });
  }
  if (given.serverCert !== undefined) {
    out.push({ key: "serverCert", text: "a certificate is set, but \"tls\" is false and would not use it: " +
      "remove serverCert for plain MQTT, or remove \"tls\": false to use TLS" });
  }
  return out;
}

/** One way to get credentials: an access token, or a provisioning key and secret. Judged on what was
 *  given alone, so that it is reported beside the schema's own problems too. */
export function credentialProblems(given: Record<string, unknown>): KeyNote[] {
  const token = given.accessToken !== undefined;
  const key = given.provisionDeviceKey !== undefined;
  const secret = given.provisionDeviceSecret !== undefined;
  if (token && (key || secret)) {
    return [{ key: "accessToken", text: "is set together with provisioning (provisionDeviceKey/provisionDeviceSecret): " +
      "keep accessToken for a device you created in ThingsBoard, or remove it to let the board provision itself" }];
  }
  if (key !== secret) {
    const missing = key ? "provisionDeviceSecret" : "provisionDeviceKey";
    return [{ key: missing, text: `is missing: provisioning needs both the key and the secret (${PROVISION_WHERE})` }];
  }
  if (!token && !key) {
    return [{ key: "accessToken", text: "is missing: set it to your device's access token (ThingsBoard: Entities → Devices → " +
      "your device → Copy access token), or set provisionDeviceKey and provisionDeviceSecret to let the board provision itself" }];
  }
  if (given.deviceName !== undefined && !key) {
    return [{ key: "deviceName", text: "is used only when provisioning: remove it (ThingsBoard names a device you create yourself)" }];
  }
  return [];
}

/** Values that work but are probably not meant; `isExample` when the file is the example itself. */
export function configWarnings(c: DeviceConfig, given: Record<string, unknown>, isExample: boolean): KeyNote[] {
  const out: KeyNote[] = [];
  for (const key of ["wifiSsid", "wifiPassword", "accessToken"] as const) {
    if (!isExample && given[key] === FIELDS[key].example) {
      out.push({ key, text: `still the example value from ${EXAMPLE_CONFIG_FILE}: fine for the local virtual board, set your own for a real one` });
    }
  }
  if (c.wifiSsid !== c.wifiSsid.trim()) {
    out.push({ key: "wifiSsid", text: "starts or ends with a space: check that the network name really has it" });
  }
  if (!c.tls) {
    out.push({ key: "tls", text: "false: the access token and the telemetry cross the network in clear, " +
      "readable and forgeable by anyone on the path; use it only on an isolated network you control (README: \"Plain MQTT\")" });
  } else if (c.port === PLAIN_PORT) {
    out.push({ key: "port", text: `${PLAIN_PORT} is ThingsBoard's plain MQTT port, but this firmware uses TLS: use ${TLS_PORT} unless your server runs TLS there` });
  }
  return out;
}
