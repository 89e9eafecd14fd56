// "tls": false on both engines: the real bundle publishes to mosquitto over plain MQTT with the
// access token as user name, after warning that it crosses the network in clear. The broker's ACL
// lets only that user name write telemetry, so its arrival proves what the device sent.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeFileSync } from "node:fs";
import { ENGINES, onEngine } from "./helpers/engines.ts";
import { bootDevice } from "./helpers/device.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";
import { startMosquitto, watchBroker, type Broker, type Watcher } from "./helpers/mosquitto.ts";
import { until } from "./helpers/wait.ts";

const TOKEN = "PLAIN_TOKEN_42";
const SCALE = 5;
let dir: string;
let broker: Broker;
let fw: TestBuild;
let watcher: Watcher | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-plain-"));
  const acl = join(dir, "acl");
  // Clients without a user name (the watcher) may only read; only the device's token may write.
  writeFileSync(acl, ["topic read v1/devices/me/#", `user ${TOKEN}`, "topic readwrite v1/devices/me/#", ""].join("\n"));
  broker = await startMosquitto({}, { anonymous: true, plain: true, config: [`acl_file ${acl}`] });
  fw = await buildTestFirmware({ board: "esp32", port: broker.port, tls: false, serverCert: undefined, accessToken: TOKEN,
    telemetryIntervalMs: 1000 });
  watcher = await watchBroker(broker, "v1/devices/me/#");
});

after(async () => {
  watcher?.client.end(true);
  await broker?.close();
  fw?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the build of a plain-MQTT config warns, embeds no certificate and opens no TLS", () => {
  assert.ok(fw.warnings.some((w) => /^W config: .*tls: false: the access token and the telemetry cross the network in clear/.test(w)),
    fw.warnings.join("\n"));
  assert.ok(fw.code.includes('require("net")'), "plain sockets");
  assert.ok(!fw.code.includes('require("tls")') && !fw.code.includes("atob("), "no TLS, no certificate");
});

describe("plain MQTT to mosquitto", () => {
  for (const engine of ENGINES) {
    test(`${engine} engine: warns at boot, connects with the token as user name and publishes telemetry`, onEngine(engine), async () => {
      const from = watcher!.seen.length;
      const b = bootDevice(engine, dir, fw.code, SCALE);
      try {
        await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 20000);
        assert.match(b.output, /W \(\d+\) tb_mqtt: "tls": false: the access token and telemetry cross the network in clear; only on a network you trust/);
        assert.match(b.output, new RegExp(`connecting to mqtt://localhost:${broker.port} \\.\\.\\.`));
        assert.doesNotMatch(b.output, /TLS does not verify|TLS needs/, "no TLS lines without TLS");
        const t = await until("telemetry at mosquitto", () => watcher!.seen.slice(from).find((m) => m.topic === "v1/devices/me/telemetry"), 20000);
        const v = JSON.parse(t.payload);
        assert.equal(typeof (v.values ?? v).temperature, "number");
      } finally {
        await b.stop();
      }
    });
  }
});
