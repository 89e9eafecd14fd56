// Unit tests of the firmware modules on both engines of the virtual board (issue 10): each fixture in
// test/fixtures/units/ imports src/ modules directly, gives them settings of this file's choosing
// (none of them the firmware defaults), drives them with a fake MQTT client or fake sensor, and
// prints what happens; test/helpers/unit-bundle.ts bundles it with the firmware's own transpile and
// terser options and checks it with the Espruino gate. So the same minified code runs in the node
// engine's vm and on the real Espruino 2v29 interpreter.
//   queue      src/telemetry/queue.ts: order, drop-oldest and the count, at capacity 3 and width 2
//   telemetry  src/thingsboard/telemetry.ts: first reading at start, queueing while down, one timed
//              batch on connect, PUBACK pacing, interval checks, sensor failures
//   messages   src/thingsboard/attributes.ts + rpc.ts (+ inbound.ts) through a fake client
//   wifi       src/wifi.ts on the board's access point: up/down, wrong password
//   link       src/thingsboard/link.ts over plain MQTT to the local ThingsBoard endpoint (loopback)
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TbEndpoint } from "../tools/tb-endpoint/index.ts";
import { createBoard, type Board } from "../tools/vboard/index.ts";
import { ENGINES, onEngine, type EngineName } from "./helpers/engines.ts";
import { bundleUnit } from "./helpers/unit-bundle.ts";

const ME = "v1/devices/me/";
const WAIT_MS = 15000;

const QUEUE = { capacity: 3, width: 2 };
const TELEMETRY = { intervalMs: 1500, keys: ["t", "h"], queueCapacity: 4, nextIntervalMs: 2000, rejected: [999, 1.5, "x", 86400001] };
const WIFI = { ssid: "UnitLab-5", password: "unit-pass-77", sntpServer: "time.unit.test" };
const DEVICE = { name: "unit-dev", token: "UNIT_TOKEN_7f3a" };

/** [label, topic, payload] delivered in order by the messages fixture; "add" adds methods first. */
const STEPS: [string, string, string][] = [
  ["update", ME + "attributes", '{"telemetryIntervalMs":2500}'],
  ["response", ME + "attributes/response/1", '{"client":{"board":"x"},"shared":{"telemetryIntervalMs":3000}}'],
  ["response-client-only", ME + "attributes/response/1", '{"client":{"board":"x"}}'],
  ["update-other-key", ME + "attributes", '{"otherKey":1}'],
  ["update-malformed", ME + "attributes", '{"telemetryIntervalMs":'],
  ["response-shared-not-object", ME + "attributes/response/1", '{"shared":5}'],
  ["update-invalid", ME + "attributes", '{"telemetryIntervalMs":500}'],
  ["rpc-unknown", ME + "rpc/request/7", '{"method":"setTemperature","params":{}}'],
  ["rpc-prototype", ME + "rpc/request/8", '{"method":"toString"}'],
  ["rpc-builtin", ME + "rpc/request/9", '{"method":"getInterval"}'],
  ["rpc-before-add", ME + "rpc/request/10", '{"method":"later","params":1}'],
  ["add", ME + "rpc/request/11", '{"method":"later","params":{"a":[1,2]}}'],
  ["rpc-throws", ME + "rpc/request/12", '{"method":"broken"}'],
  ["rpc-returns-nothing", ME + "rpc/request/13", '{"method":"nothing"}'],
  ["rpc-malformed", ME + "rpc/request/14", '{"method":'],
  ["rpc-no-method", ME + "rpc/request/15", '{"params":1}'],
  ["rpc-bad-id", ME + "rpc/request/abc", '{"method":"getInterval"}'],
];
const MESSAGES = { intervalMs: 1500, info: { firmwareVersion: "unit-9.9", board: "unitboard", espruinoVersion: "2v29", ip: "10.9.8.7", serial: "unit-serial", droppedReadings: 0 }, steps: STEPS };

const code: Record<string, string> = {};
const boards: Board[] = [];
const dirs: string[] = [];
let endpoint: TbEndpoint;

before(async () => {
  endpoint = await TbEndpoint.start({ devices: [DEVICE], tcp: {}, http: false });
  const link = { ...WIFI, host: "localhost", port: endpoint.ports.tcp!, clientId: "unit-client-1", intervalMs: 1500, keys: ["t", "h"] };
  const settings: Record<string, [string, object]> = {
    queue: ["queue", QUEUE],
    telemetry: ["telemetry", TELEMETRY],
    messages: ["messages", MESSAGES],
    wifi: ["wifi", WIFI],
    link: ["link", { ...link, token: DEVICE.token }],
    linkRefused: ["link", { ...link, token: "UNIT_WRONG_99" }],
  };
  await Promise.all(Object.entries(settings).map(async ([k, [name, s]]) => (code[k] = await bundleUnit(name, s))));
});

after(async () => {
  for (const b of boards) await b.stop();
  await endpoint?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh board on `engine` running `program`. */
function boot(engine: EngineName, program: string, o: { timeScale: number; ap?: { ssid?: string; password?: string }; timeServer?: boolean }): Board {
  const storageDir = mkdtempSync(join(tmpdir(), "unit-vb-"));
  dirs.push(storageDir);
  const b = createBoard({ engine, board: "esp32c3", storageDir, ap: o.ap ?? {}, timeScale: o.timeScale, timeServer: o.timeServer });
  boards.push(b);
  b.flash(program);
  b.boot();
  return b;
}

/** The program's lines (the board's banner left out), log lines without their uptime: "W tag: msg". */
function lines(b: Board, from = 0): string[] {
  return b.output.slice(from).split("\n").map((l) => l.replace(/\r$/, "").replace(/^([EWI]) \(\d+\) /, "$1 "))
    .filter((l) => l && !/^Espruino \S+ \S+ \(virtual board/.test(l));
}

/** The JSON after `prefix` on the one line that starts with it. */
function jsonAfter(all: string[], prefix: string): unknown {
  const found = all.filter((l) => l.startsWith(prefix));
  assert.equal(found.length, 1, `one line starting "${prefix}": ${found.join(" | ")}`);
  return JSON.parse(found[0].slice(prefix.length));
}

for (const engine of ENGINES) describe(`on the ${engine} engine`, onEngine(engine), () => {
  test("queue (capacity 3, width 2): keeps order, drops the oldest when full and counts it; times and values survive Int32", async () => {
    const b = boot(engine, code.queue, { timeScale: 1 });
    await b.waitFor(/^DONE$/, WAIT_MS);
    await b.stop();
    assert.deepEqual(lines(b), [
      "Q empty - size=0 dropped=0 rows=",
      "Q push1 true size=1 dropped=0 rows=100,1.5,11.5",
      "Q push2 true size=2 dropped=0 rows=100,1.5,11.5;200,2.5,12.5",
      "Q push3 true size=3 dropped=0 rows=100,1.5,11.5;200,2.5,12.5;300,3.5,13.5",
      "Q push4 false size=3 dropped=1 rows=200,2.5,12.5;300,3.5,13.5;400,4.5,14.5",
      "Q push5 false size=3 dropped=2 rows=300,3.5,13.5;400,4.5,14.5;500,5.5,15.5",
      "Q shift1 - size=2 dropped=2 rows=400,4.5,14.5;500,5.5,15.5",
      "Q push9 true size=3 dropped=2 rows=400,4.5,14.5;500,5.5,15.5;900,9.5,19.5",
      "Q shiftall - size=0 dropped=2 rows=",
      "Q push10 true size=1 dropped=2 rows=1000,10.5,20.5",
      "Q nan - size=2 dropped=2 rows=1000,10.5,20.5;1100,NaN,7",
      "I32 exact = = =;= = =",
      "I32 range NaN,NaN",
      // The reading at T + 990 is 2^32 ms older than the new one: dropped and counted, though not full.
      "Q spanfalse - size=2 dropped=3 rows=4294969286,NaN,NaN;8589935582,1,2",
      "DONE",
    ]);
  });

  test("telemetry (1500 ms, keys t/h, capacity 4): queue while down, one timed batch, PUBACK pacing, interval checks, sensor failures", async () => {
    const b = boot(engine, code.telemetry, { timeScale: 5 });
    await b.waitFor(/^TAKEN 3 /, WAIT_MS);
    // SNTP's answer while readings wait: the clock jumps to real time, here (before reading 7; the
    // fixture waits for it after reading 6 to connect) most likely while readings 4-6 are taken, so
    // the batch holds readings from both sides of the step.
    const stepMs = Date.now();
    b.stepClock(stepMs / 1000);
    await b.waitFor(/^DONE$/, 30000);
    await b.stop();
    const all = lines(b);
    const T = "tb_mqtt_wapper: ";
    assert.doesNotMatch(b.output, /Uncaught/);
    const at = (line: string) => {
      const i = all.indexOf(line);
      assert.ok(i >= 0, `"${line}" printed`);
      return i;
    };
    // Uptime when reading n was asked for, and when the sensor's answer had been taken.
    const uptimes = (word: string) => new Map(all.filter((l) => l.startsWith(word + " ")).map((l) => l.split(" ")).map((w) => [+w[1], +w[3]]));
    const read = uptimes("READ");
    const taken = uptimes("TAKEN");
    assert.deepEqual([...read.keys()], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual([...taken.keys()], [...read.keys()]);
    const status = (label: string) => {
      const l = all.find((x) => x.startsWith(`STATUS ${label} `));
      assert.ok(l, `STATUS ${label}`);
      const m = /^STATUS \S+ (\{.*\}) (\{.*\})$/.exec(l)!;
      return { status: JSON.parse(m[1]), current: JSON.parse(m[2]) };
    };
    const pubs = all.filter((l) => l.startsWith("PUB " + ME + "telemetry ")).map((l) => {
      const m = /^PUB (\S+) q(\d) (.*)$/.exec(l)!;
      assert.equal(m[1], ME + "telemetry");
      assert.equal(m[2], "1", "QoS 1");
      return JSON.parse(m[3]);
    });
    assert.equal(pubs.length, 3, "the batch, reading 7, reading 11");

    // The first reading is taken at start, before any interval has passed.
    assert.ok(read.get(1)! < TELEMETRY.intervalMs, `first reading at uptime ${read.get(1)} ms`);
    assert.deepEqual(status("start"), { status: { queueDepth: 1, dropped: 0, sent: 0, intervalMs: 1500, sensorErrors: 0, sensorBadReadings: 0 }, current: { t: 21.5, h: 41 } },
      "the reading is queued when startTelemetry returns");
    // Bounds loose enough for a loaded machine (timeScale 5: 100 ms late is 500 ms on the board's clock).
    for (let n = 2; n <= 7; n++) {
      const gap = read.get(n)! - read.get(n - 1)!;
      assert.ok(gap >= 1200 && gap < 3000, `reading ${n} ${gap} ms after ${n - 1}: the 1500 ms interval`);
    }

    // Down: readings 5 and 6 each push out the oldest, with a W line; nothing is published.
    assert.deepEqual(all.filter((l) => l.startsWith("W " + T + "Queue full")),
      ["W " + T + "Queue full: dropped the oldest (1 so far)", "W " + T + "Queue full: dropped the oldest (2 so far)"]);
    assert.ok(at("W " + T + "Queue full: dropped the oldest (1 so far)") > all.findIndex((l) => l.startsWith("READ 5 ")));
    assert.deepEqual(status("down").status, { queueDepth: 4, dropped: 2, sent: 0, intervalMs: 1500, sensorErrors: 0, sensorBadReadings: 0 });
    assert.ok(all.findIndex((l) => l.startsWith("PUB ")) > all.findIndex((l) => l.startsWith("STATUS down ")), "nothing sent while down");

    // connected(): readings 3-6, oldest first, in one batch of {ts, values}, ts in epoch ms.
    const batch = pubs[0] as { ts: number; values: object }[];
    assert.ok(Array.isArray(batch), "one array");
    assert.deepEqual(batch.map((r) => r.values), [{ t: 23.5, h: 43 }, { t: 24.5, h: 44 }, { t: 25.5, h: 45 }, { t: 26.5, h: 46 }]);
    const ts = [...batch.map((r) => r.ts), pubs[1].ts, pubs[2].ts];
    for (const x of ts) assert.ok(Number.isInteger(x) && x > stepMs - 30000 && x < stepMs + 120000, `ts ${x} is epoch ms near ${stepMs}`);
    // Each ts is the epoch ms of the uptime stored with the reading (between its READ and TAKEN): the
    // steps between them match the readings' own. Across the clock step ("Clock set", printed by the
    // first uptime read after it) the uptime loses what passed since the read before (the fixture's
    // 50 ms heartbeat, plus the interpreter's lateness): up to 1000 ms allowed there only.
    const clockSet = at("I time: Clock set");
    const line = (word: string, n: number) => all.findIndex((l) => l.startsWith(`${word} ${n} `));
    assert.ok(clockSet > line("READ", 3) && clockSet < line("READ", 7), "the clock was set while readings 3-6 waited");
    for (let i = 1; i < 5; i++) {
      const n = i + 3;
      const step = ts[i] - ts[i - 1];
      const across = clockSet > line("READ", n - 1) && clockSet < line("TAKEN", n);
      const lo = read.get(n)! - taken.get(n - 1)! - 1 - (across ? 1000 : 0);
      const hi = taken.get(n)! - read.get(n - 1)! + 1;
      assert.ok(step >= lo && step <= hi, `ts of reading ${n} ${step} ms after ${n - 1}'s, the readings ${lo}-${hi} ms apart`);
    }
    assert.deepEqual(status("batch").status, { queueDepth: 4, dropped: 2, sent: 0, intervalMs: 1500, sensorErrors: 0, sensorBadReadings: 0 });

    // Reading 7 waits for the batch's PUBACK (a PUBACK for another id releases nothing), then goes alone.
    assert.deepEqual(status("held"), { status: { queueDepth: 5, dropped: 2, sent: 0, intervalMs: 1500, sensorErrors: 0, sensorBadReadings: 0 }, current: { t: 27.5 } });
    assert.ok(at("PUBLISHED 1") < at("I " + T + "published msg_id=41"));
    assert.ok(at("I " + T + "published msg_id=41") < all.indexOf("PUB " + ME + "telemetry q1 " + JSON.stringify(pubs[1])));
    assert.deepEqual(pubs[1].values, { t: 27.5 }, "a NaN value leaves its key out");
    assert.ok(pubs[1].ts > ts[3]);
    assert.deepEqual(status("acked").status, { queueDepth: 0, dropped: 2, sent: 5, intervalMs: 1500, sensorErrors: 0, sensorBadReadings: 0 });

    // The interval: each invalid value refused with {error} and a W line, 2000 taken and used from now.
    const why = (v: unknown) => `telemetryIntervalMs ${JSON.stringify(v)} from unit test rejected: use 1000-86400000`;
    for (const v of TELEMETRY.rejected) {
      assert.deepEqual(jsonAfter(all, "SET " + JSON.stringify(v) + " "), { error: why(v) });
      at("W " + T + why(v));
    }
    assert.deepEqual(jsonAfter(all, "SET 2000 "), { telemetryIntervalMs: 2000 });
    at("I " + T + "telemetryIntervalMs = 2000 (from unit test)");
    // Set after reading 7 was taken, and timed from then: reading 8 comes 2000 ms after it at least.
    assert.ok(read.get(8)! - read.get(7)! >= 2000, `reading 8 ${read.get(8)! - read.get(7)!} ms after 7: the new interval from when it was set`);
    for (let n = 9; n <= 11; n++) {
      const gap = read.get(n)! - read.get(n - 1)!;
      assert.ok(gap >= 1700 && gap < 4000, `reading ${n} ${gap} ms after ${n - 1}: the 2000 ms interval`);
    }

    // Reading 8 is bad (CRC): dropped and counted; 9-10 do not answer: one W line ("lost": the sensor
    // had answered before), counted; 11 answers: one I line, sent.
    const S = "sensor: UnitSensor";
    assert.deepEqual(all.filter((l) => l.includes(S)), [
      "W " + S + ": reading dropped, CRC mismatch (1 so far)",
      "W " + S + " lost: no answer at 0x44; retrying",
      "I " + S + " back after 2 failed readings",
    ]);
    assert.ok(at("W " + S + ": reading dropped, CRC mismatch (1 so far)") > all.findIndex((l) => l.startsWith("READ 8 ")));
    assert.ok(at("W " + S + " lost: no answer at 0x44; retrying") > all.findIndex((l) => l.startsWith("READ 9 ")));
    assert.ok(at("I " + S + " back after 2 failed readings") > all.findIndex((l) => l.startsWith("READ 11 ")));
    const counts = { sensorErrors: 2, sensorBadReadings: 1 };
    assert.deepEqual(status("failing"), { status: { queueDepth: 0, dropped: 2, sent: 5, intervalMs: 2000, ...counts }, current: { t: 27.5 } });
    assert.deepEqual(pubs[2].values, { t: 31.5, h: 51 });
    assert.deepEqual(status("end"), { status: { queueDepth: 0, dropped: 2, sent: 6, intervalMs: 2000, ...counts }, current: { t: 31.5, h: 51 } });
    // The counts went to the client attributes at each change while connected: the bad reading, the
    // loss (at its first missed reading), the return.
    assert.deepEqual(all.filter((l) => l.includes("v1/devices/me/attributes ")).map((l) => l.slice(l.indexOf("{"))), [
      '{"sensorErrors":0,"sensorBadReadings":1}',
      '{"sensorErrors":1,"sensorBadReadings":1}',
      '{"sensorErrors":2,"sensorBadReadings":1}',
    ]);
  });

  test("attributes and RPC through a fake client: interval via onInterval, responses, malformed input, live handler table", async () => {
    const b = boot(engine, code.messages, { timeScale: 1 });
    await b.waitFor(/^DONE$/, WAIT_MS);
    await b.stop();
    const all = lines(b);
    assert.deepEqual(all.slice(0, 3), [`SUB ${ME}attributes q1`, `SUB ${ME}attributes/response/+ q1`, `SUB ${ME}rpc/request/+ q1`]);
    const section = new Map<string, string[]>();
    let cur: string[] = [];
    for (const l of all.slice(3)) {
      if (l.startsWith("STEP ")) section.set(l.slice(5), (cur = []));
      else cur.push(l);
    }
    const T = "tb_mqtt_wapper: ";
    const answer = (id: string, v: object) => `PUB ${ME}rpc/response/${id} q0 ${JSON.stringify(v)}`;
    const unknown = (id: string, m: string) => [`W rpc: unknown method ${m}`, answer(id, { error: "unknown method " + m })];
    const expected: Record<string, string[]> = {
      connect: [`PUB ${ME}attributes q0 {"firmwareVersion":"unit-9.9","board":"unitboard","espruinoVersion":"2v29","ip":"10.9.8.7","serial":"unit-serial","droppedReadings":0}`, `PUB ${ME}attributes/request/1 q0 {"sharedKeys":"telemetryIntervalMs"}`],
      update: ["INTERVAL 2500 shared attribute", "I " + T + "telemetryIntervalMs = 2500 (from shared attribute)"],
      response: ["INTERVAL 3000 shared attribute", "I " + T + "telemetryIntervalMs = 3000 (from shared attribute)"],
      "response-client-only": [],
      "update-other-key": [],
      "update-malformed": ["W attributes: update is not JSON"],
      "response-shared-not-object": ["W attributes: response has shared not an object"],
      "update-invalid": ["INTERVAL 500 shared attribute", "W " + T + "telemetryIntervalMs 500 from shared attribute rejected: use 1000-86400000"],
      "rpc-unknown": unknown("7", "setTemperature"),
      "rpc-prototype": unknown("8", "toString"),
      "rpc-builtin": [answer("9", { ms: 3000 })],
      "rpc-before-add": unknown("10", "later"),
      add: [answer("11", { got: { a: [1, 2] } })],
      "rpc-throws": ["W rpc: broken failed: out of paper", answer("12", { error: "broken failed: out of paper" })],
      "rpc-returns-nothing": [answer("13", {})],
      "rpc-malformed": ["W rpc: request is not JSON", answer("14", { error: "request is not JSON" })],
      "rpc-no-method": ["W rpc: request needs a method", answer("15", { error: "request needs a method" })],
      "rpc-bad-id": ["W rpc: bad request id", 'STATUS {"queueDepth":0,"dropped":0,"sent":0,"intervalMs":3000,"sensorErrors":0,"sensorBadReadings":0}', "DONE"],
    };
    assert.deepEqual(Object.fromEntries(section), expected);
  });

  test("wifi with its own SSID and password: up() after the join, down() after a drop, up() again", async () => {
    const b = boot(engine, code.wifi, { timeScale: 20, ap: { ssid: WIFI.ssid, password: WIFI.password } });
    await b.waitFor(/^UP /, WAIT_MS);
    b.ap.dropLink();
    await b.waitFor(/^DOWN$/, WAIT_MS);
    b.ap.restoreLink();
    const at = b.output.lastIndexOf("DOWN");
    await b.waitFor(/^UP /, WAIT_MS, at);
    await b.stop();
    const all = lines(b);
    assert.deepEqual(all.filter((l) => /^(UP|DOWN|SNTP)/.test(l)), ["UP 192.168.4.2", "SNTP time.unit.test UTC0", "DOWN", "UP 192.168.4.2"],
      "told of each join and drop; SNTP pointed at the configured server once, after the first join");
    const up = all.indexOf("UP 192.168.4.2");
    assert.deepEqual(all.slice(0, up + 1), [`I wifi: Connecting to ${WIFI.ssid}...`, `I wifi: Connected to ${WIFI.ssid}, IP 192.168.4.2`, "UP 192.168.4.2"]);
    assert.match(all[all.indexOf("DOWN") - 1], new RegExp(`^W wifi: Link to ${WIFI.ssid} lost \\(reason BEACON_TIMEOUT\\); rejoining in [\\d.]+ s$`));
    assert.ok(!b.output.includes(WIFI.password), "the password is never printed");
  });

  test("wifi with a wrong password: W line naming wifiSsid and wifiPassword, retried until the access point takes it", async () => {
    const b = boot(engine, code.wifi, { timeScale: 20, ap: { ssid: WIFI.ssid, password: "the-ap-wants-this" } });
    const refused = new RegExp(`^W \\(\\d+\\) wifi: Cannot join ${WIFI.ssid} \\(AUTH_FAIL, reason AUTH_FAIL\\): check wifiSsid \\(2\\.4 GHz\\) and wifiPassword; retry in [\\d.]+ s$`);
    await b.waitFor(refused, WAIT_MS);
    const second = b.output.length;
    await b.waitFor(new RegExp(`^I \\(\\d+\\) wifi: Connecting to ${WIFI.ssid}\\.\\.\\.$`), WAIT_MS, second);
    await b.waitFor(refused, WAIT_MS, second);
    assert.doesNotMatch(b.output, /^UP/m, "up() only after a join");
    b.ap.setPassword(WIFI.password);
    await b.waitFor(/^UP 192\.168\.4\.2$/, WAIT_MS);
    await b.stop();
    assert.ok(lines(b).filter((l) => l.startsWith("W wifi: Cannot join")).length >= 2, "retried");
    assert.ok(!b.output.includes(WIFI.password), "the password is never printed");
  });

  test("link (plain MQTT, own host/port/token/client id) to the local endpoint: telemetry with its keys, again after a Wi-Fi drop", async () => {
    const got: { ts: number; values: Record<string, unknown> }[] = [];
    const onTelemetry = (name: string, entries: typeof got) => { if (name === DEVICE.name) got.push(...entries); };
    endpoint.on("telemetry", onTelemetry);
    try {
      const b = boot(engine, code.link, { timeScale: 5, ap: { ssid: WIFI.ssid, password: WIFI.password }, timeServer: true });
      const until = async (n: number) => {
        const end = Date.now() + WAIT_MS;
        while (got.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        assert.ok(got.length >= n, `${n} entries arrived (${got.length}); board:\n${b.output}`);
      };
      await b.waitFor(/^CONNECTED \{"connects":1,"disconnects":0,"refused":0\}$/, WAIT_MS);
      await until(3);
      b.ap.dropLink();
      await b.waitFor(/^W \(\d+\) wifi: Link to UnitLab-5 lost/, WAIT_MS);
      const before = got.length;
      b.ap.restoreLink();
      await b.waitFor(/^CONNECTED \{"connects":2,/, WAIT_MS);
      await until(before + 3);
      await b.stop();
      const all = lines(b);
      // The plain-MQTT warning is main.ts's (the build knows tls): test/device-plain.test.ts checks it.
      assert.ok(all.includes(`I tb_mqtt: connecting to mqtt://localhost:${endpoint.ports.tcp} ...`), "its own host and port");
      assert.equal(all.filter((l) => l === "I tb_mqtt: Connected to ThingsBoard").length, 2);
      assert.ok(!b.output.includes(DEVICE.token), "the token is never printed");
      // Every reading from the first (taken before the link was up) on, with the fixture's keys, none
      // lost across the drop (one resent after the reconnect may arrive twice).
      for (const e of got) {
        assert.deepEqual(Object.keys(e.values), ["t", "h"]);
        assert.equal(e.values.h, 100 - (Number(e.values.t) - 0.25));
        assert.ok(Math.abs(e.ts - Date.now()) < 10 * 60000, `ts ${e.ts} is epoch ms (the time server set the clock)`);
      }
      const t = [...new Set(got.map((e) => Number(e.values.t)))].sort((x, y) => x - y);
      assert.deepEqual(t, t.map((_, i) => i + 1.25), "readings 1.. without a gap");
    } finally {
      endpoint.off("telemetry", onTelemetry);
    }
  });

  test("link with a token the endpoint does not know: E line with the token masked, refused counted", async () => {
    const refused: [string, number][] = [];
    const onRefused = (shown: string, c: number) => refused.push([shown, c]);
    endpoint.on("refused", onRefused);
    try {
      const b = boot(engine, code.linkRefused, { timeScale: 5, ap: { ssid: WIFI.ssid, password: WIFI.password } });
      await b.waitFor(/^E \(\d+\) tb_mqtt: Token UN\*\*\* refused \(CONNACK 5\): set accessToken to the device's token; retry in 6\d\.\d s$/, WAIT_MS);
      await b.stop();
      assert.deepEqual(refused, [["UN***", 5]]);
      assert.ok(!b.output.includes("UNIT_WRONG_99"), "the token is never printed");
      assert.doesNotMatch(b.output, /^CONNECTED/m);
    } finally {
      endpoint.off("refused", onRefused);
    }
  });
});
