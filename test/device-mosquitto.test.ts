// The real bundle on the virtual board against a plain mosquitto broker over TLS: nothing in the
// firmware may depend on the local endpoint's ThingsBoard behaviour. Mosquitto runs with anonymous
// access (the firmware sends the token as user name and no password, as ThingsBoard wants) and is
// stopped by its PID.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { VirtualBoard } from "../tools/vboard/index.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";
import { startMosquitto, watchBroker, type Broker, type Watcher } from "./helpers/mosquitto.ts";
import { sleep, until } from "./helpers/wait.ts";

const SCALE = 20;
let dir: string;
let broker: Broker;
let fw: TestBuild;
let w: Watcher | undefined;

const on = (topic: string) => w!.seen.filter((m) => m.topic === topic);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-device-mosq-"));
  broker = await startMosquitto({}, { anonymous: true, certHost: "localhost", config: ["queue_qos0_messages true"] });
  fw = await buildTestFirmware({ board: "esp32", port: broker.port, telemetryIntervalMs: 1000, serverCert: broker.certPath });
  // A persistent session: it misses nothing while the broker restarts.
  w = await watchBroker(broker, "v1/devices/me/#", { clean: false });
});

after(async () => {
  w?.client.end(true);
  await broker?.close();
  fw?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("against mosquitto: telemetry, attributes, attribute request, RPC and a broker restart without loss", async () => {
  const b = new VirtualBoard({ board: "esp32", storageDir: join(dir, "vb"), ap: { ssid: "TestNet", password: "correct-horse" }, timeScale: SCALE });
  b.flash(fw.code);
  b.boot();
  b.clock.setTime(Date.now() / 1000);
  try {
    await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 8000);
    await until("3 telemetry messages", () => on("v1/devices/me/telemetry").length >= 3);
    // The first reading is taken at boot: when connecting took longer than an interval, it leads a batch.
    const firstMessage = JSON.parse(on("v1/devices/me/telemetry")[0]!.payload);
    const first = Array.isArray(firstMessage) ? firstMessage[0] : firstMessage;
    assert.deepEqual(first.values, { temperature: 25, humidity: 26 });
    assert.equal(typeof first.ts, "number");
    const attrs = JSON.parse(on("v1/devices/me/attributes")[0]!.payload);
    assert.equal(attrs.board, "esp32");
    assert.deepEqual(JSON.parse(on("v1/devices/me/attributes/request/1")[0]!.payload), { sharedKeys: "telemetryIntervalMs" });

    w!.client.publish("v1/devices/me/rpc/request/9", '{"method":"getStatus","params":{}}', { qos: 1 });
    const answer = await until("RPC answer", () => on("v1/devices/me/rpc/response/9")[0]);
    assert.equal(JSON.parse(answer.payload).connects, 1);

    assert.doesNotMatch(b.output, /from shared attribute/, "its own client attributes are not taken for shared ones");
    let at = b.output.length;
    w!.client.publish("v1/devices/me/attributes", '{"telemetryIntervalMs":2000}', { qos: 1 });
    await b.waitFor(/telemetryIntervalMs = 2000 \(from shared attribute\)$/, 5000, at);

    // The broker stops and comes back (fresh for the board, whose session is clean): the board
    // resubscribes and sends what it read meanwhile.
    await broker.stop(); // SIGTERM saves the watcher's persistent session, so it misses nothing
    at = b.output.length;
    await b.waitFor(/Disconnected from ThingsBoard/, 5000, at);
    await sleep(12_000 / SCALE);
    await broker.start();
    await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 15000, at);
    await until("watcher back", () => w!.client.connected);
    // The board subscribes before its first publish after CONNACK: once its attribute request is
    // through, so are its subscriptions.
    await until("the board's second attribute request", () => on("v1/devices/me/attributes/request/1").length >= 2);
    const beforeRpc = on("v1/devices/me/rpc/response/10").length;
    w!.client.publish("v1/devices/me/rpc/request/10", '{"method":"getTelemetry"}', { qos: 1 });
    await until("RPC answer after the restart (re-subscribed)", () => on("v1/devices/me/rpc/response/10").length > beforeRpc);
    await until("backlog arrived", () => on("v1/devices/me/telemetry").some((m) => m.payload.startsWith("[")), 8000);
    // Reading n has humidity 26 + n (n < 55 here).
    const ns = new Set<number>();
    for (const m of on("v1/devices/me/telemetry")) {
      const p = JSON.parse(m.payload);
      for (const e of Array.isArray(p) ? p : [p]) ns.add(e.values.humidity - 26);
    }
    const idx = [...ns].sort((x, y) => x - y);
    assert.ok(idx.length >= 10, `readings seen: ${idx.length}`);
    assert.deepEqual(idx, idx.map((_, i) => i), "every reading 0..n arrived once the broker was back");
  } finally {
    await b.stop();
  }
});
