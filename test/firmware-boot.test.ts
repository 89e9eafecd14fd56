// The real bundle on the virtual board: start-up report, Wi-Fi join, retry after a wrong password,
// rejoin after a drop.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createBoard, type Board } from "../tools/vboard/index.ts";
import { ENGINES, onEngine, type EngineName } from "./helpers/engines.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";

let fw: TestBuild;
const boards: Board[] = [];
const dirs: string[] = [];

before(async () => {
  fw = await buildTestFirmware();
});
after(async () => {
  for (const b of boards) await b.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  fw?.cleanup();
});

function boardWith(engine: EngineName, ap: { ssid?: string; password?: string; present?: boolean }, timeServer = false): Board {
  const storageDir = mkdtempSync(join(tmpdir(), "tb-vb-"));
  const b = createBoard({ engine, board: "esp32c3", storageDir, ap, timeScale: 20, timeServer });
  boards.push(b);
  dirs.push(storageDir);
  b.flash(fw.code);
  b.boot();
  return b;
}

test("the bundle carries the validated config and the certificate as DER base64", () => {
  const der = Buffer.from(
    readFileSync(fw.certPath, "utf8").replace(/-----[A-Z ]+-----|\s/g, ""),
    "base64",
  ).toString("base64");
  assert.ok(fw.code.includes(der), "DER base64 of certs/server.pem is embedded");
  assert.ok(!fw.code.includes("BEGIN CERTIFICATE"), "no PEM text in the bundle");
  assert.ok(fw.code.includes('"TestNet"') && fw.code.includes('"TEST_TOKEN_123"'));
  // The first line names the board and the digest of the inputs the bundle was built from (flash compares it).
  assert.match(fw.code, /^\/\/ tb-espruino-device \S+ board=esp32c3 inputs=[0-9a-f]{16}\n/);
  assert.doesNotMatch(fw.code, /\b(import|export)\s/, "no module syntax left");
  assert.equal(fw.bytes, Buffer.byteLength(readFileSync(fw.outFile, "latin1"), "latin1"));
});

for (const engine of ENGINES) describe(`on the ${engine} engine`, onEngine(engine), () => {
  test("boots with the start-up report and joins Wi-Fi", async () => {
    const b = boardWith(engine, { ssid: "TestNet", password: "correct-horse" });
    await b.waitFor(/^I \(\d+\) app: \[APP\] Startup\.\. tb-espruino-device \S+ for esp32c3, Espruino 2v29$/, 5000);
    // The node engine has no JsVars to count and says so rather than guess; the real interpreter counts them.
    // Then the native heap the board definition gives its modelled variant (c3-after-2v29: 70,000 reserved).
    await b.waitFor(engine === "node" ? /^I \(\d+\) app: \[APP\] Free memory: unknown; native heap 70000 bytes free, lowest 70000$/
      : /^I \(\d+\) app: \[APP\] Free memory: \d+ of 16383 JsVars; native heap 70000 bytes free, lowest 70000$/, 5000);
    await b.waitFor(/^I \(\d+\) wifi: Connected to TestNet, IP \d+\.\d+\.\d+\.\d+$/, 5000);
    assert.doesNotMatch(b.output, /TEST_TOKEN_123|correct-horse/, "secrets never printed in full");
  });

  test("after joining, SNTP (with the zone as the string Espruino's ESP32 build demands) sets the clock", async () => {
    const b = boardWith(engine, { ssid: "TestNet", password: "correct-horse" }, true);
    await b.waitFor(/^I \(\d+\) wifi: Connected to TestNet/, 5000);
    await b.waitFor(/^I \(\d+\) time: Clock set$/, 5000);
    assert.doesNotMatch(b.output, /Uncaught|Zone is not a string/);
  });

  test("a wrong password is reported with the fix and retried until the password is right", async () => {
    const b = boardWith(engine, { ssid: "TestNet", password: "another-password" });
    await b.waitFor(/^W \(\d+\) wifi: Cannot join TestNet \(AUTH_FAIL, reason AUTH_FAIL\): check wifiSsid \(2\.4 GHz\) and wifiPassword; retry in [\d.]+ s$/, 10000);
    const second = b.output.length;
    await b.waitFor(/^I \(\d+\) wifi: Connecting to TestNet\.\.\.$/, 10000, second);
    await b.waitFor(/^W \(\d+\) wifi: Cannot join TestNet \(AUTH_FAIL/, 10000, second);
    const fixedAt = b.output.length;
    b.ap.setPassword("correct-horse");
    await b.waitFor(/^I \(\d+\) wifi: Connected to TestNet, IP /, 20000, fixedAt);
  });

  test("a missing access point is named as such", async () => {
    const b = boardWith(engine, { ssid: "TestNet", password: "correct-horse", present: false });
    await b.waitFor(/^W \(\d+\) wifi: Cannot join TestNet \(NO_AP_FOUND, .*\): check wifiSsid/, 10000);
    const at = b.output.length;
    b.ap.setPresent(true);
    await b.waitFor(/^I \(\d+\) wifi: Connected to TestNet/, 20000, at);
  });

  test("rejoins after the link drops", async () => {
    const b = boardWith(engine, { ssid: "TestNet", password: "correct-horse" });
    await b.waitFor(/wifi: Connected to TestNet/, 5000);
    const at = b.output.length;
    b.ap.dropLink();
    await b.waitFor(/^W \(\d+\) wifi: Link to TestNet lost \(reason [^)]+\); rejoining in [\d.]+ s$/, 5000, at);
    b.ap.restoreLink();
    await b.waitFor(/^I \(\d+\) wifi: Connected to TestNet/, 20000, at);
    assert.doesNotMatch(b.output, /Wifi\.setSNTP called again/, "SNTP is set up once per boot, not at every rejoin");
  });
});
