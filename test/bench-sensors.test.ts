// Issue 13's bench figures for the sensor drivers: `npm run bench -- size` (the command itself, on the
// example config with a throw-away RSA-2048 certificate) prints each driver's added bytes and that a
// driver not selected costs nothing, beside its existing table; and the ram suite's sensor part
// (ram-sensors.ts, called directly: the full `bench ram` comparison before it takes a minute more) prints
// each driver's JsVars on the real interpreter. Shapes and sane bounds only: the figures are measured.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runSensorRamBench } from "../tools/bench/ram-sensors.ts";
import { SENSOR_DRIVERS } from "../tools/bench/sensor-builds.ts";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { ROOT } from "../tools/common/board.ts";
import { espruinoBin, onEngine } from "./helpers/engines.ts";
import { run } from "./helpers/run.ts";

const CLI = join(ROOT, "tools", "bench", "cli.ts");
const dir = mkdtempSync(join(tmpdir(), "tb-bench-sensors-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Above this, a driver's bytes would be out of proportion: the largest, the BME280's compensation
 *  formulas and calibration reading, adds about 1,650. */
const MAX_DRIVER_BYTES = 2000;
/** Above this, a driver's RAM would be out of proportion. Measured on the Linux build: 10 (DHT22) to
 *  108 (BME280, its 18 calibration words) JsVars; half of issue 10's 600-JsVar budget for the whole
 *  firmware is where a sensor driver stops being a detail. */
const MAX_DRIVER_JSVARS = 300;

test("bench size: each driver's bytes over the simulated sensor, and nothing for a driver not selected", { timeout: 120_000 }, async () => {
  const cert = generateSelfSigned({ host: "localhost", outDir: dir });
  const example = JSON.parse(readFileSync(join(ROOT, "device.config.example.json"), "utf8")) as Record<string, unknown>;
  assert.equal(example.sensor, "simulated");
  const configFile = join(dir, "device.config.json");
  writeFileSync(configFile, JSON.stringify({ ...example, serverCert: cert.certPath }));
  const r = await run(process.execPath, ["--import", "tsx", CLI, "size"], {
    cwd: ROOT, env: { ...process.env, TB_CONFIG: configFile }, limitMs: 110_000,
  });
  assert.equal(r.code, 0, `exit status ${r.code}\n${r.stdout}\n${r.stderr}`);
  const out = r.stdout;
  // The existing table is still there.
  assert.match(out, /^\S+device\.config\.json: \d+ bytes for esp32 \(budget \d+\)$/m);
  assert.match(out, /^ +\d+ {2}src\/main\.ts$/m);
  assert.match(out, /^ +\d+ {2}total \(without the preamble line\)$/m);
  const head = /^sensor drivers: bundle bytes each adds over "sensor": "simulated" \((\d+) bytes\), the same config otherwise \(.*, esp32\)$/m.exec(out);
  assert.ok(head, `the drivers' heading:\n${out}`);
  const simulated = Number(head[1]);
  for (const d of SENSOR_DRIVERS) {
    const m = new RegExp(`^ {2}${d}\\s+(\\d+)\\s+([+-]\\d+)\\s{3}(.*)$`, "m").exec(out);
    assert.ok(m, `a row for ${d}:\n${out}`);
    const [bundle, added] = [Number(m[1]), Number(m[2])];
    assert.equal(added, bundle - simulated, `${d}: added = its bundle - the simulated one`);
    assert.ok(added > 0 && added < MAX_DRIVER_BYTES, `${d} adds ${added} bytes: more than 0, less than ${MAX_DRIVER_BYTES}`);
    assert.match(m[3]!, new RegExp(`src/sensors/${d}\\.ts \\+\\d+`), `${d}: its own module among the bytes added`);
  }
  assert.match(out, /^a driver not selected costs nothing: the simulated bundle has none of src\/sensors\/\{[a-z0-9,]*bme280[a-z0-9,]*\}\.ts and none of the drivers' text/m);
  assert.doesNotMatch(out, /^! /m);
});

test("bench ram, the sensor part: each driver's JsVars on the real interpreter", { ...onEngine("espruino"), timeout: 120_000 }, async () => {
  const lines: string[] = [];
  const res = await runSensorRamBench((l) => lines.push(l), espruinoBin()!);
  const out = lines.join("\n");
  assert.deepEqual(res.trouble, [], `nothing went wrong on any board:\n${out}`);
  assert.match(out, /^sensor drivers' JsVars: each driver's firmware on a board with its part's model/m);
  assert.match(out, /^ {2}driver\s+firmware\s+simulated\s+difference\s+model alone\s+model's log\s+driver\s+bytes$/m);
  for (const d of SENSOR_DRIVERS) {
    const m = new RegExp(`^ {2}${d}\\s+(\\d+)\\s+(\\d+)\\s+(-?\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(-?\\d+)\\s+(-?\\d+)$`, "m").exec(out);
    assert.ok(m, `a row of numbers for ${d}:\n${out}`);
    const [fw, sim, diff, model, log, own, bytes] = m.slice(1).map(Number) as number[] as [number, number, number, number, number, number, number];
    assert.equal(diff, fw - sim);
    // The model is there and measured (docs/espruino.md §3.6: 343-502 JsVars by part, a few more with values set).
    assert.ok(model > 250 && model < 700, `${d}: the model alone ${model}`);
    assert.ok(log >= 1, `${d}: the model's bus log ${log}`);
    assert.ok(own > 0 && own < MAX_DRIVER_JSVARS, `${d}: the driver's own ${own} JsVars, more than 0 and less than ${MAX_DRIVER_JSVARS}`);
    assert.equal(bytes, own * 18, "bytes = JsVars x the blocksize (18 on this build)");
  }
});
