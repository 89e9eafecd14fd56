// Device configuration: every bad value gives one line naming the key, its source and the fix,
// all problems at once, and no secret ever appears in what the user sees.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import {
  CONFIG_KEYS, ConfigError, describeConfig, envVarFor, loadDeviceConfig, validateDeviceConfig,
  type DeviceConfig,
} from "../tools/bundler/config.ts";
import { run } from "./helpers/run.ts";

const ROOT = join(import.meta.dirname, "..");
const FIX = join(import.meta.dirname, "fixtures", "config");
const FIX_LABEL = "test/fixtures/config";
const TOKEN = "Zq8SECRETtok3n";
const PASSWORD = "correct-horse-42";

const scratch = mkdtempSync(join(tmpdir(), "tb-config-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const good = { wifiSsid: "Garden Shed", wifiPassword: PASSWORD, host: "tb.example.org", accessToken: TOKEN };
const origin = { file: join(ROOT, "device.config.json"), cwd: ROOT };

/** The problem lines of a ConfigError (fails if anything else happens). */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.message, e.problems.join("\n"));
    return e.problems;
  }
  assert.fail("expected a ConfigError");
}

/** `npm run build` as run from `cwd` (where device.config.json is), as the package script runs it. */
const build = (cwd: string, ...args: string[]) =>
  run(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "tools", "bundler", "cli.ts"), ...args], { cwd, limitMs: 60_000 });

const validate = (raw: unknown) => problems(() => validateDeviceConfig(raw, origin));
const load = (file: string, env: Record<string, string | undefined> = {}) =>
  loadDeviceConfig({ file: join(FIX, file), cwd: ROOT, env });
const loadProblems = (file: string, env: Record<string, string | undefined> = {}) => problems(() => load(file, env));

function assertNoSecret(lines: string[], ...secrets: string[]): void {
  for (const s of secrets) for (const l of lines) assert.ok(!l.includes(s), `secret leaked in: ${l}`);
}

/** Exactly one problem, about `key`, from `source`, containing every fragment. */
function assertOne(lines: string[], source: string, key: string, ...fragments: string[]): void {
  assert.equal(lines.length, 1, lines.join("\n"));
  const [line] = lines as [string];
  assert.ok(line.startsWith(`E config: ${source}: ${key}: `), line);
  for (const f of fragments) assert.ok(line.includes(f), `missing ${JSON.stringify(f)} in: ${line}`);
  assertNoSecret(lines, TOKEN, PASSWORD);
}

describe("the example config", () => {
  test("has every key with the documented local values and loads without warnings", () => {
    const { config, warnings, file } = loadDeviceConfig({ file: "device.config.example.json", cwd: ROOT, env: {} });
    assert.equal(file, join(ROOT, "device.config.example.json"));
    assert.deepEqual(warnings, []);
    assert.deepEqual(config, {
      board: "esp32", wifiSsid: "MySSID", wifiPassword: "MyPassword", host: "localhost", port: 8883, tls: true,
      accessToken: "A1_TEST_TOKEN", telemetryIntervalMs: 5000, skipCnCheck: false, logLevel: "info",
      serverCert: join(ROOT, "certs", "server.pem"),
      sensor: "simulated", sda: 21, scl: 22, pin: 4, i2cAddress: 0,
      temperatureKey: "temperature", humidityKey: "humidity", pressureKey: "pressure", queueCapacity: 50, sntpServer: "pool.ntp.org",
      provisionDeviceKey: "", provisionDeviceSecret: "", deviceName: "", ota: false, firmwareVersion: "",
    } satisfies DeviceConfig);
    assert.deepEqual(Object.keys(config).sort(), [...CONFIG_KEYS].sort());
  });

  test("its placeholder values copied into device.config.json warn, without echoing the secrets", () => {
    const { warnings } = load("placeholders.json");
    assert.equal(warnings.length, 3, warnings.join("\n"));
    for (const key of ["wifiSsid", "wifiPassword", "accessToken"]) {
      assert.ok(warnings.some((w) => w.startsWith(`W config: ${FIX_LABEL}/placeholders.json: ${key}: still the example value`)), key);
    }
    assertNoSecret(warnings, "A1_TEST_TOKEN", "MyPassword");
  });
});

describe("valid files", () => {
  test("every key is read; serverCert resolves against the config file's folder", () => {
    const { config, warnings } = load("valid.json");
    assert.deepEqual(warnings, []);
    assert.deepEqual(config, {
      board: "esp32c3", wifiSsid: "Garden Shed", wifiPassword: PASSWORD, host: "tb.example.org", port: 8884, tls: true,
      accessToken: TOKEN, telemetryIntervalMs: 60000, skipCnCheck: true, logLevel: "debug",
      serverCert: join(ROOT, "test", "fixtures", "certs", "tb.pem"),
      sensor: "simulated", sda: 4, scl: 5, pin: 3, i2cAddress: 0,
      temperatureKey: "temperature", humidityKey: "humidity", pressureKey: "pressure", queueCapacity: 50, sntpServer: "pool.ntp.org",
      provisionDeviceKey: "", provisionDeviceSecret: "", deviceName: "", ota: false, firmwareVersion: "",
    });
  });

  test("optional keys take their defaults", () => {
    const { config } = load("minimal.json");
    assert.deepEqual(config, {
      board: "esp32", wifiSsid: "Garden Shed", wifiPassword: "", host: "192.168.1.10", port: 8883, tls: true, accessToken: TOKEN,
      telemetryIntervalMs: 5000, skipCnCheck: false, logLevel: "info", serverCert: join(FIX, "certs", "server.pem"),
      sensor: "simulated", sda: 21, scl: 22, pin: 4, i2cAddress: 0,
      temperatureKey: "temperature", humidityKey: "humidity", pressureKey: "pressure", queueCapacity: 50, sntpServer: "pool.ntp.org",
      provisionDeviceKey: "", provisionDeviceSecret: "", deviceName: "", ota: false, firmwareVersion: "",
    });
  });

  test("host names, IPv4 and IPv6 literals, 63-character passwords and 31-byte UTF-8 SSIDs are accepted", () => {
    for (const host of ["localhost", "tb.example.org", "my-tb.local.", "10.0.0.2", "::1", "fe80::1", "2001:db8::8883"]) {
      assert.equal(validateDeviceConfig({ ...good, host }, origin).host, host);
    }
    // Exactly at Espruino 2v29's ESP32 limits: 63 password characters, 31 SSID bytes.
    assert.ok(validateDeviceConfig({ ...good, wifiPassword: "a".repeat(63) }, origin));
    assert.ok(validateDeviceConfig({ ...good, wifiPassword: "0123456789abcdef".repeat(4).slice(0, 63) }, origin));
    assert.ok(validateDeviceConfig({ ...good, wifiSsid: "s".repeat(31) }, origin));
    assert.ok(validateDeviceConfig({ ...good, wifiSsid: "é".repeat(15) + "s" }, origin)); // 31 bytes
  });
});

describe("missing and malformed files", () => {
  test("a missing file says to copy the example and which keys to set", () => {
    const lines = problems(() => loadDeviceConfig({ cwd: scratch, env: {} }));
    assert.deepEqual(lines, ["E config: device.config.json not found: copy device.config.example.json to device.config.json and set wifiSsid, wifiPassword, host and accessToken"]);
  });

  test("TB_CONFIG chooses the file, and a wrong TB_CONFIG is named as the source", () => {
    const { config } = loadDeviceConfig({ cwd: ROOT, env: { TB_CONFIG: join(FIX, "valid.json") } });
    assert.equal(config.port, 8884);
    const [line] = problems(() => loadDeviceConfig({ cwd: scratch, env: { TB_CONFIG: "nope.json" } }));
    assert.match(line!, /^E config: nope\.json not found \(from TB_CONFIG\): copy device\.config\.example\.json/);
  });

  test("invalid JSON gives file, line, column and the parser's reason", () => {
    const [line] = loadProblems("missing-comma.json");
    assert.match(line!, /^E config: test\/fixtures\/config\/missing-comma\.json: line 4, column 3: invalid JSON: Expected ',' or '}' after property value: check for a missing comma or quote on this line or the one before$/);
  });

  test("a parser error without a position is located, and the source around it is not quoted", () => {
    const lines = loadProblems("unquoted-secret.json");
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^E config: test\/fixtures\/config\/unquoted-secret\.json: line 4, column 18: invalid JSON: Unexpected token: put text values in double quotes/);
    assertNoSecret(lines, TOKEN, "SECRET");
  });

  test("comments, trailing commas, single quotes and a cut-off file each get their hint", () => {
    const [line] = loadProblems("comments.json");
    assert.match(line!, /line 2, column 3: invalid JSON: .*: JSON has no comments: remove them$/);
    const cases: [string, RegExp][] = [
      ['{"host": "a",\n}', /line 2, column 1: invalid JSON: .*: remove the comma before the closing bracket/],
      ["{'host': 'a'}", /line 1, column 2: invalid JSON: .*: JSON strings need double quotes/],
      ['{"host": "a"', /line 1, column 13: invalid JSON: .*: the file ends too early/],
    ];
    for (const [text, expected] of cases) {
      const file = join(scratch, "syntax.json");
      writeFileSync(file, text);
      const lines = problems(() => loadDeviceConfig({ file, env: {} }));
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, expected);
    }
  });

  test("a key written twice is an error naming the key and both lines, not a silent last-one-wins", async () => {
    const dir = mkdtempSync(join(scratch, "dup-"));
    const file = join(dir, "device.config.json");
    writeFileSync(file, [
      "{",
      '  "wifiSsid": "Garden Shed",',
      `  "accessToken": "${TOKEN}",`,
      '  "host": "tb.example.org",',
      '  "port": 8883,',
      '  "host": "192.168.1.10"',
      "}",
    ].join("\n"));
    const expected = "E config: device.config.json: host: is set twice, on lines 4 and 6, and only the last would count: keep one of them";
    assert.deepEqual(problems(() => loadDeviceConfig({ cwd: dir, env: {} })), [expected]);
    // As a user meets it: the build stops with that line and exit code 1.
    const r = await build(dir, "--config", "device.config.json", "--out", join(dir, "fw.js"));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr.trim(), expected);
  });

  test("a file that is not one object, or is empty, says so", () => {
    assert.match(loadProblems("array.json")[0]!, /array\.json: expected one JSON object .*got a list/);
    const empty = join(scratch, "empty.json");
    writeFileSync(empty, "");
    assert.match(problems(() => loadDeviceConfig({ file: empty, env: {} }))[0]!, /empty\.json: the file is empty: copy device\.config\.example\.json/);
  });
});

describe("bad values", () => {
  test("missing accessToken", () => {
    const { accessToken: _, ...raw } = good;
    assertOne(validate(raw), "device.config.json", "accessToken", "is missing", "Copy access token");
  });

  test("provisioning instead of a token: key and secret, an optional name", () => {
    const { accessToken: _, ...raw } = good;
    const c = validateDeviceConfig({ ...raw, provisionDeviceKey: "pk1", provisionDeviceSecret: "ps1", deviceName: "shed-1" }, origin);
    assert.equal(c.accessToken, "");
    assert.deepEqual([c.provisionDeviceKey, c.provisionDeviceSecret, c.deviceName], ["pk1", "ps1", "shed-1"]);
  });

  test("credentials: both ways at once, half of provisioning, a name without provisioning", () => {
    const { accessToken: _, ...raw } = good;
    assertOne(validate({ ...good, provisionDeviceKey: "pk1", provisionDeviceSecret: "ps1" }), "device.config.json", "accessToken",
      "together with provisioning", "remove it to let the board provision itself");
    assertOne(validate({ ...raw, provisionDeviceKey: "pk1" }), "device.config.json", "provisionDeviceSecret", "is missing", "Device provisioning");
    assertOne(validate({ ...raw, provisionDeviceSecret: "ps1" }), "device.config.json", "provisionDeviceKey", "is missing");
    assertOne(validate({ ...good, deviceName: "shed-1" }), "device.config.json", "deviceName", "only when provisioning");
    assertOne(validate(raw), "device.config.json", "accessToken", "is missing", "provisionDeviceKey and provisionDeviceSecret");
  });

  test("bad provisioning values, device names and firmware versions name the key and the rule", () => {
    const { accessToken: _, ...raw } = good;
    const prov = { ...raw, provisionDeviceKey: "pk1", provisionDeviceSecret: "ps1" };
    assertOne(validate({ ...prov, provisionDeviceKey: "" }), "device.config.json", "provisionDeviceKey", "is empty");
    assertOne(validate({ ...prov, provisionDeviceSecret: "ab cd" }), "device.config.json", "provisionDeviceSecret", "has whitespace");
    assertNoSecret(validate({ ...prov, provisionDeviceSecret: "ab cd" }), "ab cd");
    assertOne(validate({ ...prov, deviceName: " shed" }), "device.config.json", "deviceName", "not a usable device name");
    assertOne(validate({ ...good, firmwareVersion: "1.0 beta" }), "device.config.json", "firmwareVersion", "1-32 of A-Z a-z 0-9");
    assert.equal(validateDeviceConfig({ ...good, firmwareVersion: "1.2.0+shed" }, origin).firmwareVersion, "1.2.0+shed");
  });

  test("missing wifiSsid", () => {
    const { wifiSsid: _, ...raw } = good;
    assertOne(validate(raw), "device.config.json", "wifiSsid", "is missing", "name of your Wi-Fi network");
  });

  test("port 0 and 70000 are out of range; \"8883\" is a string", () => {
    assertOne(validate({ ...good, port: 0 }), "device.config.json", "port", "0 is out of range: use 1-65535");
    assert.deepEqual(validate({ ...good, port: 70000 }),
      ["E config: device.config.json: port: 70000 is out of range: use 1-65535 (ThingsBoard MQTT over TLS listens on 8883)"]);
    assertOne(validate({ ...good, port: "8883" }), "device.config.json", "port",
      "expected an integer, got the string \"8883\"", "remove the quotes", "\"port\": 8883");
    assertOne(validate({ ...good, port: 88.5 }), "device.config.json", "port", "expected an integer, got the number 88.5");
  });

  test("host with a scheme, a path, a space or a port says which", () => {
    const cases: [string, string][] = [
      ["mqtts://tb.example.org", "has a scheme (\"mqtts://\"): remove it"],
      ["tb.example.org/api", "has a path (\"/api\"): remove it"],
      ["tb example.org", "contains a space"],
      ["tb.example.org:8883", "has a port (\":8883\"): remove it and set \"port\": 8883"],
      ["[::1]", "without [ ]"],
      ["300.1.2.3", "not one: use four numbers 0-255"],
      ["tb_1.local", "contains \"_\""],
      ["", "is empty"],
    ];
    for (const [host, fragment] of cases) assertOne(validate({ ...good, host }), "device.config.json", "host", fragment);
  });

  test("telemetryIntervalMs 999 is too short, with the millisecond hint", () => {
    assertOne(validate({ ...good, telemetryIntervalMs: 999 }), "device.config.json", "telemetryIntervalMs",
      "999 is out of range: use 1000-86400000", "it is in milliseconds");
    assertOne(validate({ ...good, telemetryIntervalMs: 86_400_001 }), "device.config.json", "telemetryIntervalMs", "use 1000-86400000");
  });

  test("Wi-Fi SSID length is counted in UTF-8 bytes", () => {
    assertOne(validate({ ...good, wifiSsid: "é".repeat(17) }), "device.config.json", "wifiSsid", "is 34 bytes long (UTF-8)", "limit of 31");
    assertOne(validate({ ...good, wifiSsid: "" }), "device.config.json", "wifiSsid", "is empty");
  });

  test("an SSID of 32 bytes, one over what Espruino 2v29 on ESP32 keeps, is refused with the reason", () => {
    for (const [ssid, bytes] of [["s".repeat(32), 32], ["é".repeat(16), 32], ["é".repeat(15) + "ss", 32]] as const) {
      assertOne(validate({ ...good, wifiSsid: ssid }), "device.config.json", "wifiSsid",
        `is ${bytes} bytes long (UTF-8), over the limit of 31`, "Espruino 2v29 on ESP32 cuts the SSID to 31 bytes", "never join");
    }
  });

  test("a password of 64 characters, one over what Espruino 2v29 on ESP32 keeps, is refused without echoing it", () => {
    const hexKey = "0123456789abcdefABCDEF".padEnd(64, "f");
    for (const [pw, fragment] of [[hexKey, "the value is a 64-hex-digit key, over the limit of 63 characters"],
      ["x".repeat(64), "the value has 64 characters, over the limit of 63 characters"],
      ["y".repeat(65), "the value has 65 characters, over the limit of 63 characters"]] as const) {
      const lines = validate({ ...good, wifiPassword: pw });
      assertOne(lines, "device.config.json", "wifiPassword", fragment,
        "Espruino 2v29 on ESP32 cuts the password to 63 characters", "could never join", "passphrase (8-63 characters)");
      assertNoSecret(lines, pw, pw.slice(0, 63), pw.slice(0, 16));
    }
  });

  test("a bad Wi-Fi password is described by its length only", () => {
    for (const [pw, fragment, fix] of [["abc", "the value has 3 characters", "8-63 characters"],
      ["pässwörd", "character 2 of the value is not printable ASCII", "only ASCII"],
      ["1234567", "the value has 7 characters", "use \"\" for an open network"]] as const) {
      const lines = validate({ ...good, wifiPassword: pw });
      assertOne(lines, "device.config.json", "wifiPassword", fragment, fix);
      assertNoSecret(lines, pw);
    }
  });

  test("a bad access token is described by length and position only", () => {
    for (const [tok, fragment] of [[" " + TOKEN, "whitespace at character 1 of 15"], [`${TOKEN}\n`, "whitespace at character 15"],
      ["", "is empty"], [TOKEN.repeat(20), "has 280 characters"]] as const) {
      const lines = validate({ ...good, accessToken: tok });
      assertOne(lines, "device.config.json", "accessToken", fragment, "Copy access token");
    }
    assertOne(validate({ ...good, accessToken: 12345 }), "device.config.json", "accessToken", "expected a string, got a number");
    assertNoSecret(validate({ ...good, accessToken: 12345 }), "12345");
  });

  test("unknown keys suggest the nearest known key", () => {
    const lines = loadProblems("unknown-key.json");
    const file = `${FIX_LABEL}/unknown-key.json`;
    assert.ok(lines.includes(`E config: ${file}: unknown key "acessToken": did you mean "accessToken"?`), lines.join("\n"));
    assert.ok(lines.includes(`E config: ${file}: unknown key "Port": did you mean "port"?`), lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith(`E config: ${file}: accessToken: is missing`)));
    assert.equal(lines.length, 3);
    assertNoSecret(lines, TOKEN);
    assert.match(validate({ ...good, zzzzzzzzzzzzzz: 1 })[0]!, /unknown key "zzzzzzzzzzzzzz": did you mean ".*"\? \(known keys: board, wifiSsid/);
  });

  test("wrong types are all reported at once, each with the expected type and an example", () => {
    const lines = loadProblems("wrong-types.json");
    const file = `${FIX_LABEL}/wrong-types.json`;
    const expect = [
      `${file}: board: the number 32 is not allowed: use one of "esp32", "esp32c3", "esp32s3"`,
      `${file}: wifiPassword: expected a string, got a number: write it as "wifiPassword": "MyPassword"`,
      `${file}: port: expected an integer, got the string "8883": remove the quotes, write it as "port": 8883`,
      `${file}: telemetryIntervalMs: expected an integer, got the number 5000.5`,
      `${file}: skipCnCheck: expected true or false, got the string "false": remove the quotes`,
      `${file}: logLevel: null is not allowed: use one of "none", "error", "warn", "info", "debug", "verbose"`,
      `${file}: serverCert: expected a string, got a list [...]`,
    ];
    assert.equal(lines.length, expect.length, lines.join("\n"));
    for (const e of expect) assert.ok(lines.some((l) => l.startsWith(`E config: ${e}`)), `no line starting: ${e}\n${lines.join("\n")}`);
    assertNoSecret(lines, "12345678", TOKEN);
  });

  test("enum typos get a suggestion", () => {
    assertOne(validate({ ...good, logLevel: "warning" }), "device.config.json", "logLevel", "did you mean \"warn\"?");
    assertOne(validate({ ...good, board: "esp32-c3" }), "device.config.json", "board", "did you mean \"esp32c3\"?");
  });

  test("a chip Espruino 2v29 has no build for (esp32c6) is told so, not \"did you mean esp32c3?\"", async () => {
    const line = (source: string, value: string) => `E config: ${source}: board: "${value}" is not supported: Espruino 2v29 has no ` +
      'build for the ESP32-C6; use one of "esp32", "esp32c3", "esp32s3" (README: "Board support")';
    assert.deepEqual(validate({ ...good, board: "esp32c6" }), [line("device.config.json", "esp32c6")]);
    assert.deepEqual(validate({ ...good, board: "ESP32-C6" }), [line("device.config.json", "ESP32-C6")]);
    assert.deepEqual(loadProblems("valid.json", { TB_BOARD: "esp32c6" }), [line("env TB_BOARD", "esp32c6")]);
    // As a user meets it: the build stops with that line and exit code 1.
    const dir = mkdtempSync(join(scratch, "c6-"));
    writeFileSync(join(dir, "device.config.json"), JSON.stringify({ ...good, board: "esp32c6" }));
    const r = await build(dir, "--out", join(dir, "fw.js"));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr.trim(), line("device.config.json", "esp32c6"));
  });

  test("a port of 1883 warns that it is the plain-MQTT port", () => {
    const dir = mkdtempSync(join(scratch, "p-"));
    writeFileSync(join(dir, "device.config.json"), JSON.stringify({ ...good, port: 1883 }));
    const { warnings } = loadDeviceConfig({ cwd: dir, env: {} });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^W config: device\.config\.json: port: 1883 is ThingsBoard's plain MQTT port.*use 8883/);
  });

  test("a non-object value is one clear problem", () => {
    assert.match(validate(null)[0]!, /expected one JSON object .* got null/);
  });
});

describe("\"tls\": false (plain MQTT)", () => {
  const plain = (extra: Record<string, unknown>, env: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(scratch, "tls-"));
    writeFileSync(join(dir, "device.config.json"), JSON.stringify({ ...good, tls: false, ...extra }));
    return () => loadDeviceConfig({ cwd: dir, env });
  };

  test("takes ThingsBoard's plain port 1883 by default and warns that the token crosses in clear", () => {
    const { config, warnings } = plain({})();
    assert.equal(config.tls, false);
    assert.equal(config.port, 1883);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /^W config: device\.config\.json: tls: false: the access token and the telemetry cross the network in clear, .*only on an isolated network/);
    assertNoSecret(warnings, TOKEN, PASSWORD);
  });

  test("keeps another plain port it is given, and TB_TLS=false works like the key", () => {
    assert.equal(plain({ port: 11883 })().config.port, 11883);
    const dir = mkdtempSync(join(scratch, "tls-env-"));
    writeFileSync(join(dir, "device.config.json"), JSON.stringify(good));
    const { config, warnings } = loadDeviceConfig({ cwd: dir, env: { TB_TLS: "false" } });
    assert.equal(config.tls, false);
    assert.equal(config.port, 1883);
    assert.match(warnings[0]!, /^W config: env TB_TLS: tls: false: /);
  });

  test("is refused on port 8883, ThingsBoard's TLS port", () => {
    assertOne(problems(plain({ port: 8883 })), "device.config.json", "port", "8883 is ThingsBoard's MQTT-over-TLS port",
      "\"tls\" is false", "set \"port\": 1883");
  });

  test("is refused together with a server certificate, from the file or from TB_SERVER_CERT", () => {
    assertOne(problems(plain({ serverCert: "certs/server.pem" })), "device.config.json", "serverCert",
      "would not use it", "remove serverCert for plain MQTT, or remove \"tls\": false");
    assertOne(problems(plain({}, { TB_SERVER_CERT: "/abs/ca.pem" })), "env TB_SERVER_CERT", "serverCert", "would not use it");
  });

  test("with TLS (the default) a port of 1883 still warns", () => {
    const dir = mkdtempSync(join(scratch, "tls-on-"));
    writeFileSync(join(dir, "device.config.json"), JSON.stringify({ ...good, tls: true, port: 1883 }));
    assert.match(loadDeviceConfig({ cwd: dir, env: {} }).warnings[0]!, /port: 1883 is ThingsBoard's plain MQTT port, but this firmware uses TLS/);
  });

  test("a tls that is not true or false is one clear problem", () => {
    assertOne(validate({ ...good, tls: "no" }), "device.config.json", "tls", "expected true or false", "remove the quotes");
  });
});

describe("environment overrides", () => {
  test("TB_* variables override the file, parsed to numbers and booleans", () => {
    const { config } = load("valid.json", {
      TB_PORT: "8883", TB_SKIP_CN_CHECK: "false", TB_TELEMETRY_INTERVAL_MS: " 1000 ", TB_ACCESS_TOKEN: "fromEnvToken",
      TB_WIFI_PASSWORD: "", TB_LOG_LEVEL: "verbose", TB_BOARD: "esp32s3", TB_SERVER_CERT: "/abs/ca.pem",
    });
    assert.equal(config.port, 8883);
    assert.equal(config.skipCnCheck, false);
    assert.equal(config.telemetryIntervalMs, 1000);
    assert.equal(config.accessToken, "fromEnvToken");
    assert.equal(config.wifiPassword, "");
    assert.equal(config.logLevel, "verbose");
    assert.equal(config.board, "esp32s3");
    assert.equal(config.serverCert, "/abs/ca.pem");
    assert.equal(load("valid.json", { TB_SKIP_CN_CHECK: "1" }).config.skipCnCheck, true);
  });

  test("the env var names follow TB_<KEY_IN_UPPER_SNAKE>", () => {
    assert.deepEqual(CONFIG_KEYS.map(envVarFor), ["TB_BOARD", "TB_WIFI_SSID", "TB_WIFI_PASSWORD", "TB_HOST", "TB_PORT", "TB_TLS",
      "TB_ACCESS_TOKEN", "TB_PROVISION_DEVICE_KEY", "TB_PROVISION_DEVICE_SECRET", "TB_DEVICE_NAME", "TB_OTA", "TB_FIRMWARE_VERSION",
      "TB_TELEMETRY_INTERVAL_MS", "TB_SKIP_CN_CHECK", "TB_LOG_LEVEL", "TB_SERVER_CERT",
      "TB_SENSOR", "TB_SDA", "TB_SCL", "TB_PIN", "TB_I2C_ADDRESS", "TB_TEMPERATURE_KEY", "TB_HUMIDITY_KEY", "TB_PRESSURE_KEY",
      "TB_QUEUE_CAPACITY", "TB_SNTP_SERVER"]);
  });

  test("unparseable values name the variable, all at once", () => {
    const lines = loadProblems("valid.json", { TB_PORT: "88x3", TB_TELEMETRY_INTERVAL_MS: "5s", TB_SKIP_CN_CHECK: "maybe" });
    assert.deepEqual(lines, [
      "E config: env TB_PORT: port: \"88x3\" is not a whole number: set TB_PORT to digits only, e.g. TB_PORT=8883",
      "E config: env TB_TELEMETRY_INTERVAL_MS: telemetryIntervalMs: \"5s\" is not a whole number: set TB_TELEMETRY_INTERVAL_MS to digits only, e.g. TB_TELEMETRY_INTERVAL_MS=5000",
      "E config: env TB_SKIP_CN_CHECK: skipCnCheck: \"maybe\" is not a boolean: set TB_SKIP_CN_CHECK to true or false (1/0, yes/no also work)",
    ]);
  });

  test("env problems are reported together with a broken file", () => {
    const lines = loadProblems("missing-comma.json", { TB_PORT: "x" });
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /missing-comma\.json: line 4, column 3: invalid JSON/);
    assert.match(lines[1]!, /^E config: env TB_PORT: port: "x" is not a whole number/);
  });

  test("a bad value from the environment is blamed on the variable, not the file", () => {
    const lines = loadProblems("valid.json", { TB_PORT: "70000", TB_ACCESS_TOKEN: "has space" });
    assert.equal(lines.length, 2, lines.join("\n"));
    assert.match(lines[0]!, /^E config: env TB_PORT: port: 70000 is out of range/);
    assert.match(lines[1]!, /^E config: env TB_ACCESS_TOKEN: accessToken: the value has whitespace at character 4 of 9/);
    assertNoSecret(lines, "has space");
  });

  test("a TB_ variable one typo from a real one warns", () => {
    const { warnings } = load("valid.json", { TB_ACESS_TOKEN: "x", TB_SOMETHING_ELSE: "y" });
    assert.deepEqual(warnings, ["W config: env TB_ACESS_TOKEN is not a config variable and is ignored: did you mean TB_ACCESS_TOKEN?"]);
  });
});

describe("secrets", () => {
  test("describeConfig masks the password and the token, nothing else", () => {
    const shown = describeConfig(load("valid.json").config);
    assert.equal(shown.accessToken, "Zq***");
    assert.equal(shown.wifiPassword, "co***");
    assert.equal(shown.host, "tb.example.org");
    assert.equal(shown.port, 8884);
    assertNoSecret([JSON.stringify(shown)], TOKEN, PASSWORD);
  });

  test("no error about any bad token or password contains it (property)", () => {
    // The "zX" prefix keeps a random secret from being a word that messages contain anyway.
    const secret = fc.string({ unit: "grapheme-ascii", minLength: 4, maxLength: 300 }).map((s) => "zX" + s);
    fc.assert(fc.property(secret, secret, fc.constantFrom("", "!!", " "), (tok, pw, spoil) => {
      const raw = { ...good, accessToken: spoil + tok, wifiPassword: spoil + pw, port: 0 };
      const r = (() => { try { validateDeviceConfig(raw, origin); return []; } catch (e) { return (e as ConfigError).problems; } })();
      return r.every((l) => !l.includes(spoil + tok) && !l.includes(spoil + pw));
    }), { numRuns: 300 });
  });
});
