// The client bundled as the firmware minifies it, run on the virtual board (ESP32-C3) over the
// board's tls module against a real mosquitto: what it publishes at QoS 0 and 1 reaches an
// independent subscriber (MQTT.js) intact, and what the broker sends reaches the board intact.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { bundleMqtt } from "../tools/bench/mqtt-bundle.ts";
import { VirtualBoard } from "../tools/vboard/index.ts";
import { startMosquitto, type Broker } from "./helpers/mosquitto.ts";

const USER = "A1_VBOARD_TOKEN_42";
const PASS = "vboard-pass";
const WAIT_MS = 8000;
const driver = readFileSync(new URL("./fixtures/mqtt/vboard-driver.js", import.meta.url), "utf8");

let broker: Broker;
let sub: MqttClient;
let board: VirtualBoard | undefined;
const dir = mkdtempSync(join(tmpdir(), "mqtt-vboard-"));

before(async () => {
  broker = await startMosquitto({ [USER]: PASS });
});

after(async () => {
  await board?.stop();
  await sub?.endAsync();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Binary string of n bytes in a fixed pattern. */
const bytesOf = (n: number, k = 7) => Array.from({ length: n }, (_, i) => String.fromCharCode((i * k + 3) & 255)).join("");

/** A JS literal with every non-ASCII char escaped, so the program text on the board is pure ASCII. */
const literal = (v: unknown) => JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));

/** A message the board publishes: `payload` is bytes, sent as they are; with `text`, the driver passes
 *  MQTT.utf8(payload) instead (the client encodes nothing itself). */
interface Out { topic: string; payload: string; qos: 0 | 1; text?: boolean; expect: Buffer }

const OUT: Out[] = [
  { topic: "vb/out/q0/empty", payload: "", qos: 0, expect: Buffer.alloc(0) },
  { topic: "vb/out/q0/json", payload: '{"temperature":25.5,"humidity":27}', qos: 0, expect: Buffer.from('{"temperature":25.5,"humidity":27}') },
  { topic: "vb/out/q0/big", payload: bytesOf(1500, 11), qos: 0, expect: Buffer.from(bytesOf(1500, 11), "latin1") },
  // Espruino strings are 8-bit: "ü" and "ß" are one char each on the board, and go out as UTF-8
  // once the board's own utf8() has encoded them.
  { topic: "vb/out/q1/text", payload: "gr\u00fc\u00dfe", qos: 1, text: true, expect: Buffer.from("grüße", "utf8") },
  // The same chars as bytes (no utf8()): they go out unchanged, one byte each.
  { topic: "vb/out/q1/latin1", payload: "gr\u00fc\u00dfe", qos: 1, expect: Buffer.from([0x67, 0x72, 0xfc, 0xdf, 0x65]) },
  { topic: "vb/out/q1/all-bytes", payload: bytesOf(256, 1), qos: 1, expect: Buffer.from(bytesOf(256, 1), "latin1") },
  { topic: "vb/out/q1/big", payload: bytesOf(2000), qos: 1, expect: Buffer.from(bytesOf(2000), "latin1") },
];

test("bundled client on the virtual board publishes QoS 0 and 1 through mosquitto intact, and receives", async () => {
  const got: { topic: string; payload: Buffer; qos: number }[] = [];
  sub = await mqtt.connectAsync(`mqtts://127.0.0.1:${broker.port}`, { username: USER, password: PASS,
    ca: readFileSync(broker.certPath), rejectUnauthorized: false, reconnectPeriod: 0, clientId: "vb-sub" });
  sub.on("message", (topic, payload, packet) => got.push({ topic, payload, qos: packet.qos }));
  await sub.subscribeAsync("vb/out/#", { qos: 1 });

  const caDer = readFileSync(broker.certPath, "utf8").replace(/-----[A-Z ]+-----|\s/g, "");
  const cfg = { port: broker.port, user: USER, pass: PASS, caDer,
    messages: OUT.map((m) => ({ topic: m.topic, payload: m.payload, qos: m.qos, text: !!m.text })) };
  const code = (await bundleMqtt("MQTT")) + "\nvar CFG = " + literal(cfg) + ";\n" + driver;
  board = new VirtualBoard({ board: "esp32c3", storageDir: join(dir, "c3"), ap: { ssid: "vboard-ap", password: "vboard-pass" }, timeScale: 1 });
  board.flash(code);
  board.boot();

  await board.waitFor(/^CONNECTED$/, WAIT_MS);
  await board.waitFor(/^SUBACK vb\/in\/# 1$/, WAIT_MS);
  await board.waitFor(/^ALL ACKED$/, WAIT_MS);
  const sent = board.output.split("\n").filter((l) => l.startsWith("SENT ")).map((l) => l.trim());
  assert.deepEqual(sent, ["SENT vb/out/q0/empty 0", "SENT vb/out/q0/json 0", "SENT vb/out/q0/big 0",
    "SENT vb/out/q1/text 2", "SENT vb/out/q1/latin1 3", "SENT vb/out/q1/all-bytes 4", "SENT vb/out/q1/big 5"],
    "QoS 0 returns 0, QoS 1 a fresh id (1 went to SUBSCRIBE)");
  assert.deepEqual(board.output.match(/^PUBACK \d+/gm), ["PUBACK 2", "PUBACK 3", "PUBACK 4", "PUBACK 5"]);

  const until = Date.now() + WAIT_MS;
  while (got.length < OUT.length && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.equal(got.length, OUT.length, "every message reached the subscriber: " + got.map((g) => g.topic).join(", "));
  for (const m of OUT) {
    const g = got.find((x) => x.topic == m.topic);
    assert.ok(g, m.topic + " arrived");
    assert.equal(g.qos, m.qos, m.topic + " QoS");
    assert.ok(g.payload.equals(m.expect), `${m.topic}: ${g.payload.length} bytes, expected ${m.expect.length} identical`);
  }

  // Broker to board: a QoS 1 message spanning several 536-byte socket chunks, and a QoS 0 one.
  const inbound = Buffer.from(bytesOf(1200, 13), "latin1");
  await sub.publishAsync("vb/in/big", inbound, { qos: 1 });
  await sub.publishAsync("vb/in/small", Buffer.from("hi"), { qos: 0 });
  assert.equal(await board.waitFor(/^MSG vb\/in\/big /, WAIT_MS), "MSG vb/in/big qos 1 " + inbound.toString("base64"));
  assert.equal(await board.waitFor(/^MSG vb\/in\/small /, WAIT_MS), "MSG vb/in/small qos 0 " + btoa("hi"));

  assert.doesNotMatch(board.output, /Uncaught|DISCONNECT|LOG /, "no error, disconnect or log line on the board");
});
