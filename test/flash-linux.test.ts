// `npm run flash` into Espruino's Linux build (espruino-linux-x64 --telnet, telnet port 2323) as a
// development target: one W line saying so, the bundle plus the Wifi stand-in, its access point and
// the ESP32/LED1 globals in Storage, and the firmware then runs from Storage and publishes telemetry
// to a real mosquitto over TLS (RSA certificate for localhost) with the access token as user name.
// The broker's ACL lets only that user name write v1/devices/me/#, and the test shows that it
// refuses anyone else, so a telemetry message arriving proves the name.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { ROOT } from "../tools/common/board.ts";
import { espruinoBin, onEngine } from "./helpers/engines.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";
import { startMosquitto, type Broker } from "./helpers/mosquitto.ts";
import { run } from "./helpers/run.ts";
import { sleep, until } from "./helpers/wait.ts";

const TELNET_PORT = 2323;
const TOKEN = "LINUX_DEV_TOKEN_42";
const TELEMETRY = "v1/devices/me/telemetry";
const BARRIER = "test/barrier";

let dir: string;
let broker: Broker | undefined;
let fw: TestBuild | undefined;
let watcher: MqttClient | undefined;
let interp: ChildProcess | undefined;
let interpOut = "";
const seen: Array<{ topic: string; payload: string }> = [];

/** Rejects when something already listens on the fixed telnet port: we never touch what we did not start. */
function ensurePortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", (e: NodeJS.ErrnoException) => reject(new Error(
      `TCP port ${port} is taken (${e.code}): espruino-linux-x64 --telnet always listens on ${port}; ` +
      `stop whatever uses port ${port} (another Espruino Linux build?) and run this test again`)));
    s.listen(port, "0.0.0.0", () => s.close(() => resolve()));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, "127.0.0.1");
    const t = setTimeout(() => { c.destroy(); resolve(false); }, 1000);
    c.once("connect", () => { clearTimeout(t); c.destroy(); resolve(true); });
    c.once("error", () => { clearTimeout(t); resolve(false); });
  });
}

/** Starts the interpreter in `cwd` (its Storage is ./espruino.flash) with stdin kept open as a pipe:
 *  on stdin EOF it spins and ignores SIGTERM. Its output collects in interpOut. */
function startInterpreter(cwd: string, args: string[]): ChildProcess {
  interpOut = "";
  const p = spawn(espruinoBin()!, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
  interp = p;
  p.stdout!.setEncoding("latin1");
  p.stdout!.on("data", (d: string) => { interpOut = (interpOut + d).slice(-200_000); });
  p.stderr!.on("data", () => undefined);
  p.stdin!.on("error", () => undefined);
  return p;
}

/** SIGKILL by PID (the Linux build ignores SIGTERM while its stdin is open), and wait for the exit, bounded. */
async function killInterpreter(): Promise<void> {
  const p = interp;
  interp = undefined;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => p.once("exit", () => resolve()));
  process.kill(p.pid!, "SIGKILL");
  await Promise.race([gone, sleep(5000)]);
}

before(async () => {
  if (onEngine("espruino").skip) return;
  dir = mkdtempSync(join(tmpdir(), "tb-flash-linux-"));
  // The first block is for clients without a user name (the watcher); `user` blocks for that name only.
  const acl = join(dir, "acl");
  writeFileSync(acl, [
    "topic read v1/devices/me/#",
    `topic readwrite ${BARRIER}`,
    `user ${TOKEN}`,
    "topic readwrite v1/devices/me/#",
    "",
  ].join("\n"));
  broker = await startMosquitto({}, { anonymous: true, certHost: "localhost", config: [`acl_file ${acl}`] });
  fw = await buildTestFirmware({ board: "esp32", host: "localhost", port: broker.port, accessToken: TOKEN,
    telemetryIntervalMs: 1000, serverCert: broker.certPath });
  const w = mqtt.connect(`mqtts://127.0.0.1:${broker.port}`, { rejectUnauthorized: false, reconnectPeriod: 200, clientId: "watcher" });
  watcher = w;
  w.on("message", (topic, payload) => seen.push({ topic, payload: payload.toString("latin1") }));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("the watcher did not subscribe at mosquitto within 10 s")), 10_000);
    w.once("connect", () => w.subscribe(["v1/devices/me/#", BARRIER], { qos: 1 }, (e, granted) => {
      clearTimeout(t);
      if (e) return reject(e);
      if (granted?.some((g) => g.qos > 2)) return reject(new Error(`subscription refused: ${JSON.stringify(granted)}`));
      resolve();
    }));
  });
});

after(async () => {
  await killInterpreter();
  watcher?.end(true);
  await broker?.close();
  fw?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Publishes as `username` (or without one) and waits for the broker's PUBACK. */
async function publishAs(username: string | undefined, payload: string): Promise<void> {
  const c = mqtt.connect(`mqtts://127.0.0.1:${broker!.port}`, { rejectUnauthorized: false, reconnectPeriod: 0,
    clientId: `probe-${username ?? "anon"}`, ...(username ? { username } : {}) });
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`probe ${username} got no PUBACK within 5 s`)), 5000);
      c.once("error", (e) => { clearTimeout(t); reject(e); });
      c.once("connect", () => c.publish(TELEMETRY, payload, { qos: 1 }, (e) => { clearTimeout(t); if (e) reject(e); else resolve(); }));
    });
  } finally {
    c.end(true);
  }
}

/** Everything the broker routed to the watcher before now has arrived once the watcher's own echo does. */
async function barrier(): Promise<void> {
  const mark = `b${Date.now()}-${Math.random()}`;
  watcher!.publish(BARRIER, mark, { qos: 1 });
  await until("the watcher's barrier echo", () => seen.some((m) => m.topic === BARRIER && m.payload === mark), 5000);
}

test("the broker's ACL lets only the access token's user name publish telemetry", onEngine("espruino"), async () => {
  await publishAs("someone-else", '{"intruder":1}');
  await publishAs(undefined, '{"anonymous":1}');
  await barrier();
  assert.deepEqual(seen.filter((m) => m.topic === TELEMETRY), [], "telemetry from any other user name is dropped");
});

test("flash into the Linux build: one W line, extra Storage files, and the firmware publishes with the token as user name",
  onEngine("espruino"), async (t) => {
    await ensurePortFree(TELNET_PORT);
    const cwd = join(dir, "linux");
    rmSync(cwd, { recursive: true, force: true });
    mkdirSync(cwd);
    const p = startInterpreter(cwd, ["--telnet"]);
    const end = Date.now() + 10_000;
    for (;;) {
      if (/Socket bind failed/.test(interpOut)) {
        throw new Error(`espruino-linux-x64 --telnet could not listen on TCP port ${TELNET_PORT} (Socket bind failed): ` +
          `something else took port ${TELNET_PORT}; stop it and run this test again`);
      }
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`espruino-linux-x64 ended at start (${p.exitCode ?? p.signalCode}): ${interpOut.slice(-500)}`);
      if (/espruino\.com\/Donate/.test(interpOut) && await accepts(TELNET_PORT)) break;
      if (Date.now() > end) throw new Error(`espruino-linux-x64 --telnet did not accept on port ${TELNET_PORT} within 10 s: ${interpOut.slice(-500)}`);
      await sleep(100);
    }

    const before = seen.filter((m) => m.topic === TELEMETRY).length;
    assert.equal(before, 0);
    const r = await run("npm", ["run", "flash", "--", "--port", `tcp://127.0.0.1:${TELNET_PORT}`, "--file", join(fw!.dir, "firmware.js"),
      "--config", join(fw!.dir, "device.config.json")], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, limitMs: 120_000 });
    const out = r.stdout + r.stderr;
    t.diagnostic(`npm run flash:\n${out}`);
    assert.equal(r.code, 0, out);
    const warnings = r.stderr.split("\n").filter((l) => /^W flash: .*Linux build/.test(l));
    assert.equal(warnings.length, 1, `exactly one Linux warning line in:\n${r.stderr}`);
    assert.match(warnings[0], new RegExp(`^W flash: tcp://127\\.0\\.0\\.1:${TELNET_PORT} runs Espruino's Linux build \\(BOARD LINUX\\), a development target, not a board: ` +
      "no radio, and TLS takes its buffers from JsVars instead of the native heap; " +
      "also writing a Wifi stand-in \\(any SSID joins at once\\) and the ESP32/LED1 globals \\(\\.boot0\\) into Storage$"));
    assert.deepEqual(r.stderr.split("\n").filter((l) => /^E /.test(l)), [], "no error lines");
    assert.match(r.stdout, /^I flash: Espruino 2v29 \(LINUX\) answered on tcp:\/\/127\.0\.0\.1:2323; uploading [\d,]+ bytes into Storage \.bootcde, and Wifi, \.vbap, \.boot0$/m);
    assert.match(r.stdout, /^I flash: done: esp32 stored \d+ bytes in \.bootcde \(and Wifi, \.vbap, \.boot0\) and runs them at every start of the interpreter/m);
    assert.ok(!out.includes(TOKEN), "the access token is never printed in full");

    // The firmware runs from Storage: telemetry reaches the broker, where only the token's user name may publish it.
    const msg = await until("telemetry from the flashed firmware at mosquitto", () => seen.find((m) => m.topic === TELEMETRY), 30_000);
    const body = JSON.parse(msg.payload);
    const first = Array.isArray(body) ? body[0] : body;
    assert.equal(typeof first.values.temperature, "number", msg.payload);
    assert.equal(typeof first.values.humidity, "number", msg.payload);

    // As after a board's reset: a new process on the same Storage runs .boot0 and .bootcde by itself
    // (no telnet this time, so its console is stdout) and publishes again.
    await killInterpreter();
    startInterpreter(cwd, []);
    await until("the firmware's start-up line after the restart", () => /app: \[APP\] Startup\.\. tb-espruino-device \S+ for esp32/.test(interpOut), 10_000);
    await until("the firmware connected after the restart", () => /tb_mqtt: Connected to ThingsBoard/.test(interpOut), 20_000);
    await barrier();
    const count = seen.filter((m) => m.topic === TELEMETRY).length;
    await until("telemetry after the restart", () => seen.filter((m) => m.topic === TELEMETRY).length > count, 20_000);
    assert.doesNotMatch(interpOut, /Uncaught|ASSERT\(/, interpOut.slice(-2000));
  });
