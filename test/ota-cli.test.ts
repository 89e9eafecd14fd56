// npm run ota as a user runs it: a real build from a temp config and certificate, signed with the key
// beside the config; what it prints is what the file holds; and its refusals, each one E line.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { TbEndpoint } from "../tools/tb-endpoint/index.ts";
import { ROOT } from "../tools/common/board.ts";
import { ensureKey, keyFileFor } from "../tools/ota/key.ts";
import { readPackage, verifyPackage } from "../tools/ota/package.ts";
import { run, type RunResult } from "./helpers/run.ts";

const TOKEN = "OTA_CLI_TOKEN_x9y8z7";
const WIFI_PASSWORD = "ota-cli-horse-battery";
const VERSION = "7.7.7-ota.cli+1";

let dir: string;
let certPath: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tb-ota-cli-"));
  certPath = generateSelfSigned({ host: "localhost", outDir: join(dir, "certs") }).certPath;
});
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, o: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({
    board: "esp32", wifiSsid: "TestNet", wifiPassword: WIFI_PASSWORD, host: "localhost", port: 8883,
    accessToken: TOKEN, telemetryIntervalMs: 1000, serverCert: certPath, ...o,
  }));
  return file;
}

/** The environment without the user's TB_* variables, so only the test's config counts. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: "1" };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("TB_")) env[k] = v;
  return { ...env, ...extra };
}

function ota(args: string[], extra: Record<string, string> = {}): Promise<RunResult> {
  return run("npm", ["run", "-s", "ota", "--", ...args], { cwd: ROOT, env: cleanEnv(extra), limitMs: 120_000 });
}

/** The single E line of a failed run, which must exit with `code`. */
function errorLine(r: RunResult, code: number): string {
  assert.equal(r.code, code, r.stdout + r.stderr);
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("E "));
  assert.equal(lines.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  return lines[0]!;
}

/** `  fw_xxx: value` lines printed by npm run ota. */
function attributes(stdout: string): Record<string, string> {
  return Object.fromEntries([...stdout.matchAll(/^  (fw_\w+): (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

test("npm run ota builds the firmware as --fw-version, signs it with the config's key, writes the package and prints its attributes and the UI steps", async () => {
  const config = writeConfig("device.config.json", { ota: true, firmwareVersion: "0.0.1" });
  const key = ensureKey(config);
  const out = join(dir, "pkg", "fw.js");
  const r = await ota(["--config", config, "--fw-version", VERSION, "--out", out]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const data = readFileSync(out);
  assert.equal(statSync(out).mode & 0o777, 0o600, "the package holds the config's secrets: private");
  assert.deepEqual(attributes(r.stdout), {
    fw_title: "tb-espruino-device", fw_version: VERSION, fw_size: String(data.length),
    fw_checksum: createHash("sha256").update(data).digest("hex"), fw_checksum_algorithm: "SHA256",
  });
  assert.match(r.stdout, new RegExp(`^I ota: ${out.replace(/[.+]/g, "\\$&")}: [\\d,]+ bytes for esp32, signed with ${keyFileFor(config).replace(/[.+]/g, "\\$&")} \\(the bundle: [\\d,]+ bytes \\(gzip [\\d,]+\\), \\d+% of the [\\d,]+-byte budget for esp32\\)$`, "m"));
  const p = readPackage(data);
  assert.deepEqual([p.board, p.title, p.version], ["esp32", "tb-espruino-device", VERSION]);
  assert.ok(verifyPackage(data, key.key), "signed with the key beside the config");
  const bundle = p.bundle.toString("latin1");
  assert.match(bundle, /^\/\/ tb-espruino-device \S+ board=esp32 inputs=[0-9a-f]{16}\n/);
  // The version overrides the config's firmwareVersion: the board reports what ThingsBoard expects.
  assert.ok(bundle.includes(VERSION), "the bundle carries the package's version");
  assert.ok(!bundle.includes("0.0.1"), "not the config file's firmwareVersion");
  // The UI steps name the file, the title and version and the checksum algorithm.
  assert.match(r.stdout, /^I ota: to offer it to the board from ThingsBoard's UI:$/m);
  assert.match(r.stdout, new RegExp(`Advanced features -> OTA updates -> \\+ \\(Add package\\): title tb-espruino-device, version ${VERSION.replace(/[.+]/g, "\\$&")}`));
  assert.ok(r.stdout.includes(`upload the file ${out}, checksum algorithm SHA256`));
  assert.match(r.stdout, /Entities -> Devices -> the device -> edit -> Firmware/);
  const said = r.stdout + r.stderr;
  for (const secret of [TOKEN, WIFI_PASSWORD, key.hex]) assert.ok(!said.includes(secret), "no secret and never the key is printed");
  // Nothing of the build is left in the temp folder.
  assert.deepEqual(readdirSync(tmpdir()).filter((f) => f.startsWith("tb-ota-") && !f.startsWith("tb-ota-cli-") && !f.startsWith("tb-ota-pkg-"))
    .filter((f) => existsSync(join(tmpdir(), f, "firmware.js"))), []);
});

test("without --out the package goes to dist/ota/<title>-<version>.js in the project", async () => {
  const config = writeConfig("titled.json", { ota: true });
  const key = ensureKey(config);
  const title = `test-title-${process.pid}`;
  const file = join(ROOT, "dist", "ota", `${title}-1.0.0.js`);
  try {
    const r = await ota(["--config", config, "--fw-version", "1.0.0", "--title", title]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^I ota: dist/ota/${title}-1\\.0\\.0\\.js: `, "m"));
    const data = readFileSync(file);
    assert.equal(readPackage(data).title, title);
    assert.ok(verifyPackage(data, key.key));
    assert.equal(attributes(r.stdout).fw_title, title);
  } finally {
    rmSync(file, { force: true });
  }
});

test("a config without \"ota\": true is refused before building: its bundle could never take the next update", async () => {
  for (const o of [{}, { ota: false }]) {
    const config = writeConfig("plain.json", o);
    ensureKey(config);
    const out = join(dir, "never.js");
    const r = await ota(["--config", config, "--fw-version", "1.0.0", "--out", out]);
    assert.equal(errorLine(r, 1), 'E ota: plain.json does not have "ota": true, so its firmware could never take the next update: ' +
      'set "ota": true, flash the board once (npm run flash, which also gives it the update key), then make packages');
    assert.ok(!existsSync(out));
    assert.doesNotMatch(r.stdout, /I build|I ota/);
  }
});

test("TB_OTA=false over a file's \"ota\": true is refused too: the check reads the effective config", async () => {
  const config = writeConfig("env-ota.json", { ota: true });
  const r = await ota(["--config", config, "--fw-version", "1.0.0", "--out", join(dir, "env.js")], { TB_OTA: "false" });
  assert.match(errorLine(r, 1), /does not have "ota": true/);
});

test("no key beside the config: one line saying to flash once with \"ota\": true", async () => {
  const config = writeConfig("nokey.json", { ota: true });
  const r = await ota(["--config", config, "--fw-version", "1.0.0", "--out", join(dir, "nokey.js")]);
  assert.equal(errorLine(r, 1), `E ota: ${keyFileFor(config)} does not exist: run npm run flash once with "ota": true in nokey.json, which creates it and puts it on the board`);
});

test("usage errors: no --fw-version, a version or title outside the rule, half the upload options, an unknown option", async () => {
  const config = writeConfig("usage.json", { ota: true });
  let r = await ota(["--config", config]);
  assert.equal(errorLine(r, 2), "E ota: no --fw-version given: pass the version the board will report after the update, e.g. --fw-version 1.2.0");
  assert.match(r.stderr, /^usage: npm run ota -- --fw-version/m);
  r = await ota(["--config", config, "--fw-version", "1.0 beta"]);
  assert.equal(errorLine(r, 2), 'E ota: --fw-version "1.0 beta" breaks the rule: 1 to 32 characters of A-Z a-z 0-9 . _ + -: choose another (docs/ota.md §2)');
  r = await ota(["--config", config, "--fw-version", "1.0", "--title", "a/b"]);
  assert.equal(errorLine(r, 2), 'E ota: --title "a/b" breaks the rule: 1 to 32 characters of A-Z a-z 0-9 . _ + -: choose another (docs/ota.md §2)');
  r = await ota(["--config", config, "--fw-version", "1.0", "--device", "dev1"], { TB_USER: "tenant@thingsboard.org" });
  assert.equal(errorLine(r, 2), "E ota: uploading to ThingsBoard needs --url (or TB_URL), --password (or TB_PASSWORD): add them, " +
    "or leave out --url, --user, --password and --device to only write the package");
  r = await ota(["--config", config, "--fw-version", "1.0", "--url", "thingsboard.example", "--user", "u", "--password", "p", "--device", "d"]);
  assert.match(errorLine(r, 2), /^E ota: --url "thingsboard\.example" is not an http\(s\) address: write it as https:\/\//);
  r = await ota(["--fw-version", "1.0", "--bogus"]);
  assert.match(errorLine(r, 2), /^E ota: Unknown option '--bogus'/);
  r = await ota(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^usage: npm run ota -- --fw-version 1\.2\.0 \[--config device\.config\.json\] \[--title tb-espruino-device\]/);
});

test("with --url, --user, --password (here from TB_USER and TB_PASSWORD) and --device it uploads the package and assigns it to the device", async () => {
  const ep = await TbEndpoint.start({ devices: [{ name: "dev1", token: "DEV1_TOKEN" }], tcp: {}, httpLogin: { username: "tenant@thingsboard.org", password: "tenant-pw" } });
  try {
    const assigned: Array<{ name: string; title?: string; version?: string; size?: number; checksum?: string }> = [];
    ep.on("firmwareAssigned", (name: string, p?: { title: string; version: string; size: number; checksum: string }) => assigned.push({ name, ...p }));
    const config = writeConfig("upload.json", { ota: true });
    const key = ensureKey(config);
    const out = join(dir, "upload.js");
    const url = `http://127.0.0.1:${ep.ports.http}`;
    const r = await ota(["--config", config, "--fw-version", "3.1.4", "--out", out, "--url", url, "--device", "dev1"],
      { TB_USER: "tenant@thingsboard.org", TB_PASSWORD: "tenant-pw" });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const data = readFileSync(out);
    const attrs = attributes(r.stdout);
    assert.equal(attrs.fw_size, String(data.length));
    assert.match(r.stdout, new RegExp(`^I ota: uploading to ${url} as tenant@thingsboard\\.org, for device dev1$`, "m"));
    assert.match(r.stdout, /^I ota: done: package [0-9a-f-]{36} \(tb-espruino-device 3\.1\.4\) is assigned to dev1; the board downloads it while connected and reports fw_state$/m);
    assert.doesNotMatch(r.stdout, /ThingsBoard's UI/, "no UI steps after an upload");
    assert.deepEqual(assigned.map((a) => [a.name, a.title, a.version, a.size, a.checksum]),
      [["dev1", "tb-espruino-device", "3.1.4", data.length, attrs.fw_checksum]]);
    assert.ok(verifyPackage(data, key.key));
    assert.ok(!(r.stdout + r.stderr).includes("tenant-pw"), "the password is never printed");

    // A refused login: one E line, and the steps to add the written package by hand.
    const bad = await ota(["--config", config, "--fw-version", "3.1.5", "--out", join(dir, "upload2.js"), "--url", url,
      "--user", "tenant@thingsboard.org", "--password", "wrong", "--device", "dev1"]);
    assert.match(errorLine(bad, 1), /^E ota: ThingsBoard at http:\/\/127\.0\.0\.1:\d+ refused the login as "tenant@thingsboard\.org" \(401 .*\): check the user name and password/);
    assert.match(bad.stderr, /^I ota: to offer it to the board from ThingsBoard's UI:$/m);
    assert.ok(existsSync(join(dir, "upload2.js")), "the package is written before the upload");
    assert.equal(assigned.length, 1);
  } finally {
    await ep.stop();
  }
});
