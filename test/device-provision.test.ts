// Device provisioning (docs/thingsboard.md §5) on both engines, against the local endpoint over TLS: a
// board with only the device profile's key and secret gets a token, keeps it in Storage and publishes;
// after a reboot it publishes with the stored token without provisioning again; a wrong secret is one E
// line with the fix and is retried; a stored token the server refuses is forgotten and provisioned again.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { TbEndpoint } from "../tools/tb-endpoint/index.ts";
import { createBoard } from "../tools/vboard/index.ts";
import { bootDevice } from "./helpers/device.ts";
import { ENGINES, onEngine } from "./helpers/engines.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";
import { until } from "./helpers/wait.ts";

const KEY = "pk-shed";
const SECRET = "ps-shed-secret";
const NAME = "shed-sensor";
const SCALE = 20;

let dir: string;
let cert: { certPath: string; keyPath: string };
let fw: TestBuild;
let port: number;
let ep: TbEndpoint | undefined;

/** An endpoint on the port the firmware was built for: a fresh one per test, so the device name is new. */
async function endpoint(provision: { key: string; secret: string }): Promise<TbEndpoint> {
  await ep?.stop();
  ep = await TbEndpoint.start({ devices: [], tls: { ...cert, port }, http: false, provision });
  return ep;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-provision-"));
  cert = generateSelfSigned({ host: "localhost", outDir: dir });
  // A port the endpoint then listens on: taken from a first endpoint, which is stopped again.
  const probe = await TbEndpoint.start({ devices: [], tls: cert, http: false });
  port = probe.ports.tls!;
  await probe.stop();
  fw = await buildTestFirmware({ board: "esp32", port, accessToken: undefined, provisionDeviceKey: KEY,
    provisionDeviceSecret: SECRET, deviceName: NAME, telemetryIntervalMs: 1000 });
});

after(async () => {
  await ep?.stop();
  fw?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("the build holds the provisioning code only when the config asks for it", async () => {
  assert.ok(fw.code.includes("/provision/request"));
  assert.ok(!fw.code.includes("TEST_TOKEN_123"), "no access token in a provisioning build");
  const plain = await buildTestFirmware({ board: "esp32", port });
  try {
    assert.ok(!/provision/.test(plain.code), "a token build carries no provisioning code or text");
  } finally {
    plain.cleanup();
  }
});

for (const engine of ENGINES) describe(`on the ${engine} engine`, onEngine(engine), () => {
  test("provisions, stores the token, publishes; after a reboot publishes without provisioning", async () => {
    const e = await endpoint({ key: KEY, secret: SECRET });
    const b = bootDevice(engine, dir, fw.code, SCALE);
    try {
      b.stepClock();
      await b.waitFor(/^I \(\d+\) provision: token \S+ stored$/m, 20000);
      await b.waitFor(/^I \(\d+\) tb_mqtt: Connected to ThingsBoard$/m, 20000);
      assert.deepEqual(e.deviceNames(), [NAME]);
      await until("telemetry from the provisioned device", () => e.telemetry(NAME).length >= 2, 20000);
      const token = await b.readFile(".tbtoken");
      assert.ok(token && token.length >= 16, "the token is in Storage");
      assert.doesNotMatch(b.output, new RegExp(token!), "the token is never printed in full");
      assert.match(b.output, /provision: asking for credentials as shed-sensor/);

      const mark = b.output.length;
      const had = e.telemetry(NAME).length;
      b.reboot();
      b.stepClock();
      await b.waitFor(/^I \(\d+\) tb_mqtt: Connected to ThingsBoard$/m, 20000, mark);
      await until("telemetry after the reboot", () => e.telemetry(NAME).length > had + 1, 20000);
      assert.doesNotMatch(b.output.slice(mark), /provision:/, "no second provisioning");
      assert.deepEqual(e.deviceNames(), [NAME]);
    } finally {
      await b.stop();
    }
  });

  test("a wrong secret: one E line naming the keys to check, retried with back-off, nothing published", async () => {
    const e = await endpoint({ key: KEY, secret: "another-secret" });
    const b = bootDevice(engine, dir, fw.code, SCALE);
    try {
      await b.waitFor(/^E \(\d+\) provision: refused \(NOT_FOUND: [^)]*\): check provisionDeviceKey\/provisionDeviceSecret/m, 20000);
      await b.waitFor(/^I \(\d+\) tb_mqtt: provisioning again in \d+\.\d s$/m, 5000);
      const first = b.output.length;
      await b.waitFor(/provision: refused \(NOT_FOUND/, 30000, first);
      assert.deepEqual(e.deviceNames(), []);
      assert.equal(await b.readFile(".tbtoken"), undefined, "nothing stored");
      assert.doesNotMatch(b.output, /another-secret|ps-shed-secret/, "the secret is never printed");
    } finally {
      await b.stop();
    }
  });

  test("a stored token the server refuses is forgotten and provisioned again", async () => {
    const e = await endpoint({ key: KEY, secret: SECRET });
    const b = createBoard({ engine, board: "esp32", storageDir: join(dir, `vb-refused-${engine}`),
      ap: { ssid: "TestNet", password: "correct-horse" }, timeScale: SCALE });
    try {
      // The token of a device deleted on the server since.
      b.writeFile(".tbtoken", "DELETED_DEVICE_TOKEN_1");
      b.flash(fw.code);
      b.boot();
      await b.waitFor(/^E \(\d+\) tb_mqtt: Token DE\*\*\* refused \(CONNACK 5\): provisioning again in \d+\.\d s$/m, 20000);
      await b.waitFor(/^I \(\d+\) provision: token \S+ stored$/m, 30000);
      await b.waitFor(/^I \(\d+\) tb_mqtt: Connected to ThingsBoard$/m, 20000);
      assert.deepEqual(e.deviceNames(), [NAME]);
      assert.notEqual(await b.readFile(".tbtoken"), "DELETED_DEVICE_TOKEN_1");
    } finally {
      await b.stop();
    }
  });
});
