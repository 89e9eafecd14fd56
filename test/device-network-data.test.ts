// What arrives from the network, checked for Espruino's JSON.parse rather than V8's (docs/espruino.md
// §1.5, issue item 4): every malformed RPC request gets {"error": ...} on its response topic, every
// malformed shared attribute update or attribute response a W line naming what was wrong, and
// telemetry keeps flowing on the same connection afterwards. Against mosquitto, whose watcher can
// publish any bytes on the device's topics and sees the board's answers.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { createBoard } from "../tools/vboard/index.ts";
import { ENGINES, onEngine } from "./helpers/engines.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";
import { startMosquitto, type Broker } from "./helpers/mosquitto.ts";
import { until } from "./helpers/wait.ts";

const SCALE = 20;
const ME = "v1/devices/me/";
let dir: string;
let broker: Broker;
let fw: TestBuild;
let watcher: MqttClient;
const seen: Array<{ topic: string; payload: string }> = [];

const on = (topic: string) => seen.filter((m) => m.topic === topic);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-netdata-"));
  broker = await startMosquitto({}, { anonymous: true, certHost: "localhost" });
  fw = await buildTestFirmware({ board: "esp32", port: broker.port, telemetryIntervalMs: 1000, serverCert: broker.certPath });
  watcher = mqtt.connect(`mqtts://127.0.0.1:${broker.port}`, { rejectUnauthorized: false, clientId: "watcher" });
  watcher.on("message", (topic, payload) => seen.push({ topic, payload: payload.toString("latin1") }));
  await new Promise<void>((resolve, reject) => {
    watcher.once("connect", () => watcher.subscribe(ME + "#", { qos: 1 }, (e) => (e ? reject(e) : resolve())));
  });
});

after(async () => {
  watcher?.end(true);
  await broker?.close();
  fw?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const LONG = "x".repeat(1100);
const OVER_2_63 = "18446744073709556616"; // Espruino's JSON.parse makes this 5000, a valid interval

/** RPC payloads and the error each must get. Where V8 and Espruino parse differently (duplicate
 *  keys: Espruino keeps the first, V8 the last), either reading is refused. */
const RPCS: Array<[string, RegExp]> = [
  ['{"method":"setTelemetryInterval","params":"soon"}', /^telemetryIntervalMs "soon" from RPC rejected: use 1000-86400000$/],
  ['{"method":"setTelemetryInterval","params":{"telemetryIntervalMs":true}}', /^telemetryIntervalMs true from RPC rejected/],
  ['{"method":"setTelemetryInterval","params":[2000]}', /^telemetryIntervalMs \[2000\] from RPC rejected/],
  ['{"method":"setTelemetryInterval","params":2000.5}', /^telemetryIntervalMs 2000.5 from RPC rejected/],
  ["42", /^request is not an object$/],
  ['"getStatus"', /^request is not an object$/],
  ["true", /^request is not an object$/],
  ["null", /^request is not an object$/],
  ['[{"method":"getStatus"}]', /^request is not an object$/],
  ['{"__proto__":{"method":"reboot"}}', /^request refused at __proto__$/],
  ['{"__proto__":5,"method":"getStatus"}', /^request refused at __proto__$/],
  ['{"\\u005f_proto__":{"method":"reboot"}}', /^request refused at \\u$/],
  ['{"constructor":{"method":"reboot"},"method":"getStatus"}', /^request refused at "constructor"$/],
  ["{'method':'getStatus','prototype':1}", /^request refused at 'prototype'$/],
  [`{"method":"getStatus","params":"${LONG}"}`, /^request is over 1024 bytes$/],
  [`{"method":"setTelemetryInterval","params":${OVER_2_63}}`, /^request refused at :1844674407370955$/],
  [`{"method":"setTelemetryInterval","params":{"telemetryIntervalMs":-${OVER_2_63}}}`, /^request refused at -1844674407370955$/],
  ['{"method":"setTelemetryInterval","params":10,"params":"x"}', /^telemetryIntervalMs (10|"x") from RPC rejected/],
  ['{"method":"nope","method":"nada"}', /^unknown method (nope|nada)$/],
  ["{method:getStatus}", /^request is not JSON$/],
  ['{"params":1}', /^request needs a method$/],
  ['{"method":5}', /^request needs a method$/],
  ['{"method":"toString"}', /^unknown method toString$/],
];

/** Shared attribute updates and the W line each must give. */
const UPDATES: Array<[string, RegExp]> = [
  ['{"telemetryIntervalMs":"fast"}', /^W \(\d+\) tb_mqtt_wapper: telemetryIntervalMs "fast" from shared attribute rejected/],
  [`{"telemetryIntervalMs":${OVER_2_63}}`, /^W \(\d+\) attributes: update refused at :1844674407370955$/],
  ['[{"telemetryIntervalMs":2000}]', /^W \(\d+\) attributes: update is not an object$/],
  ["7", /^W \(\d+\) attributes: update is not an object$/],
  ['{"__proto__":{"telemetryIntervalMs":2000}}', /^W \(\d+\) attributes: update refused at __proto__$/],
  [`{"telemetryIntervalMs":2000,"note":"${LONG}"}`, /^W \(\d+\) attributes: update is over 1024 bytes$/],
  ["oops", /^W \(\d+\) attributes: update is not JSON$/],
  ['{"telemetryIntervalMs":5,"telemetryIntervalMs":"x"}', /^W \(\d+\) tb_mqtt_wapper: telemetryIntervalMs (5|"x") from shared attribute rejected/],
];

/** Attribute responses (to the board's request 1) and the W line each must give. */
const RESPONSES: Array<[string, RegExp]> = [
  ['{"shared":5}', /^W \(\d+\) attributes: response has shared not an object$/],
  ['{"shared":"x"}', /^W \(\d+\) attributes: response has shared not an object$/],
  ["garbage", /^W \(\d+\) attributes: response is not JSON$/],
  ['{"shared":{"telemetryIntervalMs":-3}}', /^W \(\d+\) tb_mqtt_wapper: telemetryIntervalMs -3 from shared attribute rejected/],
  ['{"shared":{"constructor":1}}', /^W \(\d+\) attributes: response refused at "constructor"$/],
];

for (const engine of ENGINES) {
  test(`bad RPCs get an error answer, bad attribute messages a W line, and telemetry keeps flowing [${engine}]`, onEngine(engine), async () => {
    const b = createBoard({ engine, board: "esp32", storageDir: join(dir, "vb-" + engine), ap: { ssid: "TestNet", password: "correct-horse" }, timeScale: SCALE });
    b.flash(fw.code);
    b.boot();
    b.stepClock();
    const publish = (topic: string, payload: string) => watcher.publish(topic, Buffer.from(payload, "latin1"), { qos: 1 });
    seen.length = 0; // answers of a board that ran before are not this one's
    try {
      await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 15_000);
      await until("first telemetry", () => on(ME + "telemetry").length > 0, 10_000);

      let id = 100;
      for (const [payload, want] of RPCS) {
        const topic = ME + "rpc/response/" + ++id;
        publish(ME + "rpc/request/" + id, payload);
        const answer = await until(`answer to ${payload.slice(0, 60)}`, () => on(topic)[0]);
        const error = JSON.parse(answer.payload).error;
        assert.match(String(error), want, `${payload.slice(0, 80)} answered ${answer.payload}`);
      }
      // A request id that is not an int32 has no answer to go to: logged.
      for (const bad of ["abc", "12345678901"]) {
        const at = b.output.length;
        publish(ME + "rpc/request/" + bad, '{"method":"getStatus"}');
        await b.waitFor(/^W \(\d+\) rpc: bad request id$/, 5000, at);
      }
      for (const [topic, cases] of [[ME + "attributes", UPDATES], [ME + "attributes/response/1", RESPONSES]] as const) {
        for (const [payload, want] of cases) {
          const at = b.output.length;
          publish(topic, payload);
          await b.waitFor(want, 5000, at);
        }
      }

      // Still the same connection, the same program and the first interval, and readings flow.
      const before = on(ME + "telemetry").length;
      await until("3 more telemetry messages", () => on(ME + "telemetry").length >= before + 3, 10_000);
      publish(ME + "rpc/request/999", '{"method":"getStatus"}');
      const st = JSON.parse((await until("getStatus", () => on(ME + "rpc/response/999")[0])).payload);
      assert.equal(st.intervalMs, 1000, "no bad message moved the interval");
      assert.equal(st.connects, 1);
      assert.equal(st.disconnects, 0);
      publish(ME + "rpc/request/1000", '{"method":"setTelemetryInterval","params":{"telemetryIntervalMs":2000}}');
      assert.deepEqual(JSON.parse((await until("a good RPC", () => on(ME + "rpc/response/1000")[0])).payload), { telemetryIntervalMs: 2000 });
      const out = b.output;
      assert.doesNotMatch(out, /Uncaught|handler threw|Disconnected|ASSERT|rpc\/response\/(abc|12345678901)/);
      assert.equal(out.match(/\[APP\] Startup\.\./g)?.length, 1, "never rebooted (no prototype trick reached reboot)");
      assert.equal(on(ME + "rpc/response/abc").length + on(ME + "rpc/response/12345678901").length, 0);
    } finally {
      await b.stop();
    }
  });
}
