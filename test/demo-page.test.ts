// The live page in Debian's Chromium (playwright-core) against its own server, the local endpoint over
// TLS and the real firmware on a virtual board: the interval fields take any whole number in the
// firmware's range and refuse the rest in the server's words; when the page's server goes (closed, or
// killed with its process) the page says "stopped" and keeps saying it, and it comes back by itself
// once a server listens on the same port again. The firmware update's state (fw_state, fw_error,
// current_fw_*) is shown as a device reports it, and the "Update firmware" button works only when the
// page server was given updateFirmware, and says why not otherwise.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import mqtt from "mqtt";
import { chromium, type Browser, type Page } from "playwright-core";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS } from "../tools/common/index.ts";
import { DeviceView } from "../tools/demo/device-view.ts";
import { startPageServer, type PageServer } from "../tools/demo/page-server.ts";
import { TbEndpoint } from "../tools/tb-endpoint/index.ts";
import type { Board } from "../tools/vboard/index.ts";
import { bootDevice } from "./helpers/device.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";
import { sleep } from "./helpers/wait.ts";

// Callbacks passed to page.evaluate run in the browser; this file is typed for Node.
declare const document: { getElementById(id: string): any; body: any };

const ROOT = join(import.meta.dirname, "..");
const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "PAGE_TEST_TOKEN_42";
const RANGE = `from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}`;

let dir: string;
let ep: TbEndpoint;
let fw: TestBuild;
let board: Board | undefined;
let view: DeviceView;
let server: PageServer | undefined;
let browser: Browser;
const children = new Set<ChildProcess>();

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with 'apt-get install chromium' (tools/ensure-system-deps.sh does)`);
  dir = mkdtempSync(join(tmpdir(), "tb-demo-page-"));
  const cert = generateSelfSigned({ host: "localhost", outDir: dir });
  ep = await TbEndpoint.start({ devices: [{ name: "my-esp32", token: TOKEN }], tls: cert, http: false });
  fw = await buildTestFirmware({ board: "esp32", port: ep.ports.tls, accessToken: TOKEN, telemetryIntervalMs: 1000, serverCert: cert.certPath });
  // getStatus twice a second: the interval shown comes from the device soon after it changes.
  view = new DeviceView({ endpoint: ep, deviceName: "my-esp32", statusEveryMs: 500, rpcTimeoutMs: 5000 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await server?.close();
  view?.close();
  await board?.stop();
  await ep?.stop();
  fw?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function pageServer(port: number): Promise<PageServer> {
  return startPageServer({ view, keys: ["temperature", "humidity"], info: { board: "esp32" }, port });
}

/** What the page shows about its server and the device. */
function seen(page: Page): Promise<{ pill: string; server: string; banner: boolean; commandsDisabled: boolean; connection: string }> {
  return page.evaluate(() => ({
    pill: document.getElementById("conn").textContent,
    server: document.body.dataset.server,
    banner: !document.getElementById("server-banner").hidden,
    commandsDisabled: document.getElementById("commands").disabled,
    connection: document.getElementById("st-connection").textContent,
  }));
}

/** The newest entry of the page's answers list for `method`, once it has more than `count` of them. */
async function answer(page: Page, method: string, count: number): Promise<{ ok: boolean; text: string }> {
  await page.waitForFunction(([m, n]) => document.getElementById("rpc-log").querySelectorAll(`li[data-method="${m}"]`).length > n,
    [method, count] as const, { timeout: 10_000 });
  return page.evaluate((m) => {
    const li = document.getElementById("rpc-log").querySelector(`li[data-method="${m}"]`);
    return { ok: li.className === "ok", text: li.querySelector("pre").textContent };
  }, method);
}

const answers = (page: Page, method: string): Promise<number> =>
  page.evaluate((m) => document.getElementById("rpc-log").querySelectorAll(`li[data-method="${m}"]`).length, method);

test("the page with the real firmware: any whole interval in range, and stopped when its server closes", { timeout: 90_000 }, async (t) => {
  server = await pageServer(0);
  const port = server.port;
  board = bootDevice("node", dir, fw.code, 1);
  board.stepClock();
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(server.url);
  await page.waitForSelector('#conn[data-connected="true"]', { timeout: 20_000 });

  await t.test("the interval fields take any whole number in range; the browser names the range for the rest", async () => {
    for (const id of ["#rpc-interval", "#attr-interval"]) {
      assert.deepEqual(await page.$eval(id, (e) => [e.getAttribute("min"), e.getAttribute("max"), e.getAttribute("step")]),
        [String(MIN_INTERVAL_MS), String(MAX_INTERVAL_MS), "1"]);
      for (const [value, problem] of [
        ["1500", ""], ["1001", ""], [String(MIN_INTERVAL_MS), ""], [String(MAX_INTERVAL_MS), ""],
        ["999", `telemetryIntervalMs must be a whole number of ms ${RANGE}, got 999`],
        ["86400001", `telemetryIntervalMs must be a whole number of ms ${RANGE}, got 86400001`],
        ["1500.5", `telemetryIntervalMs must be a whole number of ms ${RANGE}, got 1500.5`],
      ]) {
        await page.fill(id, value!);
        assert.deepEqual(await page.$eval(id, (e) => [e.validity.valid, e.validationMessage]), [problem === "", problem], `${id} = ${value}`);
      }
    }
  });

  await t.test("the page's server refuses what the page refuses, in the same words", async () => {
    for (const value of ["999", "86400001", "1500.5"]) {
      const r = await fetch(new URL("/api/attributes", server!.url), {
        method: "POST", headers: { "content-type": "application/json" }, body: `{"telemetryIntervalMs": ${value}}`,
      });
      assert.equal(r.status, 400);
      assert.equal(((await r.json()) as { error: string }).error, `telemetryIntervalMs must be a whole number of ms ${RANGE}, got ${value}`);
    }
    // Past the browser's check (as a script or an old page would send it), the server's refusal is shown.
    const before = await answers(page, "telemetryIntervalMs");
    await page.fill("#attr-interval", "999");
    await page.$eval("#attr-interval-form", (f) => { f.noValidate = true; });
    await page.click("#attr-interval-form button");
    assert.deepEqual(await answer(page, "telemetryIntervalMs", before), { ok: false, text: `telemetryIntervalMs must be a whole number of ms ${RANGE}, got 999` });
    await page.$eval("#attr-interval-form", (f) => { f.noValidate = false; });
    // With the browser's check on, a value out of range is not sent at all.
    await page.fill("#attr-interval", "86400001");
    await page.click("#attr-interval-form button");
    await sleep(500);
    assert.equal(await answers(page, "telemetryIntervalMs"), before + 1, "86400001 never left the page");
  });

  await t.test("1500 ms through the RPC form: the firmware takes it and reports it", async () => {
    const before = await answers(page, "setTelemetryInterval");
    await page.fill("#rpc-interval", "1500");
    await page.click("#rpc-interval-form button");
    assert.deepEqual(await answer(page, "setTelemetryInterval", before), { ok: true, text: '{"telemetryIntervalMs":1500}' });
    // "1500 ms" alone is the device's own getStatus answer (a value set from the page says by what).
    await page.waitForFunction(() => document.getElementById("st-interval").textContent === "1500 ms", null, { timeout: 10_000 });
  });

  await t.test("1501 ms through the shared attribute: saved, pushed, applied by the firmware", async () => {
    const before = await answers(page, "telemetryIntervalMs");
    const from = board!.output.length;
    await page.fill("#attr-interval", "1501");
    await page.click("#attr-interval-form button");
    assert.deepEqual(await answer(page, "telemetryIntervalMs", before), { ok: true, text: "saved 1501 ms; pushed to the device" });
    await board!.waitFor(/telemetryIntervalMs = 1501 \(from shared attribute\)/, 10_000, from);
    await page.waitForFunction(() => document.getElementById("st-interval").textContent === "1501 ms", null, { timeout: 10_000 });
  });

  await t.test("the page's server closes: the page says stopped while the device is still connected, and stays so", async () => {
    assert.equal(view.device().connected, true, "the device itself is still connected to the endpoint");
    await server!.close();
    server = undefined;
    await page.waitForFunction(() => document.getElementById("conn").textContent === "stopped", null, { timeout: 5000 });
    // Longer than the page's 1 s redraw and its 2 s retry: nothing brings "connected" back.
    await sleep(3500);
    const now = await seen(page);
    assert.equal(now.pill, "stopped");
    assert.equal(now.server, "stopped");
    assert.equal(now.banner, true, "the banner says to run npm start again");
    assert.match(await page.textContent("#server-banner") ?? "", /Demo stopped — run npm start again/);
    assert.equal(now.commandsDisabled, true, "no commands to a server that is gone");
    assert.match(now.connection, /^unknown: the demo stopped at \d\d:\d\d:\d\d$/);
    assert.equal(await page.getAttribute("#conn", "data-connected"), "false");
  });

  await t.test("a server back on the same port: the page is live again by itself", async () => {
    server = await pageServer(port);
    assert.equal(server.port, port, "the same port was free again");
    await page.waitForSelector('#conn[data-connected="true"]', { timeout: 10_000 });
    const now = await seen(page);
    assert.deepEqual([now.pill, now.server, now.banner, now.commandsDisabled], ["connected", "live", false, false]);
    assert.match(now.connection, /^connected for /);
  });

  assert.deepEqual(pageErrors, [], "no script errors on the page");
  await page.close();
});

test("the page's server killed with its process (no goodbye): stopped, then live again when one is back", { timeout: 60_000 }, async () => {
  /** Starts the page's server in a process of its own; resolves with the process and its URL. */
  const start = async (port: number): Promise<{ child: ChildProcess; url: string }> => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/page-server-process.ts", String(port)], {
      cwd: ROOT, stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let out = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => { out += d; });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL from the page server process within 15 s:\n${out}`)), 15_000);
      child.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (m) { clearTimeout(timer); resolve(m[0]); }
      });
      child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`page server process exited ${code}:\n${out}`)); });
    });
    return { child, url };
  };
  const kill = async (child: ChildProcess): Promise<void> => {
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await gone;
  };

  const first = await start(0);
  const page = await browser.newPage();
  await page.goto(first.url);
  await page.waitForFunction(() => document.body.dataset.server === "live", null, { timeout: 10_000 });
  assert.equal(await page.textContent("#conn"), "disconnected", "no device behind this endpoint");

  await kill(first.child);
  await page.waitForFunction(() => document.getElementById("conn").textContent === "stopped", null, { timeout: 5000 });
  await sleep(2500);
  assert.deepEqual(await seen(page).then((s) => [s.pill, s.server, s.banner]), ["stopped", "stopped", true]);

  const port = Number(new URL(first.url).port);
  const second = await start(port);
  assert.equal(second.url, first.url, "the new server took the same port");
  await page.waitForFunction(() => document.body.dataset.server === "live", null, { timeout: 10_000 });
  assert.deepEqual(await seen(page).then((s) => [s.pill, s.banner, s.commandsDisabled]), ["disconnected", false, false]);
  await page.close();
  await kill(second.child);
});

test("firmware update: the state the device reports, and the button only with updateFirmware", { timeout: 60_000 }, async () => {
  const fwEp = await TbEndpoint.start({ devices: [{ name: "fw-dev", token: "FW_PAGE_TOKEN_7" }], tcp: { port: 0 }, http: false });
  const fwView = new DeviceView({ endpoint: fwEp, deviceName: "fw-dev", statusEveryMs: 0, rpcTimeoutMs: 1000 });
  let calls = 0;
  let outcome: () => Promise<string> = async () => "package 0.2.0 assigned to fw-dev";
  const without = await startPageServer({ view: fwView, keys: ["temperature", "humidity"], info: {}, port: 0 });
  const withUpdate = await startPageServer({ view: fwView, keys: ["temperature", "humidity"], info: {}, port: 0, updateFirmware: () => { calls++; return outcome(); } });
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${fwEp.ports.tcp}`, { username: "FW_PAGE_TOKEN_7", reconnectPeriod: 0, connectTimeout: 5000 });
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  const shown = () => page.evaluate(() => ({
    state: document.getElementById("st-fw-state").textContent, current: document.getElementById("st-fw-current").textContent,
  }));
  const report = (values: Record<string, string>) => client.publishAsync("v1/devices/me/telemetry", JSON.stringify(values), { qos: 1 });
  const stateIs = (text: string) => page.waitForFunction((t) => document.getElementById("st-fw-state").textContent === t, text, { timeout: 5000 });
  try {
    await page.goto(without.url);
    await page.waitForFunction(() => document.body.dataset.server === "live", null, { timeout: 10_000 });
    assert.deepEqual(await shown(), { state: "–", current: "–" }, "nothing reported yet");
    const button = await page.$eval("#update-firmware", (b) => ({ disabled: b.disabled, title: b.title }));
    assert.deepEqual(button, { disabled: true, title: "Firmware updates are not wired into this demo: its page server was started without updateFirmware" });
    const refused = await fetch(new URL("/api/update-firmware", without.url), { method: "POST" });
    assert.equal(refused.status, 503);
    assert.match(((await refused.json()) as { error: string }).error, /started without updateFirmware/);

    await report({ current_fw_title: "tb-espruino-device", current_fw_version: "0.1.0", fw_state: "DOWNLOADING" });
    await stateIs("DOWNLOADING");
    assert.deepEqual(await shown(), { state: "DOWNLOADING", current: "tb-espruino-device 0.1.0" });
    await report({ fw_state: "FAILED", fw_error: "checksum mismatch" });
    await stateIs("FAILED: checksum mismatch");
    assert.equal(await page.getAttribute("#st-fw-state", "data-state"), "FAILED");
    await report({ fw_state: "UPDATED", current_fw_version: "0.2.0" });
    await stateIs("UPDATED");
    assert.equal((await shown()).current, "tb-espruino-device 0.2.0", "the error goes with FAILED");
    // An assignment shows the server's own state at once, before the device says anything.
    fwEp.assignFirmware("fw-dev", { title: "tb-espruino-device", version: "0.3.0", data: Buffer.from("// package") });
    await stateIs("INITIATED");

    await page.goto(withUpdate.url);
    await page.waitForFunction(() => document.body.dataset.server === "live", null, { timeout: 10_000 });
    await page.waitForSelector("#update-firmware:not([disabled])", { timeout: 5000 });
    assert.equal(await page.getAttribute("#update-firmware", "title"), "build an update and assign it to the device");
    assert.equal((await shown()).state, "INITIATED", "a new page shows the state from the snapshot");
    await page.click("#update-firmware");
    assert.deepEqual(await answer(page, "updateFirmware", 0), { ok: true, text: "package 0.2.0 assigned to fw-dev" });
    assert.equal(calls, 1);
    outcome = async () => { throw new Error("build failed: src/main.ts(3,1): error TS1005"); };
    await page.waitForSelector("#update-firmware:not([disabled])", { timeout: 5000 });
    await page.click("#update-firmware");
    assert.deepEqual(await answer(page, "updateFirmware", 1), { ok: false, text: "build failed: src/main.ts(3,1): error TS1005" });
    assert.equal(calls, 2);
    assert.deepEqual(pageErrors, [], "no script errors on the page");
  } finally {
    await page.close();
    await client.endAsync();
    await without.close();
    await withUpdate.close();
    fwView.close();
    await fwEp.stop();
  }
});
