// What a valid device configuration is: one entry per key (its schema, default, environment type,
// example value, and whether it is a secret), the check of each value, and the rules between keys.
// A check returns "what is wrong: how to fix it" in the key's own words, or undefined; the lines
// around those words are made in config-messages.ts, and reading files and TB_* variables in
// config-loading.ts.
import { isIP } from "node:net";
import { z } from "zod";
import { BOARDS, mask, MAX_INTERVAL_MS, MIN_INTERVAL_MS, type BoardJson, type BoardName } from "../common/index.ts";

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
  /** Where readings come from: the example's simulated values, the ESP32's internal sensor, or a part wired to the board. */
  sensor: SensorName;
  /** GPIO numbers of the I2C lines and of a 1-Wire or DHT sensor's data line: given ("D21", "GPIO21" or 21)
   *  or board/<chip>.json's device.sensorPins; a key the sensor does not use always holds that default. */
  sda: number;
  scl: number;
  pin: number;
  /** The I2C sensor's 7-bit address: given, or the part's default; 0 when the sensor is not on I2C. */
  i2cAddress: number;
  /** Telemetry key names (the example's dashboards use the misspelled "temprature"). */
  temperatureKey: string;
  humidityKey: string;
  /** Sent only by a sensor that measures pressure (bme280). */
  pressureKey: string;
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

/** The `sensor` values: the firmware's own readings, then the parts it has a driver for (src/sensors/). */
export const SENSORS = ["simulated", "internal", "sht3x", "sht4x", "bme280", "ds18b20", "dht22"] as const;
export type SensorName = (typeof SENSORS)[number];

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
  return `${n} is out of range: use 1-200 readings (each costs 4 bytes of RAM for its time and 4 per value; 200 still fits the ESP32-C3's 4,095 JsVars beside TLS)`;
}

function checkSntpServer(s: string): string | undefined {
  const problem = checkHost(s);
  return problem ? problem.replace("your ThingsBoard server's", "a time server's").replace(/e\.g\. .*$/, "e.g. \"pool.ntp.org\"") : undefined;
}

function checkPath(s: string): string | undefined {
  return s.trim() === "" ? "is empty: set it to the server certificate's PEM file, e.g. \"certs/server.pem\"" : undefined;
}

// Pins and I2C addresses. The format is checked here; whether the chip has the pin and what the board
// uses it for is judged with the board file, in sensorProblems below.

/** The GPIO number of 21, "21", "D21" (Espruino's name) or "GPIO21" (ESPHome's and ESP-IDF's), any case. */
export function parsePin(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== "string") return undefined;
  const m = /^\s*(?:D|GPIO)?(\d{1,3})\s*$/i.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** How the build writes a pin: Espruino's name. */
export const pinName = (gpio: number) => `D${gpio}`;

function checkPinValue(example: number) {
  return (v: unknown): string | undefined => {
    if (parsePin(v) !== undefined) return undefined;
    const digits = typeof v === "string" ? /\d+/.exec(v)?.[0] : undefined;
    const n = digits ? Number(digits) : example;
    return `${describeValue(v)} is not a pin: write the GPIO number as ${n}, "D${n}" or "GPIO${n}"`;
  };
}

/** 0x44 (a number) or "0x44" (a hex string). */
export function parseI2cAddress(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isInteger(v) && v >= 0 && v <= 0x7f ? v : undefined;
  if (typeof v !== "string") return undefined;
  const m = /^\s*0x([0-9a-f]{1,2})\s*$/i.exec(v);
  return m && parseInt(m[1]!, 16) <= 0x7f ? parseInt(m[1]!, 16) : undefined;
}

export const hex = (address: number) => "0x" + address.toString(16).padStart(2, "0");

function checkI2cAddress(v: unknown): string | undefined {
  if (parseI2cAddress(v) !== undefined) return undefined;
  const digits = typeof v === "string" && /^\s*\d{1,2}\s*$/.test(v) ? v.trim() : undefined;
  const fix = digits ? `write it in hex as "0x${digits}", or as a number` : "write it in hex as a string, e.g. \"0x44\", or as a number";
  return `${describeValue(v)} is not a 7-bit I2C address: ${fix}`;
}

/** A value as a message shows it (none of these keys is a secret). */
function describeValue(v: unknown): string {
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  if (typeof v === "number" || typeof v === "boolean") return `the ${typeof v} ${v}`;
  if (v === null) return "null";
  return Array.isArray(v) ? "a list [...]" : `${typeof v === "object" ? "an object {...}" : typeof v}`;
}

/** An optional key whose given value is normalised to a number; the default comes from the board file. */
function boardDefaulted(check: (v: unknown) => string | undefined, parse: (v: unknown) => number | undefined) {
  return z.unknown().superRefine(rule(check)).transform((v) => parse(v)!).optional();
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
    schema: z.enum(SENSORS).default("simulated"), env: "string", example: "simulated",
  },
  sda: {
    schema: boardDefaulted(checkPinValue(21), parsePin), env: "string", example: "D21",
  },
  scl: {
    schema: boardDefaulted(checkPinValue(22), parsePin), env: "string", example: "D22",
  },
  pin: {
    schema: boardDefaulted(checkPinValue(4), parsePin), env: "string", example: "D4",
  },
  i2cAddress: {
    schema: boardDefaulted(checkI2cAddress, parseI2cAddress), env: "string", example: "0x44",
  },
  temperatureKey: {
    schema: z.string().superRefine(rule(checkTelemetryKey)).default("temperature"), env: "string", example: "temperature",
  },
  humidityKey: {
    schema: z.string().superRefine(rule(checkTelemetryKey)).default("humidity"), env: "string", example: "humidity",
  },
  pressureKey: {
    schema: z.string().superRefine(rule(checkTelemetryKey)).default("pressure"), env: "string", example: "pressure",
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

/** Keys whose default depends on the board or the sensor: the schema leaves them out when not given,
 *  and sensorSettings fills them in. */
export type BoardDefaultedKey = "sda" | "scl" | "pin" | "i2cAddress";
/** What the schema gives: DeviceConfig, but the board's defaults not yet filled in. */
export type ParsedConfig = Omit<DeviceConfig, BoardDefaultedKey> & Partial<Pick<DeviceConfig, BoardDefaultedKey>>;

// The schema's output must be exactly that.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesType: Same<z.output<typeof deviceConfigSchema>, ParsedConfig> = true;
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

// ---------------------------------------------------------------------------------------------
// Sensors: which keys each one reads, the I2C addresses each part answers on, and the pins the board
// file (device.gpio, device.ledPin, device.sensorPins) allows.

type Quantity = "temperature" | "humidity" | "pressure";
interface SensorPart {
  /** As messages name the part. */
  name: string;
  bus: "none" | "i2c" | "1-wire" | "dht";
  /** The addresses it answers on, the default first, each with how it is chosen (the part's datasheet). */
  addresses?: Array<[number, string]>;
  measures: Quantity[];
}

const PARTS: Record<SensorName, SensorPart> = {
  // "internal" falls back to simulated readings on chips without one, humidity included.
  simulated: { name: "simulated", bus: "none", measures: ["temperature", "humidity"] },
  internal: { name: "internal", bus: "none", measures: ["temperature", "humidity"] },
  sht3x: { name: "SHT3x", bus: "i2c", addresses: [[0x44, "ADDR pin to GND"], [0x45, "ADDR pin to VDD"]], measures: ["temperature", "humidity"] },
  sht4x: {
    name: "SHT4x", bus: "i2c", addresses: [[0x44, "SHT4x-AD1B"], [0x45, "SHT4x-BD1B"], [0x46, "SHT4x-CD1B"]],
    measures: ["temperature", "humidity"],
  },
  bme280: { name: "BME280", bus: "i2c", addresses: [[0x76, "SDO to GND"], [0x77, "SDO to VDDIO"]], measures: ["temperature", "humidity", "pressure"] },
  ds18b20: { name: "DS18B20", bus: "1-wire", measures: ["temperature"] },
  dht22: { name: "DHT22", bus: "dht", measures: ["temperature", "humidity"] },
};

type PinKey = "sda" | "scl" | "pin";
const PIN_KEYS: readonly PinKey[] = ["sda", "scl", "pin"];
const SENSOR_KEYS: readonly Key[] = ["sda", "scl", "pin", "i2cAddress", "humidityKey", "pressureKey"];

/** The sensor keys `sensor` reads (temperatureKey is read by all). */
function usedKeys(sensor: SensorName): Set<Key> {
  const part = PARTS[sensor];
  const keys = new Set<Key>(part.bus === "i2c" ? ["sda", "scl", "i2cAddress"] : part.bus === "none" ? [] : ["pin"]);
  if (part.measures.includes("humidity")) keys.add("humidityKey");
  if (part.measures.includes("pressure")) keys.add("pressureKey");
  return keys;
}

/** The telemetry key names in the order the sensor gives its values: [temperature, humidity], and pressure
 *  only for a sensor that measures it. */
export function telemetryKeys(c: DeviceConfig): string[] {
  return PARTS[c.sensor].measures.includes("pressure") ? [c.temperatureKey, c.humidityKey, c.pressureKey] : [c.temperatureKey, c.humidityKey];
}

/** The pin the board file names as `key`'s default. */
function defaultPin(board: BoardJson, key: PinKey): number {
  const gpio = parsePin(board.device.sensorPins[key]);
  if (gpio === undefined) throw new Error(`board/${board.device.chip}.json: device.sensorPins.${key} is not a pin`);
  return gpio;
}

/** The config with its board- and sensor-dependent defaults: a key the sensor reads keeps its given value;
 *  the others get the default (a pin from device.sensorPins, the part's first I2C address, or 0), so the
 *  firmware's constants always exist and an ignored key changes nothing in the bundle. */
export function withSensorDefaults<P extends Pick<ParsedConfig, "sensor" | BoardDefaultedKey>>(
  p: P, board: BoardJson,
): Omit<P, BoardDefaultedKey> & Pick<DeviceConfig, BoardDefaultedKey> {
  const uses = usedKeys(p.sensor);
  const pick = (key: BoardDefaultedKey, fallback: number) => (uses.has(key) && p[key] !== undefined ? p[key] : fallback);
  return {
    ...p,
    sda: pick("sda", defaultPin(board, "sda")),
    scl: pick("scl", defaultPin(board, "scl")),
    pin: pick("pin", defaultPin(board, "pin")),
    i2cAddress: pick("i2cAddress", PARTS[p.sensor].addresses?.[0]?.[0] ?? 0),
  };
}

/** "D6-D11", "D1 TX, D3 RX", "D0-D19, D21-D23": consecutive pins as ranges. */
function pinList(pins: readonly number[], names?: Record<string, string>): string {
  if (names) return pins.map((p) => `${pinName(p)} ${names[p] ?? ""}`.trim()).join(", ");
  const runs: string[] = [];
  for (let i = 0; i < pins.length;) {
    let j = i;
    while (j + 1 < pins.length && pins[j + 1] === pins[j]! + 1) j++;
    runs.push(j > i ? `${pinName(pins[i]!)}-${pinName(pins[j]!)}` : pinName(pins[i]!));
    i = j + 1;
  }
  return runs.join(", ");
}

/** What the line on `key` is, as a fix names it. */
function role(key: PinKey, part: SensorPart): string {
  if (key !== "pin") return key.toUpperCase();
  return part.bus === "1-wire" ? `the ${part.name}'s data line (DQ)` : `the ${part.name}'s data line`;
}

/** Why the line must be driven, for an input-only pin. */
function drives(key: PinKey, part: SensorPart): string {
  if (key !== "pin") return `I2C must pull ${key.toUpperCase()} low`;
  return part.bus === "1-wire" ? "1-Wire must pull the data line low to reset and write" : `the ${part.name} is started by pulling its data line low`;
}

/** "wire SDA to another GPIO, e.g. D21 (the default)": the default unless it is `avoid`, then another
 *  of the board's sensor pins. */
function moveTo(key: PinKey, part: SensorPart, board: BoardJson, avoid?: number): string {
  const own = defaultPin(board, key);
  const other = PIN_KEYS.map((k) => defaultPin(board, k)).find((g) => g !== avoid && g !== own);
  const example = own !== avoid ? `${pinName(own)} (the default)` : pinName(other!);
  return `wire ${role(key, part)} to another GPIO, e.g. ${example}`;
}

/** Why `gpio` cannot carry `key` on this board, or undefined. */
function pinProblem(key: PinKey, gpio: number, part: SensorPart, board: BoardJson): string | undefined {
  const g = board.device.gpio;
  const chip = board.info.name;
  const at = pinName(gpio);
  const fix = moveTo(key, part, board);
  if (!g.pins.some(([a, b]) => gpio >= a && gpio <= b)) {
    const has = g.pins.map(([a, b]) => (a === b ? pinName(a) : `${pinName(a)}-${pinName(b)}`)).join(", ");
    return `${at} is not a GPIO of the ${chip} (it has ${has}): ${fix}`;
  }
  if (parsePin(board.device.ledPin) === gpio) {
    return `${at} drives the LED the firmware blinks (device.ledPin in board/${board.device.chip}.json): ${fix}`;
  }
  const reserved = g.reserved.find((r) => r.pins.includes(gpio));
  if (reserved) {
    return `${at} is one of the ${chip}'s ${reserved.for} (${pinList(reserved.pins, reserved.names)})` +
      `${reserved.note ? ", " + reserved.note : ""}: ${fix}`;
  }
  if (g.inputOnly.includes(gpio)) {
    return `${at} is input-only on the ${chip} (${pinList(g.inputOnly)} cannot drive a line), and ${drives(key, part)}: ${fix}`;
  }
  return undefined;
}

/** Pins the chip lacks or the board uses, SDA on SCL's pin, an address the part does not answer on.
 *  Only given values are judged: the board file's defaults are right by construction (test/config-sensor.test.ts). */
export function sensorProblems(c: Pick<DeviceConfig, "sensor" | BoardDefaultedKey>, given: Record<string, unknown>, board: BoardJson): KeyNote[] {
  const part = PARTS[c.sensor];
  const uses = usedKeys(c.sensor);
  const out: KeyNote[] = [];
  for (const key of PIN_KEYS) {
    if (!uses.has(key) || given[key] === undefined) continue;
    const problem = pinProblem(key, c[key], part, board);
    if (problem) out.push({ key, text: problem });
  }
  if (part.bus === "i2c" && out.length === 0 && c.sda === c.scl) {
    const key: PinKey = given.scl !== undefined ? "scl" : "sda";
    const other: PinKey = key === "scl" ? "sda" : "scl";
    const dflt = given[other] === undefined ? " (the default)" : "";
    out.push({ key, text: `${pinName(c[key])} is ${other}'s pin too${dflt}: I2C needs two GPIOs, one for SDA and one for SCL: ` +
      moveTo(key, part, board, c[key]) });
  }
  if (part.addresses && given.i2cAddress !== undefined && !part.addresses.some(([a]) => a === c.i2cAddress)) {
    const options = part.addresses.map(([a, how], i) => `${hex(a)} (${how}${i === 0 ? ", the default" : ""})`);
    const list = `${options.slice(0, -1).join(", ")} or ${options.at(-1)}`;
    out.push({ key: "i2cAddress", text: `${hex(c.i2cAddress)} is not an address the ${part.name} answers on: use ${list}` });
  }
  return out;
}

/** Why a given key is not read by `sensor`. */
function unusedBecause(key: Key, sensor: SensorName): string {
  const part = PARTS[sensor];
  if (key === "pressureKey") return `which measures no pressure (only "bme280" does)`;
  if (key === "humidityKey") return `which measures temperature only`;
  if (part.bus === "none") return "which needs no wiring";
  if (part.bus === "i2c") return `an I2C sensor on "sda" and "scl"`;
  return `which is wired to one data pin ("pin"), not to I2C`;
}

/** Sensor keys that are ignored, and pins that work but can stop the board from starting or flashing. */
export function sensorWarnings(c: DeviceConfig, given: Record<string, unknown>, board: BoardJson): KeyNote[] {
  const part = PARTS[c.sensor];
  const uses = usedKeys(c.sensor);
  const g = board.device.gpio;
  const out: KeyNote[] = [];
  for (const key of SENSOR_KEYS) {
    if (given[key] === undefined || uses.has(key)) continue;
    const fix = part.bus === "none" && key !== "pressureKey" && key !== "humidityKey" ? ", or set \"sensor\" to the part you wired" : "";
    out.push({ key, text: `is not used with "sensor": "${c.sensor}", ${unusedBecause(key, c.sensor)}: remove it${fix}` });
  }
  for (const key of PIN_KEYS) {
    if (!uses.has(key) || given[key] === undefined) continue;
    const gpio = c[key];
    const strap = g.strapping.find((s) => s.pin === gpio);
    if (strap) {
      out.push({ key, text: `${pinName(gpio)} is a strapping pin of the ${board.info.name}, read at power-up: ${strap.risk}; ` +
        `if that happens, ${moveTo(key, part, board)}` });
    }
    const psram = g.psram.find((m) => m.pins.includes(gpio));
    if (psram) {
      out.push({ key, text: `${pinName(gpio)} is wired to the ${psram.memory} of ${board.info.name} modules that have one (${psram.modules}): ` +
        `${psram.risk}; on such a module, ${moveTo(key, part, board)}` });
    }
  }
  return out;
}
