// The one-command demo end to end: the real `npm start` as a child process (its own config, certificate
// and Storage in a temp folder; its configured MQTT port held busy so the fall-back to a free port is
// exercised), its live page opened in Debian's Chromium through playwright-core. Asserts what a person
// would see: the device connects, values and the chart move, an RPC button gets the device's answer, the
// shared attribute reaches the firmware; then Ctrl-C stops everything. Then `--engine espruino`: the same
// demo with the board on the real interpreter, checked through the page's own API.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chromium, type Browser, type Page } from "playwright-core";
import { onEngine } from "./helpers/engines.ts";

// Callbacks passed to page.evaluate run in the browser; this file is typed for Node, so the page's
// globals it touches are named here (module-scoped, nothing leaks into other files).
declare const document: { getElementById(id: string): any; querySelector(selector: string): any };

const ROOT = join(import.meta.dirname, "..");
const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "DEMO_TEST_TOKEN_42";
const WIFI_PASSWORD = "demo-wifi-secret";

let dir: string;
let busy: Server;
let busyPort: number;
let child: ChildProcess;
let output = "";
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let browser: Browser | undefined;

/** Resolves with the first match of re in the child's output, or fails with its tail. */
function waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = re.exec(output);
      if (!m) return false;
      clearTimeout(timer);
      child.stdout!.off("data", check);
      resolve(m);
      return true;
    };
    const timer = setTimeout(() => {
      child.stdout!.off("data", check);
      reject(new Error(`no ${re} in npm start's output within ${timeoutMs} ms; last lines:\n${output.split("\n").slice(-20).join("\n")}`));
    }, timeoutMs);
    if (!check()) child.stdout!.on("data", check);
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function launch(): Promise<Browser> {
  // launch() starts Chromium on a fresh, empty profile of its own (it refuses --user-data-dir);
  // the rest keeps it off the network this machine does not have.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with 'apt-get install chromium' (tools/ensure-system-deps.sh does)`);
  dir = mkdtempSync(join(tmpdir(), "tb-demo-test-"));
  busy = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => busy.once("listening", r));
  busyPort = (busy.address() as AddressInfo).port;
  writeFileSync(join(dir, "device.config.json"), JSON.stringify({
    board: "esp32", wifiSsid: "DemoNet", wifiPassword: WIFI_PASSWORD, host: "localhost", port: busyPort,
    accessToken: TOKEN, telemetryIntervalMs: 1000, serverCert: "server.pem",
  }));
  child = spawn("npm", ["start", "--", "--seconds", "50", "--storage", join(dir, "vboard"), "--out", join(dir, "firmware.js"), "--page-port", "0"], {
    cwd: ROOT,
    env: { ...process.env, TB_CONFIG: join(dir, "device.config.json") },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so Ctrl-C (SIGINT to the group) reaches npm, tsx and node as in a terminal
  });
  child.stdout!.setEncoding("utf8").on("data", (d: string) => { output += d; });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => { output += d; });
  exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
});

after(async () => {
  await browser?.close();
  if (groupAlive(child.pid!)) {
    process.kill(-child.pid!, "SIGKILL");
    await exited;
  }
  await new Promise((r) => busy.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test("npm start serves a live page: status, values and chart update, RPC answers, attribute reaches the device, Ctrl-C stops", { timeout: 60_000 }, async (t) => {
  const [, url] = await waitForOutput(/live page: (http:\/\/127\.0\.0\.1:\d+\/)/, 40_000);

  await t.test("made its certificate and fell back to a free port", () => {
    assert.match(output, /made a throw-away RSA-2048 certificate for localhost in \S*\.vboard\/certs\/demo-\w+ for the demo alone/);
    assert.ok(!existsSync(join(dir, "server.pem")) && !existsSync(join(dir, "server_key.pem")), "nothing written beside the temp config");
    const moved = new RegExp(`port ${busyPort} is taken on this machine: the local endpoint listens on (\\d+)`).exec(output);
    assert.ok(moved, `expected the fall-back note for busy port ${busyPort}`);
    assert.notEqual(Number(moved[1]), busyPort);
    assert.ok(!output.includes(TOKEN) && !output.includes(WIFI_PASSWORD), "secrets never printed in full");
  });

  browser = await launch();
  const page: Page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(url!);

  await t.test("the device shows as connected", async () => {
    await page.waitForSelector('#conn[data-connected="true"]', { timeout: 15_000 });
    assert.equal(await page.textContent("#device-name"), "my-esp32");
  });

  await t.test("latest values and the chart update as telemetry arrives", async () => {
    await page.waitForFunction(() => Number(document.getElementById("chart")!.dataset.points) >= 2, null, { timeout: 15_000 });
    const before = await page.evaluate(() => ({
      points: Number(document.getElementById("chart")!.dataset.points),
      image: document.getElementById("chart").toDataURL(),
      ts: document.querySelector('#latest tr[data-key="temperature"] td.value')!.getAttribute("data-ts"),
    }));
    await page.waitForFunction((n) => Number(document.getElementById("chart")!.dataset.points) >= n + 3, before.points, { timeout: 10_000 });
    const later = await page.evaluate(() => ({
      image: document.getElementById("chart").toDataURL(),
      ts: document.querySelector('#latest tr[data-key="temperature"] td.value')!.getAttribute("data-ts"),
      temp: document.querySelector('#latest tr[data-key="temperature"] td.value')!.textContent,
      hum: document.querySelector('#latest tr[data-key="humidity"] td.value')!.textContent,
    }));
    assert.notEqual(later.image, before.image, "the chart was redrawn with new points");
    assert.ok(Number(later.ts) > Number(before.ts), "the latest temperature has a newer timestamp");
    assert.match(later.temp!, /^-?\d+(\.\d+)?°C$/);
    assert.match(later.hum!, /^\d+(\.\d+)?%$/);
  });

  await t.test("device status is filled from the getStatus RPC", async () => {
    await page.waitForFunction(() => /\d/.test(document.getElementById("st-uptime")!.textContent!), null, { timeout: 10_000 });
    assert.match((await page.textContent("#st-queue"))!, /^\d+$/);
    assert.equal(await page.textContent("#st-interval"), "1000 ms");
  });

  await t.test("an RPC button gets the device's answer on the page", async () => {
    await page.click('button[data-rpc="getTelemetry"]');
    const answer = await page.waitForSelector('#rpc-log li[data-method="getTelemetry"]', { timeout: 10_000 });
    assert.equal(await answer.getAttribute("class"), "ok");
    const body = JSON.parse((await answer.$eval("pre", (e) => e.textContent!)));
    assert.equal(typeof body.temperature, "number");
    assert.equal(typeof body.humidity, "number");
  });

  await t.test("setTelemetryInterval RPC: accepted value and the firmware's own refusal", async () => {
    await page.fill("#rpc-interval", "2000");
    await page.click('#rpc-interval-form button');
    const ok = await page.waitForSelector('#rpc-log li[data-method="setTelemetryInterval"]', { timeout: 10_000 });
    assert.deepEqual(JSON.parse(await ok.$eval("pre", (e) => e.textContent!)), { telemetryIntervalMs: 2000 });
    await page.waitForFunction(() => /^2000 ms/.test(document.getElementById("st-interval")!.textContent), null, { timeout: 5000 });
    await page.fill("#rpc-interval", "10");
    await page.$eval("#rpc-interval-form", (f) => (f as unknown as { noValidate: boolean }).noValidate = true); // past the browser's own min check
    await page.click('#rpc-interval-form button');
    const refused = await page.waitForSelector('#rpc-log li[data-method="setTelemetryInterval"].error', { timeout: 10_000 });
    assert.match(await refused.$eval("pre", (e) => e.textContent!), /telemetryIntervalMs 10 from RPC rejected: use 1000-86400000/);
  });

  await t.test("the shared attribute reaches the firmware", async () => {
    await page.fill("#attr-interval", "3000");
    await page.click("#attr-interval-form button");
    await page.waitForSelector('#rpc-log li[data-method="telemetryIntervalMs"].ok', { timeout: 10_000 });
    await waitForOutput(/telemetryIntervalMs = 3000 \(from shared attribute\)/, 10_000);
    await page.waitForFunction(() => /^3000 ms/.test(document.getElementById("st-interval")!.textContent), null, { timeout: 5000 });
  });

  await t.test("the page's API refuses bad input with one clear line", async () => {
    const post = async (path: string, body: string) => {
      const r = await fetch(new URL(path, url), { method: "POST", body, headers: { "content-type": "application/json" } });
      return { status: r.status, error: ((await r.json()) as { error: string }).error };
    };
    assert.deepEqual(await post("/api/rpc", "{not json"), { status: 400, error: "request body is not valid JSON; send a JSON object" });
    assert.deepEqual(await post("/api/rpc", "[1]"), { status: 400, error: "request body must be a JSON object, got an array" });
    assert.deepEqual(await post("/api/rpc", "{}"), { status: 400, error: '"method" must be an RPC method name like "getStatus", got nothing' });
    assert.match((await post("/api/attributes", '{"telemetryIntervalMs": 10}')).error, /whole number of ms from 1000 to 86400000, got 10$/);
    assert.match((await post("/api/attributes", '{"other": 1}')).error, /only that shared attribute, got keys \["other"\]$/);
    const unknown = await post("/api/rpc", '{"method": "selfDestruct"}');
    assert.deepEqual(unknown.status, 200, "the device answers unknown methods itself");
    const r404 = await fetch(new URL("/../../package.json", url));
    assert.equal(r404.status, 404);
    const r405 = await fetch(new URL("/api/rpc", url));
    assert.equal(r405.status, 405);
  });

  await page.screenshot({ path: join(process.env.DEMO_SCREENSHOT_DIR ?? dir, "demo-page.png"), fullPage: true });
  assert.deepEqual(pageErrors, [], "no script errors on the page");
  await browser.close();
  browser = undefined;

  await t.test("Ctrl-C stops the board, the page and the endpoint, and npm start exits 0", async () => {
    const stoppedAt = Date.now();
    process.kill(-child.pid!, "SIGINT");
    const { code, signal } = await exited;
    // npm itself dies of the SIGINT as in a terminal; what matters is that start.ts shut down cleanly.
    assert.ok(code === 0 || signal === "SIGINT", `npm start ended with code ${code}, signal ${signal}`);
    // Every process of the group (npm, tsx, node) gone, promptly: not by --seconds, not left behind.
    while (groupAlive(child.pid!)) {
      assert.ok(Date.now() - stoppedAt < 8000, `npm start's processes still running 8 s after Ctrl-C; last lines:\n${output.split("\n").slice(-10).join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(output, /I start: stopping/);
    assert.doesNotMatch(output, /E start:|Error/);
    const r = await fetch(url!).then(() => "answered", () => "refused");
    assert.equal(r, "refused", "the page server is closed");
  });
});

/** `tools/start.ts` with `args` and the test's config, run by node itself (not npm) in its own process
 *  group: Ctrl-C goes to start.ts alone, and the group is what is left if it does not stop. */
function spawnDemo(args: string[]) {
  const demo = spawn(process.execPath, ["--import", "tsx", "tools/start.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, TB_CONFIG: join(dir, "device.config.json") },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  demo.stdout!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  demo.stderr!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  /** f()'s first value other than undefined, polled every 200 ms; fails after ms with the demo's last lines. */
  const until = async <T>(what: string, ms: number, f: () => Promise<T | undefined> | T | undefined): Promise<T> => {
    for (const end = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 200))) {
      const v = await f();
      if (v !== undefined) return v;
      assert.ok(Date.now() < end, `${what} not within ${ms} ms; npm start said:\n${out.split("\n").slice(-20).join("\n")}`);
    }
  };
  return { demo, out: () => out, until };
}

test("npm start -- --engine espruino: the firmware on the real interpreter feeds the same page", { ...onEngine("espruino"), timeout: 30_000 }, async () => {
  const { demo, out: said, until } = spawnDemo(["--engine", "espruino", "--seconds", "40", "--time-scale", "2",
    "--storage", join(dir, "vboard-espruino"), "--out", join(dir, "firmware-espruino.js"), "--page-port", "0"]);
  const ended = new Promise<number | null>((r) => demo.once("exit", (code) => r(code)));
  try {
    const url = await until("the live page", 15_000, () => /live page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(said())?.[1]);
    assert.match(said(), /booting .* on a virtual esp32 \(engine espruino: the real interpreter; access point "DemoNet"/);
    type State = { device: { connected: boolean; name: string }; history: Array<{ ts: number; values: Record<string, unknown> }> };
    const state = () => fetch(new URL("/api/state", url)).then((r) => r.json() as Promise<State>);
    const s = await until("two readings on the page", 12_000, async () => {
      const st = await state();
      return st.device.connected && st.history.filter((e) => typeof e.values.temperature === "number").length >= 2 ? st : undefined;
    });
    assert.equal(s.device.name, "my-esp32");
    assert.match(said(), /Espruino 2v29 ESP32 \(virtual board, real interpreter\)\n[^]*\[APP\] Startup\.\. tb-espruino-device \S+ for esp32, Espruino 2v29\n/);
    // SNTP on the demo network: readings carry the real time, as on the node engine.
    assert.ok(Math.abs(s.history.at(-1)!.ts - Date.now()) < 60_000, `reading time ${s.history.at(-1)!.ts} is the wall clock's`);
    const r = await fetch(new URL("/api/rpc", url), { method: "POST", body: '{"method":"getTelemetry"}', headers: { "content-type": "application/json" } });
    assert.equal(r.status, 200);
    const answer = (await r.json()) as { result: { temperature: unknown; humidity: unknown } };
    assert.deepEqual([typeof answer.result.temperature, typeof answer.result.humidity], ["number", "number"]);

    const stoppedAt = Date.now();
    process.kill(demo.pid!, "SIGINT");
    assert.equal(await Promise.race([ended, new Promise<string>((res) => setTimeout(() => res("still running after 8 s"), 8000))]), 0, said().slice(-800));
    while (groupAlive(demo.pid!)) {
      assert.ok(Date.now() - stoppedAt < 8000, "the interpreter still runs after npm start stopped");
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.match(said(), /I start: stopping/);
    assert.doesNotMatch(said(), /E start:|E vboard:|ASSERT/);
  } finally {
    if (groupAlive(demo.pid!)) process.kill(-demo.pid!, "SIGKILL");
  }
});

test("npm start -- --ota: the page's Update firmware builds, signs and sends the next version, which the board installs", { timeout: 90_000 }, async () => {
  const { demo, out: said, until } = spawnDemo(["--ota", "--seconds", "80", "--time-scale", "10",
    "--storage", join(dir, "vboard-ota"), "--out", join(dir, "firmware-ota.js"), "--page-port", "0"]);
  try {
    const url = await until("the live page", 30_000, () => /live page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(said())?.[1]);
    type State = { device: { connected: boolean; firmware: { fw_state?: string; current_fw_version?: string } | null }; firmwareUpdate: { available: boolean } };
    const state = () => fetch(new URL("/api/state", url)).then((r) => r.json() as Promise<State>);
    const s = await until("the device connected", 20_000, async () => { const st = await state(); return st.device.connected ? st : undefined; });
    assert.equal(s.firmwareUpdate.available, true, "the button is enabled with --ota");
    const r = await fetch(new URL("/api/update-firmware", url), { method: "POST" });
    assert.equal(r.status, 200, await r.clone().text());
    const { message } = (await r.json()) as { message: string };
    const version = /tb-espruino-device (\S+) \(\d+ bytes\) assigned to my-esp32/.exec(message)?.[1];
    assert.ok(version, `the answer names the version sent: ${message}`);
    await until("UPDATED on the page", 45_000, async () => {
      const fw = (await state()).device.firmware;
      return fw?.fw_state === "UPDATED" && fw.current_fw_version === version ? fw : undefined;
    });
    assert.match(said(), new RegExp(`ota: installing ${version.replace(/\./g, "\\.")} in place of `));
    assert.match(said(), new RegExp(`\\[APP\\] Startup\\.\\. tb-espruino-device ${version.replace(/\./g, "\\.")} for esp32`));
    assert.doesNotMatch(said(), /E start:|Uncaught|refused:/);
  } finally {
    if (groupAlive(demo.pid!)) process.kill(-demo.pid!, "SIGKILL");
  }
});

test("npm start -- --sensor bme280: its readings with pressure reach the endpoint, and the page unplugs and plugs it in", { timeout: 90_000 }, async () => {
  const { demo, out: said, until } = spawnDemo(["--sensor", "bme280", "--seconds", "80",
    "--storage", join(dir, "vboard-sensor"), "--out", join(dir, "firmware-sensor.js"), "--page-port", "0"]);
  let sensorBrowser: Browser | undefined;
  try {
    const url = await until("the live page", 30_000, () => /live page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(said())?.[1]);
    assert.match(said(), /I start: sensor: bme280 wired to the board/);
    type State = { history: Array<{ ts: number; values: Record<string, unknown> }>; sensor: { kind: string; present: boolean } | null; units: Record<string, string> };
    const state = () => fetch(new URL("/api/state", url)).then((r) => r.json() as Promise<State>);
    const full = (e: { values: Record<string, unknown> }) => ["temperature", "humidity", "pressure"].every((k) => typeof e.values[k] === "number");
    const s = await until("a reading with temperature, humidity and pressure at the endpoint", 30_000, async () => {
      const st = await state();
      return st.history.some(full) ? st : undefined;
    });
    assert.deepEqual(s.sensor && { kind: s.sensor.kind, present: s.sensor.present }, { kind: "bme280", present: true });
    assert.equal(s.units.pressure, "hPa");
    const v = s.history.find(full)!.values as Record<string, number>;
    assert.ok(v.temperature! > 20 && v.temperature! < 24 && v.humidity! > 38 && v.humidity! < 52 && v.pressure! > 1005 && v.pressure! < 1021,
      `a room's values: ${JSON.stringify(v)}`);

    sensorBrowser = await launch();
    const page = await sensorBrowser.newPage({ viewport: { width: 1280, height: 1200 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector("#sensor-card:not([hidden])", { timeout: 10_000 });
    assert.equal(await page.textContent("#sensor-kind"), "bme280");
    await page.waitForSelector('#latest tr[data-key="pressure"]', { timeout: 10_000 });
    assert.match((await page.textContent('#latest tr[data-key="pressure"] td.value'))!, /^\d{4}(\.\d+)?hPa$/);

    await page.click("#sensor-toggle:not([disabled])");
    const lost = await waitFor(said, /^W \(\d+\) sensor: BME280 lost: no answer at 0x76 \(SDA D21, SCL D22\): check the wiring.*$/m, 15_000);
    await page.waitForFunction(() => document.getElementById("sensor-state").textContent === "unplugged", null, { timeout: 5000 });
    await page.waitForFunction((l) => document.getElementById("sensor-log").textContent.includes(l), lost, { timeout: 5000 });
    // sensorErrors is a client attribute published when it changes.
    await page.waitForFunction(() => Number(document.getElementById("sensor-errors").textContent) >= 1, null, { timeout: 10_000 });

    await page.click("#sensor-toggle:not([disabled])");
    const back = await waitFor(said, /^I \(\d+\) sensor: BME280 back after \d+ failed readings?$/m, 15_000);
    await page.waitForFunction(() => document.getElementById("sensor-state").textContent === "plugged in", null, { timeout: 5000 });
    await page.waitForFunction((l) => document.getElementById("sensor-log").textContent.includes(l), back, { timeout: 5000 });
    await page.screenshot({ path: join(process.env.DEMO_SCREENSHOT_DIR ?? dir, "demo-page-sensor.png"), fullPage: true });
    assert.deepEqual(pageErrors, [], "no script errors on the page");
    assert.doesNotMatch(said(), /E start:|Uncaught/);
  } finally {
    await sensorBrowser?.close();
    if (groupAlive(demo.pid!)) process.kill(-demo.pid!, "SIGKILL");
  }
});

/** The first line of `text()` matching re, polled every 100 ms. */
async function waitFor(text: () => string, re: RegExp, ms: number): Promise<string> {
  for (const end = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 100))) {
    const m = re.exec(text());
    if (m) return m[0];
    assert.ok(Date.now() < end, `no ${re} within ${ms} ms; npm start said:\n${text().split("\n").filter((l) => !/tb_mqtt_wapper/.test(l)).slice(-30).join("\n")}`);
  }
}
