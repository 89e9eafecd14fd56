// The acceptance test of the SNTP clock step (docs/espruino.md §3.2, issue item 7): a board boots at 1970
// + uptime, and SNTP then sets its clock ~56 years forward behind Espruino's back, so every pending
// timer fires at once. The real bundle, against the local ThingsBoard endpoint over TLS, must keep
// one reading per interval in order (no burst, no gap), keep its connection (a CONNACK, keep-alive,
// join or back-off timer that fires at the step is no timeout), and print sane uptimes in every
// log line, the first one after the step included.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { TbEndpoint } from "../tools/tb-endpoint/index.ts";
import type { Board, EngineName } from "../tools/vboard/index.ts";
import { bootDevice, readingNo } from "./helpers/device.ts";
import { ENGINES, onEngine } from "./helpers/engines.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";
import { sleep, until } from "./helpers/wait.ts";

const TOKEN = "TEST_TOKEN_123";
const DEV = "dev1";
// 5x, not faster: at 20x a 30 ms stall of a busy host (CI) is 600 ms of board time, and the gap between
// two readings then looks like a missed interval.
const SCALE = 5;
const INTERVAL = 1000;

let dir: string;
let ep: TbEndpoint;
let fw: TestBuild;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-step-"));
  const cert = generateSelfSigned({ host: "localhost", outDir: dir });
  ep = await TbEndpoint.start({ devices: [{ name: DEV, token: TOKEN }], tls: cert, http: false });
  fw = await buildTestFirmware({ board: "esp32", port: ep.ports.tls!, accessToken: TOKEN, telemetryIntervalMs: INTERVAL });
});

after(async () => {
  await ep?.stop();
  fw?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh board whose clock starts at 1970 (no time server): only stepClock() sets it. */
const boot = (engine: EngineName): Board => bootDevice(engine, dir, fw.code, SCALE);

/** The uptime of every firmware log line: sane (well below epoch ms) and never going back. */
function assertUptimes(out: string): void {
  const ups = [...out.matchAll(/^[EWI] \((\d+)\) /gm)].map((m) => Number(m[1]));
  assert.ok(ups.length > 10, "log lines seen");
  const bad = ups.filter((u) => u > 3_600_000);
  assert.deepEqual(bad, [], "no log line shows more than an hour of uptime (epoch ms would be ~1.8e12)");
  for (let i = 1; i < ups.length; i++) assert.ok(ups[i]! >= ups[i - 1]!, `uptime went back from ${ups[i - 1]} to ${ups[i]}`);
}

/** Nothing that means the step was taken for a timeout. */
function assertNoSpuriousFailure(out: string): void {
  assert.doesNotMatch(out, /Connection lost|Disconnected from ThingsBoard|Link to .* lost|Cannot join|no CONNACK|no PINGRESP|Uncaught/);
  assert.equal(out.match(/wifi: Connecting to /g)?.length, 1, "one Wi-Fi join");
  assert.equal(out.match(/tb_mqtt: connecting to mqtts:/g)?.length, 1, "one MQTT connection");
  assert.equal(out.match(/tb_mqtt: Connected to ThingsBoard$/gm)?.length, 1);
  assert.equal(out.match(/^I \(\d+\) time: Clock set$/gm)?.length, 1, "the step is logged once");
}

for (const engine of ENGINES) {
  test(`SNTP steps the clock 56 years while readings flow: one reading per interval, in order, no reconnect, sane uptimes [${engine}]`, onEngine(engine), async () => {
    const start = ep.telemetry(DEV).length;
    const b = boot(engine);
    try {
      await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 15_000);
      assert.ok(Number((await b.waitFor(/^I \(\d+\) /, 1000)).match(/\((\d+)\)/)![1]) < 10_000, "the clock starts at 1970 + uptime");
      // Readings are held for SNTP; let a few board seconds of them queue up, then the step.
      await sleep(5000 / SCALE);
      const at = b.output.length;
      const stepAt = Date.now();
      b.stepClock();
      const first = await b.waitFor(/^[EWI] \(\d+\) /, 5000, at);
      assert.ok(Number(first.match(/\((\d+)\)/)![1]) < 60_000, `the first line after the step has a sane uptime: ${first}`);
      await b.waitFor(/^I \(\d+\) time: Clock set$/, 5000, at);
      const got = await until("20 readings", () => { const t = ep.telemetry(DEV).slice(start); return t.length >= 20 && t; }, 20_000);
      await sleep(2 * INTERVAL / SCALE); // a burst would show up as readings beyond one per interval

      const all = ep.telemetry(DEV).slice(start);
      const ns = all.map((e) => readingNo(e.values));
      assert.deepEqual(ns, ns.map((_, i) => i), "readings 0..n arrived in order, each once");
      for (let i = 1; i < all.length; i++) {
        const d = all[i]!.ts - all[i - 1]!.ts;
        // One per interval by their ts (the board's uptime stamps): a burst would be ~0, a gap ~2000.
        assert.ok(d > 0.6 * INTERVAL && d < 1.6 * INTERVAL, `readings ${i - 1} and ${i} are ${d} ms apart by their ts`);
      }
      for (const e of all) assert.ok(Math.abs(e.ts - stepAt) < 120_000, `ts ${e.ts} is wall-clock time`);
      assert.equal(got[0]!.values.temperature, 25);
      // At most one reading per second of uptime: every reading sent was logged before it arrived.
      const out = b.output;
      const upS = Math.max(...[...out.matchAll(/^[EWI] \((\d+)\) /gm)].map((m) => Number(m[1]))) / 1000;
      assert.ok(all.length <= upS + 1, `${all.length} readings in ${upS.toFixed(1)} s of uptime: no burst`);
      assertNoSpuriousFailure(out);
      assertUptimes(out);
    } finally {
      await b.stop();
    }
  });

  test(`a step while joining Wi-Fi or waiting for the CONNACK is not a timeout [${engine}]`, onEngine(engine), async () => {
    for (const when of [/wifi: Connecting to TestNet\.\.\.$/, /tb_mqtt: connecting to mqtts:/]) {
      const b = boot(engine);
      try {
        await b.waitFor(when, 10_000);
        b.stepClock();
        await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 15_000);
        const at = b.output.length;
        await b.waitFor(/tb_mqtt_wapper: published msg_id=/, 10_000, at);
        await sleep(60_000 / SCALE); // a minute of board time: keep-alive ticks, the healthy-link timer
        const out = b.output;
        assertNoSpuriousFailure(out);
        assertUptimes(out);
      } finally {
        await b.stop();
      }
    }
  });
}
