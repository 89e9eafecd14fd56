// The real bundle with a real sensor driver, on both engines, against the local ThingsBoard endpoint
// over TLS, the sensor modelled at the bus level by the virtual board (tools/vboard/sensors/):
// - an SHT3x that is not plugged in at boot: one E line with what to check, the firmware connects and
//   keeps trying; plugged in, its readings go out; a reading that fails its CRC is dropped, logged and
//   counted; unplugged later: one W line, and an I line when it is back; the counts in getStatus and
//   in the client attributes;
// - a BME280: temperature, humidity and pressure under the config's keys (pressureKey renamed here).
// And the build: a driver that is not picked is not in the bundle.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generateSelfSigned } from "../tools/certs/generate.ts";
import { TbEndpoint } from "../tools/tb-endpoint/index.ts";
import { bootDevice } from "./helpers/device.ts";
import { ENGINES, onEngine } from "./helpers/engines.ts";
import { buildTestFirmware, type TestBuild } from "./helpers/firmware.ts";
import { until } from "./helpers/wait.ts";

const SCALE = 5;
const DEVICES = { sht: { name: "sht-dev", token: "SHT_TOKEN_1" }, bme: { name: "bme-dev", token: "BME_TOKEN_1" } };
let dir: string;
let ep: TbEndpoint;
const fw: Record<string, TestBuild> = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-sensors-"));
  const cert = generateSelfSigned({ host: "localhost", outDir: dir });
  ep = await TbEndpoint.start({ devices: Object.values(DEVICES), tls: cert, http: false });
  const common = { board: "esp32", port: ep.ports.tls!, telemetryIntervalMs: 1000 };
  const [sht, bme, simulated, ds] = await Promise.all([
    buildTestFirmware({ ...common, accessToken: DEVICES.sht.token, sensor: "sht3x" }),
    buildTestFirmware({ ...common, accessToken: DEVICES.bme.token, sensor: "bme280", pressureKey: "baro" }),
    buildTestFirmware({ ...common, accessToken: "X", sensor: "simulated" }),
    buildTestFirmware({ ...common, accessToken: "X", sensor: "ds18b20" }),
  ]);
  Object.assign(fw, { sht, bme, simulated, ds });
});

after(async () => {
  await ep?.stop();
  for (const b of Object.values(fw)) b.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("the build: only the picked driver is in the bundle", () => {
  // What only each driver's code has: the bus it opens and the part's name.
  const marks = { i2c: "new I2C", oneWire: "new OneWire", watch: "setWatch(", sht: '"SHT3x"', bme: '"BME280"', ds: '"DS18B20"', dht: '"DHT22"' };
  const has = (code: string) => Object.entries(marks).filter(([, m]) => code.includes(m)).map(([k]) => k).sort();
  assert.deepEqual(has(fw.simulated.code), []);
  assert.deepEqual(has(fw.sht.code), ["i2c", "sht"]);
  assert.deepEqual(has(fw.bme.code), ["bme", "i2c"]);
  assert.deepEqual(has(fw.ds.code), ["ds", "oneWire"]);
});

for (const engine of ENGINES) describe(`on the ${engine} engine`, onEngine(engine), () => {
  test("SHT3x: missing at boot, plugged in, a bad CRC, lost and back: the log lines, getStatus and the client attributes", async () => {
    const dev = DEVICES.sht.name;
    // This run's client attribute messages and telemetry (the other engine's run used the same device).
    const seen: Record<string, unknown>[] = [];
    const onAttrs = (name: string, a: Record<string, unknown>) => void (name === dev && seen.push(a));
    ep.on("attributes", onAttrs);
    const sent = ep.telemetry(dev).length;
    const telemetry = () => ep.telemetry(dev).slice(sent);
    const latest = (key: string) => seen.filter((a) => key in a).at(-1)?.[key];
    const b = bootDevice(engine, dir, fw.sht.code, SCALE, { sensor: { kind: "sht3x", present: false, temperature: 22.5, humidity: 45 } });
    try {
      const where = "0x44 (SDA D21, SCL D22)";
      await b.waitFor(new RegExp(`^E \\(\\d+\\) sensor: SHT3x: no answer at ${esc(where)}: check the wiring, the address \\(i2cAddress\\) and the pull-ups to 3\\.3 V; retrying every 1 s$`), 15000);
      await b.waitFor(/tb_mqtt: Connected to ThingsBoard$/, 30000);
      // Nothing read, nothing sent; the client attributes say which sensor and how many it missed.
      const attrs = await until("client attributes", () => seen.find((a) => a.sensor));
      assert.equal(attrs.sensor, "SHT3x");
      assert.ok((attrs.sensorErrors as number) >= 1, `sensorErrors ${attrs.sensorErrors}`);
      assert.equal(telemetry().length, 0, "no reading, no telemetry");
      assert.equal(count(b.output, /sensor: SHT3x/g), 1, "the missing sensor is told once");

      await b.sensor!.setPresent(true);
      await b.waitFor(/^I \(\d+\) sensor: SHT3x answers, after \d+ failed readings?$/, 15000);
      const t = await until("a reading", () => telemetry()[0]);
      assert.deepEqual(t.values, { temperature: 22.5, humidity: 45 });

      await b.sensor!.corrupt(1);
      await b.waitFor(/^W \(\d+\) sensor: SHT3x: reading dropped, CRC mismatch \(1 so far\)$/, 15000);
      await until("sensorBadReadings 1 in the client attributes", () => latest("sensorBadReadings") === 1);

      await b.sensor!.setPresent(false);
      await b.waitFor(new RegExp(`^W \\(\\d+\\) sensor: SHT3x lost: no answer at ${esc(where)}: check the wiring`), 15000);
      const lostErrors = await until("the loss counted", () => { const n = latest("sensorErrors") as number; return n > (attrs.sensorErrors as number) && n; });
      await b.sensor!.setPresent(true);
      await b.waitFor(/^I \(\d+\) sensor: SHT3x back after \d+ failed readings?$/, 15000);
      assert.equal(count(b.output, /SHT3x lost/g), 1, "a loss is told once, not at each missed reading");
      const status = await ep.rpc(dev, "getStatus", {}) as Record<string, number>;
      assert.equal(status.sensorBadReadings, 1);
      assert.ok(status.sensorErrors >= lostErrors, `getStatus sensorErrors ${status.sensorErrors} >= ${lostErrors}`);
      assert.doesNotMatch(b.output, /Uncaught|ASSERT/);
    } finally {
      ep.off("attributes", onAttrs);
      await b.stop();
    }
  });

  test("BME280: temperature, humidity and pressure under the config's keys", async () => {
    const dev = DEVICES.bme.name;
    const sent = ep.telemetry(dev).length;
    const b = bootDevice(engine, dir, fw.bme.code, SCALE, { sensor: { kind: "bme280", temperature: 19.5, humidity: 55, pressure: 1008.4 } });
    try {
      const t = await until("a reading", () => ep.telemetry(dev)[sent], 30000);
      assert.deepEqual(Object.keys(t.values).sort(), ["baro", "humidity", "temperature"]);
      const v = t.values as Record<string, number>;
      assert.ok(Math.abs(v.temperature - 19.5) < 0.02 && Math.abs(v.humidity - 55) < 0.1 && Math.abs(v.baro - 1008.4) < 0.05, JSON.stringify(v));
      assert.equal(ep.attributes(dev, "client").sensor, "BME280");
      assert.doesNotMatch(b.output, /sensor: |Uncaught|ASSERT/, "no sensor trouble");
    } finally {
      await b.stop();
    }
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function count(text: string, re: RegExp): number {
  return (text.match(re) ?? []).length;
}
