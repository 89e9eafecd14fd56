// Firmware updates (docs/ota.md) on both engines, against the local endpoint over TLS: version A takes a
// signed B and reaches UPDATED with B publishing; a tampered package (one byte changed, checksum
// recomputed by the server) is refused with FAILED and A keeps running; a B that never reaches
// ThingsBoard is rolled back to A, which reports FAILED and does not try B again; a download whose
// connection is cut halfway goes on after the reconnect.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { makePackage } from "../tools/ota/package.ts";
import { TbEndpoint } from "../tools/tb-endpoint/index.ts";
import { createBoard, type Board, type EngineName } from "../tools/vboard/index.ts";
import { ENGINES, onEngine } from "./helpers/engines.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";
import { until } from "./helpers/wait.ts";

const TOKEN = "OTA_TOKEN_123";
const DEV = "dev1";
const TITLE = "tb-espruino-device";
const SCALE = 20;
const KEY = randomBytes(32);

let dir: string;
let ep: TbEndpoint;
const builds: Record<string, TestBuild> = {};

/** A signed package of the firmware built as `version` (built once per version). */
function pkg(version: string, key = KEY): Buffer {
  return makePackage({ bundle: builds[version]!.code, board: "esp32", title: TITLE, version, key });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-ota-"));
  const cert = generateSelfSigned({ host: "localhost", outDir: dir });
  ep = await TbEndpoint.start({ devices: [{ name: DEV, token: TOKEN }], tls: cert, http: false });
  const common = { board: "esp32", port: ep.ports.tls, accessToken: TOKEN, telemetryIntervalMs: 1000, ota: true };
  // One certificate for all: buildTestFirmware makes its own, which the endpoint must present.
  builds["c3"] = await buildTestFirmware({ ...common, board: "esp32c3", serverCert: cert.certPath, firmwareVersion: "2.0.0" });
  for (const version of ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"]) {
    builds[version] = await buildTestFirmware({ ...common, serverCert: cert.certPath, firmwareVersion: version,
      // 1.3.0 is a bundle that can never reach ThingsBoard: the server refuses its token.
      ...(version === "1.3.0" ? { accessToken: "NOT_THE_TOKEN" } : {}) });
  }
});

after(async () => {
  await ep?.stop();
  for (const b of Object.values(builds)) b.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Version A (1.0.0) on a fresh board that holds the device's update key, as `npm run flash` leaves it. */
function bootA(engine: EngineName, name: string, withKey = true): Board {
  // No package assigned from an earlier test: A would take it at once.
  ep.unassignFirmware(DEV);
  const b = createBoard({ engine, board: "esp32", storageDir: join(dir, `${name}-${engine}`),
    ap: { ssid: "TestNet", password: "correct-horse" }, timeScale: SCALE });
  if (withKey) b.writeFile(".tbkey", KEY.toString("hex"));
  b.flash(builds["1.0.0"]!.code);
  b.boot();
  b.stepClock();
  return b;
}

/** The device's fw_state values, oldest first, since telemetry entry `from`. */
function states(from: number): string[] {
  return ep.telemetry(DEV).slice(from).map((e) => e.values.fw_state).filter((s): s is string => typeof s === "string");
}

async function connected(b: Board, from = 0): Promise<void> {
  await b.waitFor(/^I \(\d+\) tb_mqtt: Connected to ThingsBoard$/m, 60000, from);
}

test("an OTA build holds the update code and the base build none of it", () => {
  assert.ok(builds["1.0.0"]!.code.includes("v2/fw/request/"));
  assert.ok(builds["1.0.0"]!.code.includes('firmwareVersion:"1.0.0"') || builds["1.0.0"]!.code.includes("1.0.0"));
});

for (const engine of ENGINES) describe(`on the ${engine} engine`, onEngine(engine), () => {
  test("A takes a signed B: DOWNLOADING ... UPDATED, and B publishes", async () => {
    const b = bootA(engine, "update");
    try {
      await connected(b);
      const from = ep.telemetry(DEV).length;
      const mark = b.output.length;
      ep.assignFirmware(DEV, { title: TITLE, version: "1.1.0", data: pkg("1.1.0") });
      await b.waitFor(/^I \(\d+\) ota: update to 1\.1\.0: UPDATED$/m, 120000, mark);
      await until("fw_state UPDATED", () => ep.firmwareState(DEV)?.fw_state === "UPDATED", 20000);
      assert.deepEqual(states(from).filter((s) => s !== "QUEUED" && s !== "INITIATED"),
        ["DOWNLOADING", "DOWNLOADED", "VERIFIED", "UPDATING", "UPDATED"]);
      assert.equal(ep.firmwareState(DEV)?.current_fw_version, "1.1.0");
      await until("B's client attributes", () => ep.attributes(DEV, "client").firmwareVersion === "1.1.0", 20000);
      const n = ep.telemetry(DEV).length;
      await until("B's telemetry", () => ep.telemetry(DEV).slice(n).some((e) => typeof e.values.temperature === "number"), 20000);
      assert.equal(await b.readFile(".boot1"), undefined, "the guard is gone once B connected");
      assert.equal(await b.readFile(".tbfw"), undefined, "no download left behind");
      assert.doesNotMatch(b.output, /Uncaught|ASSERT/, "no error at any boot");
    } finally {
      await b.stop();
    }
  });

  test("a tampered package is refused with FAILED and A keeps running", async () => {
    const b = bootA(engine, "tampered");
    try {
      await connected(b);
      const good = pkg("1.2.0");
      const bad = Buffer.from(good);
      // One byte of the bundle changed (a digit in its own first line); the server's checksum is of the
      // changed file, so only the signature can tell.
      const at = bad.indexOf("1.2.0", bad.indexOf("\n"));
      bad[at] = "7".charCodeAt(0);
      const mark = b.output.length;
      ep.assignFirmware(DEV, { title: TITLE, version: "1.2.0", data: bad });
      await b.waitFor(/^E \(\d+\) ota: update 1\.2\.0 refused: signature does not match this board's key/m, 60000, mark);
      await until("fw_state FAILED", () => ep.firmwareState(DEV)?.fw_state === "FAILED", 20000);
      assert.match(ep.firmwareState(DEV)!.fw_error!, /signature does not match/);
      assert.equal(ep.firmwareState(DEV)?.current_fw_version, "1.0.0");
      const n = ep.telemetry(DEV).length;
      await until("A still publishing", () => ep.telemetry(DEV).slice(n).some((e) => typeof e.values.temperature === "number"), 20000);
      assert.doesNotMatch(b.output.slice(mark), /installing|Startup/, "nothing installed, no reboot");
      assert.doesNotMatch(b.output, /Uncaught|ASSERT/, "no error at any boot");
    } finally {
      await b.stop();
    }
  });

  test("a B that never reaches ThingsBoard is rolled back to A, which reports FAILED and does not retry it", async () => {
    const b = bootA(engine, "rollback");
    try {
      await connected(b);
      const mark = b.output.length;
      ep.assignFirmware(DEV, { title: TITLE, version: "1.3.0", data: pkg("1.3.0") });
      await b.waitFor(/^I \(\d+\) ota: installing 1\.3\.0 in place of 1\.0\.0$/m, 60000, mark);
      await b.waitFor(/Token NO\*\*\* refused/, 60000, mark);
      await b.waitFor(/^E \(\d+\) ota: update to 1\.3\.0: FAILED \(rolled back: it did not reach ThingsBoard (within 120 s|in 3 boots)\)$/m, 120000, mark);
      await until("fw_state FAILED", () => ep.firmwareState(DEV)?.fw_state === "FAILED", 20000);
      assert.match(ep.firmwareState(DEV)!.fw_error!, /rolled back/);
      assert.equal(ep.firmwareState(DEV)?.current_fw_version, "1.0.0");
      await b.waitFor(/ota: not trying 1\.3\.0 again: it failed before/, 30000, mark);
      assert.equal(await b.readFile(".boot1"), undefined, "the guard removed itself");
      assert.doesNotMatch(b.output, /Uncaught|ASSERT/, "no error at any boot");
    } finally {
      await b.stop();
    }
  });

  test("each kind of bad package or offer is refused with FAILED and its reason, and A keeps running", async () => {
    const b = bootA(engine, "refusals");
    const refused = async (why: RegExp, assign: () => void) => {
      const mark = b.output.length;
      assign();
      await b.waitFor(new RegExp(`^E \\(\\d+\\) ota: update \\S+ refused: ${why.source}`, "m"), 60000, mark);
      await until(`fw_error ${why}`, () => why.test(ep.firmwareState(DEV)?.fw_error ?? ""), 20000);
      assert.equal(ep.firmwareState(DEV)?.fw_state, "FAILED");
    };
    try {
      await connected(b);
      // A package for another chip, signed with the right key.
      const c3 = makePackage({ bundle: builds["c3"]!.code, board: "esp32c3", title: TITLE, version: "2.0.0", key: KEY });
      await refused(/the package is for board=esp32c3, this is board=esp32/, () => ep.assignFirmware(DEV, { title: TITLE, version: "2.0.0", data: c3 }));
      // A package whose header names another version than ThingsBoard offers it as.
      await refused(/the package says version=1\.1\.0 but ThingsBoard offers 2\.0\.1/,
        () => ep.assignFirmware(DEV, { title: TITLE, version: "2.0.1", data: pkg("1.1.0") }));
      // Over the board's budget, refused from fw_size alone, before a byte is downloaded.
      const chunks = ep.listenerCount("firmwareChunk");
      let served = 0;
      const count = () => { served++; };
      ep.on("firmwareChunk", count);
      await refused(/fw_size 40000 is over the board's budget of 16384 bytes/,
        () => ep.assignFirmware(DEV, { title: TITLE, version: "2.0.2", data: Buffer.alloc(40000, 0x20) }));
      ep.off("firmwareChunk", count);
      assert.equal(served, 0, "nothing downloaded");
      assert.equal(ep.listenerCount("firmwareChunk"), chunks);
      // A checksum algorithm the board cannot check, and a checksum that does not match.
      await refused(/checksum algorithm MD5: upload the package with SHA256/, () => ep.setSharedAttributes(DEV,
        { fw_title: TITLE, fw_version: "2.0.3", fw_size: 100, fw_checksum: "0".repeat(32), fw_checksum_algorithm: "MD5" }));
      // A checksum that starts with 16 digits (one in ~40 real ones has such a run) is a string, not a number
      // to refuse: it reaches the check, which finds it does not match the 2,048 bytes downloaded (the
      // first two chunks of the package still assigned, 2.0.2's spaces).
      await refused(/checksum mismatch/, () => ep.setSharedAttributes(DEV,
        { fw_title: TITLE, fw_version: "2.0.4", fw_size: 2048, fw_checksum: "1234567890123456" + "ab".repeat(24), fw_checksum_algorithm: "SHA256" }));
      assert.equal(ep.firmwareState(DEV)?.current_fw_version, "1.0.0");
      const n = ep.telemetry(DEV).length;
      await until("A still publishing", () => ep.telemetry(DEV).slice(n).some((e) => typeof e.values.temperature === "number"), 20000);
      assert.equal(await b.readFile(".tbfw"), undefined, "no download left behind");
      assert.doesNotMatch(b.output, /Uncaught|ASSERT|installing/, "nothing installed, no error");
    } finally {
      await b.stop();
    }
  });

  test("a board without its update key refuses a good package", async () => {
    const b = bootA(engine, "nokey", false);
    try {
      await connected(b);
      const mark = b.output.length;
      ep.assignFirmware(DEV, { title: TITLE, version: "1.1.0", data: pkg("1.1.0") });
      await b.waitFor(/^E \(\d+\) ota: update 1\.1\.0 refused: no update key on the board: flash it once with npm run flash and "ota": true$/m, 60000, mark);
      assert.doesNotMatch(b.output, /Uncaught|ASSERT|installing/);
    } finally {
      await b.stop();
    }
  });

  test("a bundle flashed over USB while an update is on trial is not rolled back", async () => {
    const b = bootA(engine, "flashed");
    try {
      await connected(b);
      const mark = b.output.length;
      ep.assignFirmware(DEV, { title: TITLE, version: "1.3.0", data: pkg("1.3.0") });
      await b.waitFor(/Token NO\*\*\* refused/, 60000, mark);
      // 1.3.0 is on trial and cannot connect; the user flashes 1.4.0 the usual way.
      ep.unassignFirmware(DEV);
      const flashed = b.output.length;
      b.flash(builds["1.4.0"]!.code);
      // While the board runs, the espruino engine writes through the running program: wait until it is there.
      await until("the flashed bundle in Storage", async () => (await b.readFile(".bootcde"))?.length === builds["1.4.0"]!.code.length, 20000);
      // (Written under the running 1.3.0, as no real upload does, which loses its functions: the real
      // interpreter says so until the reboot, docs/espruino.md §3.5; only the boots after it count.)
      const rebooted = b.output.length;
      b.reboot();
      await connected(b, flashed);
      await b.waitFor(/^I \(\d+\) ota: update to 1\.3\.0 replaced by 1\.4\.0: no rollback$|^I \(\d+\) tb_mqtt: Connected/m, 20000, flashed);
      // Past the guard's 120 s, and another boot: still 1.4.0.
      await new Promise((r) => setTimeout(r, 130_000 / SCALE));
      const again = b.output.length;
      b.reboot();
      await connected(b, again);
      assert.match(b.output.slice(flashed), /\[APP\] Startup\.\. tb-espruino-device 1\.4\.0 for esp32/);
      assert.doesNotMatch(b.output.slice(flashed), /tb-espruino-device 1\.0\.0 for|rolled back|FAILED/);
      assert.equal(await b.readFile(".tbota"), undefined, "the trial is over");
      assert.doesNotMatch(b.output.slice(0, flashed) + b.output.slice(rebooted), /Uncaught|ASSERT/, "no error at any boot");
    } finally {
      await b.stop();
    }
  });

  test("a download cut halfway goes on after the reconnect; an unanswered chunk is asked for again", async () => {
    const b = bootA(engine, "cut");
    try {
      await connected(b);
      const mark = b.output.length;
      // The session closed after chunk 4, and chunk 8's first request left unanswered (asked again 20 s on).
      ep.firmwareFaults(DEV, { closeAfterChunk: 4, ignoreChunk: 8 });
      ep.assignFirmware(DEV, { title: TITLE, version: "1.4.0", data: pkg("1.4.0") });
      await b.waitFor(/tb_mqtt: Disconnected from ThingsBoard/, 60000, mark);
      await b.waitFor(/^I \(\d+\) ota: update to 1\.4\.0: UPDATED$/m, 120000, mark);
      await until("UPDATED at the server", () => ep.firmwareState(DEV)?.fw_state === "UPDATED", 20000);
      assert.equal(ep.firmwareState(DEV)?.current_fw_version, "1.4.0");
      assert.ok(ep.telemetry(DEV).some((e) => e.values.fw_state === "DOWNLOADING"));
      assert.doesNotMatch(b.output, /Uncaught|ASSERT/, "no error at any boot");
    } finally {
      ep.firmwareFaults(DEV, {});
      await b.stop();
    }
  });
});
