// load(), as `npm run flash` runs it after storing the bundle: a soft reset that restarts the
// program but, on a board, not the radio (docs/espruino.md §3.1). On both engines of the virtual
// board: the station stays joined across load() and leaves only at a power cycle (the node engine's
// station, the espruino engine's Wifi stand-in); src/wifi.ts takes the link it finds instead of
// joining again, and a flash with another SSID joins that one without a "Cannot join" for the
// old network's leave; the whole firmware is back on ThingsBoard within seconds.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { TbEndpoint } from "../tools/tb-endpoint/index.ts";
import { createBoard, type Board } from "../tools/vboard/index.ts";
import { bootDevice } from "./helpers/device.ts";
import { ENGINES, onEngine, type EngineName } from "./helpers/engines.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";
import { bundleUnit } from "./helpers/unit-bundle.ts";
import { until } from "./helpers/wait.ts";

const WIFI = { ssid: "ReloadLab-3", password: "reload-pass-9", sntpServer: "time.reload.test" };
const OTHER = { ...WIFI, ssid: "ReloadLab-4" };
const TOKEN = "RELOAD_TOKEN_5";
const DEV = "reload-dev";
const WAIT_MS = 15000;
const SECOND_SNTP = /Wifi\.setSNTP called again/;

let dir: string;
let ep: TbEndpoint;
let fw: TestBuild;
const unit: Record<string, string> = {};
const boards: Board[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "wifi-reload-"));
  const cert = generateSelfSigned({ host: "localhost", outDir: dir });
  ep = await TbEndpoint.start({ devices: [{ name: DEV, token: TOKEN }], tls: cert, http: false });
  fw = await buildTestFirmware({ board: "esp32", port: ep.ports.tls!, accessToken: TOKEN, telemetryIntervalMs: 1000 });
  unit.wifi = await bundleUnit("wifi", WIFI);
  unit.other = await bundleUnit("wifi", OTHER);
});

after(async () => {
  for (const b of boards) await b.stop();
  await ep?.stop();
  fw?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function board(engine: EngineName, code: string, ap: { ssid?: string; password?: string } = {}): Board {
  const b = createBoard({ engine, board: "esp32c3", storageDir: mkdtempSync(join(dir, "vb-")), ap, timeScale: 5 });
  boards.push(b);
  b.flash(code);
  b.boot();
  return b;
}

/** The board's lines from `from` on, log lines without their uptime ("I wifi: ..."). */
function lines(b: Board, from = 0): string[] {
  return b.output.slice(from).split("\n").map((l) => l.replace(/\r$/, "").replace(/^([EWI]) \(\d+\) /, "$1 ")).filter(Boolean);
}

for (const engine of ENGINES) describe(`on the ${engine} engine`, onEngine(engine), () => {
  test("the station: joined across load() with its address and SNTP, a connect while joined leaves it (8, queued) and joins again, a power cycle ends it", async () => {
    const prog = `var S = require("Storage"), W = require("Wifi"), n = (S.readJSON("n", 1) || 0) + 1;
      S.writeJSON("n", n);
      W.on("disconnected", function (d) { print("EV disconnected " + d.reason + " " + d.msg); });
      print("RUN " + n + " " + W.getDetails().status + " " + W.getDetails().ssid + " " + W.getIP().ip);
      if (n == 1) W.connect("lab", { password: "pw" }, function (e) {
        print("CB " + e); W.setSNTP("pool.ntp.org", "UTC0"); setTimeout(load, 100);
      });
      if (n == 2) {
        print("SNTP again"); W.setSNTP("pool.ntp.org", "UTC0");
        W.connect("lab", { password: "pw" }, function (e) { print("CB " + e + " " + W.getDetails().status); setTimeout(E.reboot, 100); });
        print("CONNECT RETURNED");
      }
      if (n == 3) { W.setSNTP("pool.ntp.org", "UTC0"); print("DONE"); }`;
    const b = board(engine, prog, { ssid: "lab", password: "pw" });
    await b.waitFor(/^DONE$/, WAIT_MS);
    const all = lines(b).filter((l) => /^(RUN|CB|EV|SNTP|CONNECT|DONE|vboard)/.test(l));
    const warning = all.find((l) => SECOND_SNTP.test(l));
    assert.ok(warning, "a setSNTP after load() is a second call: SNTP runs on");
    assert.deepEqual(all.map((l) => (l === warning ? "WARNING" : l)), [
      "RUN 1 Unknown reason undefined 0.0.0.0",
      "CB null",
      "RUN 2 connected lab 192.168.4.2",
      "SNTP again",
      "WARNING",
      "CONNECT RETURNED",
      "EV disconnected 8 ASSOC_LEAVE",
      "CB null connected",
      "RUN 3 Unknown reason undefined 0.0.0.0",
      "DONE",
    ]);
  });

  test("a join under way at load() goes on, as the driver's does; its callback went with the program that asked", async () => {
    const prog = `var S = require("Storage"), W = require("Wifi"), n = (S.readJSON("n", 1) || 0) + 1;
      S.writeJSON("n", n);
      W.on("connected", function (d) { print("EV connected " + d.ip + " in run " + n); });
      if (n == 1) { W.connect("lab", { password: "pw" }, function () { print("CB in run " + n); }); load(); }
      else print("RUN " + n + " " + W.getDetails().status);`;
    const b = createBoard({ engine, board: "esp32c3", storageDir: mkdtempSync(join(dir, "vb-")), timeScale: 1,
      ap: { ssid: "lab", password: "pw", joinDelayMs: 400 } });
    boards.push(b);
    b.flash(prog);
    b.boot();
    await b.waitFor(/^EV connected /, WAIT_MS);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(lines(b).filter((l) => /^(RUN|EV|CB)/.test(l)), ["RUN 2 Unknown reason", "EV connected 192.168.4.2 in run 2"]);
  });

  test("src/wifi.ts after load(): takes the link it finds (no join, no second SNTP); with another SSID it leaves and joins that one, no Cannot join", async () => {
    const b = board(engine, unit.wifi);
    await b.waitFor(/^SNTP time\.reload\.test UTC0$/, WAIT_MS);
    let at = b.output.length;
    await b.evaluate("load()");
    await b.waitFor(/^UP /, 5000, at);
    // The fixture's start lines come again; of the module's, only the join it found.
    assert.deepEqual(lines(b, at).filter((l) => !/^Espruino /.test(l)), [`I wifi: Connected to ${WIFI.ssid}, IP 192.168.4.2`, "UP 192.168.4.2"]);

    at = b.output.length;
    b.flash(unit.other);
    await b.evaluate("load()");
    await b.waitFor(/^UP /, 5000, at);
    assert.deepEqual(lines(b, at).filter((l) => !/^Espruino /.test(l)), [
      `I wifi: Connecting to ${OTHER.ssid}...`, `I wifi: Connected to ${OTHER.ssid}, IP 192.168.4.2`, "UP 192.168.4.2",
    ], "the leave of the old network is no failure of the new join");
    await b.stop();
    assert.doesNotMatch(b.output, /Cannot join|Link to .* lost/);
    assert.doesNotMatch(b.output, SECOND_SNTP, "SNTP started once in this boot");
    assert.equal(b.output.match(/^SNTP /gm)?.length, 1);
  });

  test("the firmware after flash's load(): joined again within seconds and telemetry flows again, no Cannot join", async () => {
    const b = bootDevice(engine, dir, fw.code, 5);
    boards.push(b);
    b.stepClock();
    await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, WAIT_MS);
    await until("2 readings", () => ep.telemetry(DEV).length >= 2, WAIT_MS);
    const at = b.output.length;
    const sent = ep.telemetry(DEV).length;
    const t0 = Date.now();
    await b.evaluate("load()");
    await b.waitFor(/^I \(\d+\) app: \[APP\] Startup\.\. /, 5000, at);
    await b.waitFor(/^I \(\d+\) wifi: Connected to TestNet, IP 192\.168\.4\.2$/, 3000, at);
    assert.ok(Date.now() - t0 < 3000, `joined ${Date.now() - t0} ms after load()`);
    await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, WAIT_MS, at);
    await until("2 readings after load()", () => ep.telemetry(DEV).length >= sent + 2, WAIT_MS);
    await b.stop();
    assert.doesNotMatch(b.output, /wifi: Cannot join/);
    assert.equal(b.output.match(/wifi: Connecting to /g)?.length, 1, "one join, before load()");
    assert.doesNotMatch(b.output, SECOND_SNTP);
  });
});
