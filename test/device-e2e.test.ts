// The real bundle on the virtual board against the local ThingsBoard endpoint over TLS (through a
// tap that can inject bytes and cut or refuse connections): telemetry, attributes, RPC, reconnects,
// outages without data loss, a refused token, garbage from the server.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import mqttPacket from "mqtt-packet";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { TbEndpoint } from "../tools/tb-endpoint/index.ts";
import type { Board } from "../tools/vboard/index.ts";
import { bootDevice, readingNo } from "./helpers/device.ts";
import { ENGINES, onEngine, type EngineName } from "./helpers/engines.ts";
import { startTap, type Tap } from "./helpers/device-tap.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";
import { sleep, until } from "./helpers/wait.ts";

const TOKEN = "TEST_TOKEN_123";
const DEV = "dev1";
const SCALE = 20;

let dir: string;
let cert: { certPath: string; keyPath: string };
let ep: TbEndpoint;
let epPort: number;
let tap: Tap;
let fw: TestBuild;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-device-"));
  cert = generateSelfSigned({ host: "localhost", outDir: dir });
  ep = await TbEndpoint.start({ devices: [{ name: DEV, token: TOKEN }], tls: cert, http: false });
  epPort = ep.ports.tls!;
  tap = await startTap({ ...cert, upstream: { port: epPort, tls: true } });
  // The largest queue: at 20x board time an outage lasts as many board seconds as the host lets it, and on
  // the real interpreter each TLS handshake alone is seconds of board time; "nothing lost" is about
  // what fits in the queue, which the bench's soak run measures at its edge.
  fw = await buildTestFirmware({ board: "esp32", port: tap.port, accessToken: TOKEN, telemetryIntervalMs: 1000, queueCapacity: 200 });
});

after(async () => {
  await tap?.close();
  await ep?.stop();
  fw?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Boots a fresh board (own storage) with the clock set as SNTP would; stop it in finally. */
function boot(engine: EngineName): Board {
  const b = bootDevice(engine, dir, fw.code, SCALE);
  b.stepClock();
  return b;
}

function publishPacket(topic: string, payload: string): Buffer {
  return mqttPacket.generate({ cmd: "publish", topic, payload, qos: 0, dup: false, retain: false });
}

for (const engine of ENGINES) describe(`on the ${engine} engine`, onEngine(engine), () => {
  test("telemetry arrives with the configured keys, the example's pattern and its ts; attributes after connect", async () => {
    const before = ep.telemetry(DEV).length;
    const b = boot(engine);
    try {
      await b.waitFor(/^I \(\d+\) tb_mqtt: Connected to ThingsBoard$/, 8000);
      const got = await until("4 readings", () => { const t = ep.telemetry(DEV).slice(before); return t.length >= 4 && t; });
      assert.deepEqual(Object.keys(got[0]!.values).sort(), ["humidity", "temperature"]);
      assert.deepEqual(got.slice(0, 4).map((e) => e.values), [
        { temperature: 25, humidity: 26 }, { temperature: 25.5, humidity: 27 },
        { temperature: 26, humidity: 28 }, { temperature: 26.5, humidity: 29 },
      ]);
      for (let i = 1; i < 4; i++) {
        const d = got[i]!.ts - got[i - 1]!.ts;
        // Board time runs 20x faster than real time here, so a busy host stretches gaps: bound them loosely.
        assert.ok(d > 500 && d < 5000, `readings ~1000 ms apart by their ts, got ${d}`);
      }
      assert.ok(Math.abs(got[0]!.ts - Date.now()) < 120_000, "ts is the board's wall clock in ms");
      const attrs = await until<Record<string, unknown>>("client attributes", () => { const a = ep.attributes(DEV, "client"); return a.board ? a : undefined; });
      assert.equal(attrs.board, "esp32");
      assert.equal(attrs.espruinoVersion, "2v29");
      assert.equal(attrs.firmwareVersion, "0.1.0");
      assert.match(String(attrs.ip), /^\d+\.\d+\.\d+\.\d+$/);
      assert.equal(attrs.droppedReadings, 0);
      assert.match(String(attrs.serial), /\S/);
      assert.equal(attrs.sensor, "simulated");
      assert.equal(attrs.sensorErrors, 0);
      assert.equal(attrs.sensorBadReadings, 0);
      assert.deepEqual(Object.keys(attrs).sort(), ["board", "droppedReadings", "espruinoVersion", "firmwareVersion", "ip", "sensor",
        "sensorBadReadings", "sensorErrors", "serial"]);
      const out = b.output;
      assert.equal(out.match(/does not verify the server certificate/g)?.length, 1, "one TLS warning line");
      assert.match(out, new RegExp(`^I \\(\\d+\\) tb_mqtt: connecting to mqtts://localhost:${tap.port} \\.\\.\\.$`, "m"));
      // Once the backlog of the connect is out (a batch when connecting took longer than an interval),
      // each reading goes alone.
      await b.waitFor(/^I \(\d+\) tb_mqtt_wapper: \[Telemetry\]\[Tx\] \{"ts":\d+,"values":\{"temperature":[\d.]+,"humidity":\d+\}\}$/m, 8000);
      await b.waitFor(/^I \(\d+\) tb_mqtt_wapper: published msg_id=\d+$/m, 8000);
      assert.doesNotMatch(b.output, new RegExp(TOKEN), "the token is never printed in full");
      assert.equal(tap.maxOpen(), 1, "never two sockets at once");
    } finally {
      await b.stop();
    }
  });

  test("shared attributes: requested at connect, pushed updates move the interval, bad values are refused", async () => {
    ep.setSharedAttributes(DEV, { telemetryIntervalMs: 2000 });
    const b = boot(engine);
    try {
      await b.waitFor(/tb_mqtt_wapper: telemetryIntervalMs = 2000 \(from shared attribute\)$/, 8000);
      let at = b.output.length;
      ep.setSharedAttributes(DEV, { telemetryIntervalMs: 50 });
      await b.waitFor(/^W \(\d+\) tb_mqtt_wapper: telemetryIntervalMs 50 from shared attribute rejected: use 1000-86400000$/, 5000, at);
      ep.setSharedAttributes(DEV, { telemetryIntervalMs: "soon" });
      await b.waitFor(/telemetryIntervalMs "soon" from shared attribute rejected/, 5000, at);
      at = b.output.length;
      ep.setSharedAttributes(DEV, { telemetryIntervalMs: 4000 });
      await b.waitFor(/telemetryIntervalMs = 4000 \(from shared attribute\)$/, 5000, at);
      const start = ep.telemetry(DEV).length;
      const got = await until("3 readings at the new interval", () => { const t = ep.telemetry(DEV).slice(start + 1); return t.length >= 3 && t; }, 10000);
      for (let i = 1; i < got.length; i++) {
        const d = got[i]!.ts - got[i - 1]!.ts;
        assert.ok(d > 3500 && d < 5500, `readings ~4000 ms apart, got ${d}`);
      }
    } finally {
      ep.deleteSharedAttributes(DEV, ["telemetryIntervalMs"]);
      await b.stop();
    }
  });

  test("server-side RPC: every built-in method answers; unknown and malformed requests get an error", async () => {
    const b = boot(engine);
    try {
      await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 8000);
      await b.waitFor(/published msg_id=/, 5000);
      const cur = (await ep.rpc(DEV, "getTelemetry", {}, 3000)) as Record<string, number>;
      assert.deepEqual(Object.keys(cur).sort(), ["humidity", "temperature"]);
      readingNo(cur);
      assert.deepEqual(await ep.rpc(DEV, "setTelemetryInterval", 2000, 3000), { telemetryIntervalMs: 2000 });
      assert.deepEqual(await ep.rpc(DEV, "setTelemetryInterval", { telemetryIntervalMs: 3000 }, 3000), { telemetryIntervalMs: 3000 });
      const bad = (await ep.rpc(DEV, "setTelemetryInterval", 10, 3000)) as { error: string };
      assert.match(bad.error, /telemetryIntervalMs 10 from RPC rejected: use 1000-86400000/);
      const st = (await ep.rpc(DEV, "getStatus", null, 3000)) as Record<string, number>;
      assert.equal(st.connects, 1);
      assert.equal(st.dropped, 0);
      assert.ok(st.uptimeMs > 0 && st.queueDepth >= 0 && st.sent >= 1 && st.memTotal === 16383, JSON.stringify(st));
      assert.deepEqual(await ep.rpc(DEV, "selfDestruct", {}, 3000), { error: "unknown method selfDestruct" });
      let at = b.output.length;
      tap.inject(publishPacket("v1/devices/me/rpc/request/77", "{not json"));
      await b.waitFor(/^W \(\d+\) rpc: request is not JSON$/, 5000, at);
      tap.inject(publishPacket("v1/devices/me/rpc/request/78", '{"params":1}'));
      await b.waitFor(/^W \(\d+\) rpc: request needs a method$/, 5000, at);
      assert.deepEqual(await ep.rpc(DEV, "setTelemetryInterval", 1000, 3000), { telemetryIntervalMs: 1000 }, "still serving");
      assert.doesNotMatch(b.output.slice(at), /Disconnected/, "a malformed RPC does not cost the connection");
      at = b.output.length;
      assert.deepEqual(await ep.rpc(DEV, "reboot", {}, 3000), { rebooting: true });
      await b.waitFor(/^I \(\d+\) app: \[APP\] Startup\.\. /, 5000, at);
      await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 8000, at);
    } finally {
      await b.stop();
    }
  });

  test("a garbage packet and an oversized packet from the server cost one reconnect each, no reading", async () => {
    const start = ep.telemetry(DEV).length;
    const b = boot(engine);
    try {
      await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 8000);
      await b.waitFor(/published msg_id=/, 5000);
      let at = b.output.length;
      tap.inject(Buffer.from([0xf0, 0x00]));
      await b.waitFor(/^W \(\d+\) tb_mqtt: Disconnected from ThingsBoard \(.+\); retry in [\d.]+ s$/, 5000, at);
      await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 8000, at);
      at = b.output.length;
      // PUBLISH announcing 100,000 bytes: far over what the board accepts.
      tap.inject(Buffer.concat([Buffer.from([0x30, 0xa0, 0x8d, 0x06]), Buffer.alloc(600, 0x41)]));
      await b.waitFor(/Disconnected from ThingsBoard \(.*over limit.*\)/, 5000, at);
      await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 8000, at);
      at = b.output.length;
      await b.waitFor(/published msg_id=/, 5000, at);
      const ns = ep.telemetry(DEV).slice(start).map((e) => readingNo(e.values));
      const uniq = [...new Set(ns)].sort((x, y) => x - y);
      assert.deepEqual(uniq, uniq.map((_, i) => i), "readings 0..n all arrived");
      assert.equal(tap.maxOpen(), 1);
    } finally {
      await b.stop();
    }
  });

  test("endpoint killed and restarted, then Wi-Fi dropped: every reading arrives afterwards with its ts, in order", async () => {
    const start = ep.telemetry(DEV).length;
    const b = boot(engine);
    const entries: Array<{ ts: number; values: Record<string, unknown> }> = [];
    try {
      await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 8000);
      await until("3 readings", () => ep.telemetry(DEV).length - start >= 3);
      entries.push(...ep.telemetry(DEV).slice(start));
      await ep.stop();
      await sleep(10_000 / SCALE);
      ep = await TbEndpoint.start({ devices: [{ name: DEV, token: TOKEN }], tls: { ...cert, port: epPort }, http: false });
      let at = b.output.length;
      await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 15000, at);
      await b.waitFor(/\[Telemetry\]\[Tx\] \[\{"ts"/, 5000, at);
      at = b.output.length;
      b.ap.dropLink();
      await b.waitFor(/wifi: Link to \S+ lost/, 5000, at);
      await sleep(12_000 / SCALE);
      b.ap.restoreLink();
      await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 15000, at);
      const status = (await ep.rpc(DEV, "getStatus", null, 5000)) as Record<string, number>;
      assert.equal(status.dropped, 0);
      await until("queue drained", () => {
        const t = ep.telemetry(DEV);
        return t.length > 0 && readingNo(t[t.length - 1]!.values) >= readingNo(entries[entries.length - 1]!.values) + 20;
      }, 10000);
      entries.push(...ep.telemetry(DEV));
      const byN = new Map<number, number>();
      for (const e of entries) {
        const n = readingNo(e.values);
        if (byN.has(n)) assert.equal(byN.get(n), e.ts, `reading ${n} sent twice must be the same reading (QoS 1 resend)`);
        byN.set(n, e.ts);
      }
      const ns = [...byN.keys()].sort((x, y) => x - y);
      assert.deepEqual(ns, ns.map((_, i) => i), "no reading lost: 0..n all arrived");
      for (let i = 1; i < ns.length; i++) assert.ok(byN.get(i)! > byN.get(i - 1)!, `ts in order at reading ${i}`);
      assert.match(b.output, /\[Telemetry\]\[Tx\] \[\{"ts":\d+,"values":\{[^}]+\}\},\{"ts"/, "the backlog went in batches");
      assert.equal(tap.maxOpen(), 1, "never two sockets at once");
    } finally {
      await b.stop();
    }
  });

  test("a refused access token is logged with the fix and retried slowly, not in a tight loop", async () => {
    const other = await TbEndpoint.start({ devices: [{ name: "other", token: "SOMEONE_ELSE" }], tls: cert, http: false });
    tap.setUpstream({ port: other.ports.tls!, tls: true });
    const b = boot(engine);
    try {
      await b.waitFor(/^E \(\d+\) tb_mqtt: Token TE\*\*\* refused \(CONNACK 5\): set accessToken to the device's token; retry in (6\d|7\d|8\d|9\d|1\d\d)\.\d s$/, 8000);
      const n = tap.accepted();
      await sleep(2000); // 40 s of board time
      assert.equal(tap.accepted(), n, "no new attempt within 40 s of board time");
      const at = b.output.length;
      await b.waitFor(/Token TE\*\*\* refused \(CONNACK 5\)/, 8000, at);
      assert.equal(tap.accepted(), n + 1, "then exactly one more attempt");
      assert.doesNotMatch(b.output, /Connected to ThingsBoard/);
    } finally {
      await b.stop();
      tap.setUpstream({ port: epPort, tls: true });
      await other.stop();
    }
  });
});
