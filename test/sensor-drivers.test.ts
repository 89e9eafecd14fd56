// The sensor drivers of src/sensors/ on both engines, each against the virtual board's model of its
// part at the bus level (tools/vboard/sensors/): the bus traffic of datasheet example values must
// become the datasheet's results, or values this file computes on its own from the datasheets'
// formulas (for the BME280's humidity, its 32-bit integer formula, not the floating-point one the
// driver uses); and each failure must be told as the driver's interface says: a part that does not
// answer (wrong address, unplugged, held bus) is NO_ANSWER with what to check, a reading that fails
// its CRC or checksum is BAD_READING, and the next good reading comes through.
// The fixture (test/fixtures/units/sensors.ts) reads only when told, so each model change lands
// between two readings on both engines.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { createBoard, type Board, type SensorOptions } from "../tools/vboard/index.ts";
import { ENGINES, onEngine, type EngineName } from "./helpers/engines.ts";
import { bundleUnit } from "./helpers/unit-bundle.ts";

const NO_ANSWER = 1;
const BAD_READING = 2;
const PINS = { sda: 21, scl: 22, pin: 4 };
const I2C_ADVICE = "check the wiring, the address (i2cAddress) and the pull-ups to 3.3 V";

const scratch = mkdtempSync(join(tmpdir(), "sensor-drivers-"));
const boards: Board[] = [];
let dirs = 0;
const code: Record<string, string> = {};

before(async () => {
  const settings: Record<string, object> = {
    sht3x: { kind: "sht3x", ...PINS, address: 0x44 },
    sht3xWrongAddress: { kind: "sht3x", ...PINS, address: 0x45 },
    sht4x: { kind: "sht4x", ...PINS, address: 0x44 },
    bme280: { kind: "bme280", ...PINS, address: 0x76 },
    ds18b20: { kind: "ds18b20", ...PINS, address: 0 },
    dht22: { kind: "dht22", ...PINS, address: 0 },
  };
  await Promise.all(Object.entries(settings).map(async ([k, s]) => (code[k] = await bundleUnit("sensors", s, "esp32"))));
});
afterEach(async () => {
  for (const b of boards.splice(0)) await b.stop();
});
after(() => rmSync(scratch, { recursive: true, force: true }));

async function boot(engine: EngineName, program: string, sensor: SensorOptions, timeScale = 1): Promise<Board> {
  const b = createBoard({ engine, board: "esp32", storageDir: join(scratch, `b${dirs++}`), sensor, timeScale });
  boards.push(b);
  b.flash(program);
  b.boot();
  await b.waitFor(/^READY /, 15000);
  return b;
}

interface Reading {
  values?: number[];
  fault?: number;
  why?: string;
}

let reads = new WeakMap<Board, number>();
/** Asks the fixture for one reading and waits for the driver's answer. */
async function read(b: Board): Promise<Reading> {
  const n = (reads.get(b) ?? 0) + 1;
  reads.set(b, n);
  if (b.engine === "node") assert.ok(!b.evaluate("readSensor()").threw, "readSensor() ran");
  else await b.evaluate("readSensor()");
  const line = await b.waitFor(new RegExp(`^[RF] ${n} `), 20000);
  assert.doesNotMatch(b.output, /TWICE|Uncaught/, "the driver answers each reading once");
  const m = /^R \d+ (.*)$/.exec(line);
  if (m) return { values: JSON.parse(m[1]) };
  const f = /^F \d+ (\d) (.*)$/.exec(line)!;
  return { fault: Number(f[1]), why: f[2] };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The BME280 datasheet's 32-bit integer compensation of humidity (§4.2.3), with t_fine from its
 *  32-bit temperature formula: an independent check on the driver's floating-point one. In BigInt,
 *  so JavaScript's number rounding cannot hide an error. Returns %RH. */
/** t_fine by the datasheet's 32-bit temperature formula (§4.2.3). */
function bmeTFine(c: Record<string, number>, adcT: number): bigint {
  const B = BigInt;
  const T = B(adcT);
  const v1 = (((T >> 3n) - (B(c.T1) << 1n)) * B(c.T2)) >> 11n;
  const v2 = (((((T >> 4n) - B(c.T1)) * ((T >> 4n) - B(c.T1))) >> 12n) * B(c.T3)) >> 14n;
  return v1 + v2;
}

/** Pressure in Pa by the datasheet's 64-bit integer formula (§4.2.3; Q24.8 there). */
function bmePressureInt64(c: Record<string, number>, adcT: number, adcP: number): number {
  const B = BigInt;
  let v1 = bmeTFine(c, adcT) - 128000n;
  let v2 = v1 * v1 * B(c.P6);
  v2 = v2 + ((v1 * B(c.P5)) << 17n);
  v2 = v2 + (B(c.P4) << 35n);
  v1 = ((v1 * v1 * B(c.P3)) >> 8n) + ((v1 * B(c.P2)) << 12n);
  v1 = (((1n << 47n) + v1) * B(c.P1)) >> 33n;
  let p = 1048576n - B(adcP);
  p = (((p << 31n) - v2) * 3125n) / v1;
  v1 = (B(c.P9) * (p >> 13n) * (p >> 13n)) >> 25n;
  v2 = (B(c.P8) * p) >> 19n;
  p = ((p + v1 + v2) >> 8n) + (B(c.P7) << 4n);
  return Number(p) / 256;
}

function bmeHumidityInt32(c: Record<string, number>, adcT: number, adcH: number): number {
  const B = BigInt;
  let x = bmeTFine(c, adcT) - 76800n;
  x = ((((B(adcH) << 14n) - (B(c.H4) << 20n) - (B(c.H5) * x)) + 16384n) >> 15n) *
    (((((((x * B(c.H6)) >> 10n) * (((x * B(c.H3)) >> 11n) + 32768n)) >> 10n) + 2097152n) * B(c.H2) + 8192n) >> 14n);
  x = x - (((((x >> 15n) * (x >> 15n)) >> 7n) * B(c.H1)) >> 4n);
  if (x < 0n) x = 0n;
  if (x > 419430400n) x = 419430400n;
  return Number(x >> 12n) / 1024;
}

for (const engine of ENGINES) describe(`on the ${engine} engine`, onEngine(engine), () => {
  test("SHT3x: command 0x2400, words to °C and %RH by the datasheet's formulas; CRC, wrong address, unplugged, held bus", async () => {
    const b = await boot(engine, code.sht3x, { kind: "sht3x", ...PINS, address: 0x44 });
    const cases = [{ t: 0x6666, rh: 0x8000 }, { t: 0x0000, rh: 0x0000 }, { t: 0xffff, rh: 0xffff }, { t: 0xbeef, rh: 0x1234 }];
    for (const raw of cases) {
      await b.sensor!.setRaw(raw);
      assert.deepEqual(await read(b), { values: [round2(-45 + (175 * raw.t) / 65535), round2((100 * raw.rh) / 65535)] }, JSON.stringify(raw));
    }
    const traffic = (await b.sensor!.traffic()).join("\n");
    assert.match(traffic, /w 0x44 24 00/, "single shot, high repeatability, no clock stretching");

    await b.sensor!.corrupt(1);
    assert.deepEqual(await read(b), { fault: BAD_READING, why: "CRC mismatch" });
    assert.ok((await read(b)).values, "the next reading is good again");

    await b.sensor!.setPresent(false);
    assert.deepEqual(await read(b), { fault: NO_ANSWER, why: `no answer at 0x44 (SDA D21, SCL D22): ${I2C_ADVICE}` });
    await b.sensor!.setPresent(true);
    assert.ok((await read(b)).values, "plugged in again: a reading");

    await b.sensor!.holdBus(true);
    const held = await read(b);
    assert.equal(held.fault, NO_ANSWER);
    assert.equal(held.why, "I2C Error: Arbitration (start) at 0x44 (SDA D21, SCL D22): a line is held low; check for a short or a hung device (power it off and on)");
    await b.sensor!.holdBus(false);
    assert.ok((await read(b)).values, "the bus released: a reading");
  });

  test("SHT3x configured at 0x45 while the part answers at 0x44: no answer, naming the address", async () => {
    const b = await boot(engine, code.sht3xWrongAddress, { kind: "sht3x", ...PINS, address: 0x44 });
    assert.deepEqual(await read(b), { fault: NO_ANSWER, why: `no answer at 0x45 (SDA D21, SCL D22): ${I2C_ADVICE}` });
  });

  test("SHT4x: command 0xFD, RH = -6 + 125 × word / 65535 cropped to 0-100; CRC", async () => {
    const b = await boot(engine, code.sht4x, { kind: "sht4x", ...PINS, address: 0x44 });
    for (const raw of [{ t: 0x6666, rh: 0x8000 }, { t: 0x1000, rh: 0x0100 }, { t: 0xf000, rh: 0xfff0 }]) {
      await b.sensor!.setRaw(raw);
      const rh = Math.min(100, Math.max(0, -6 + (125 * raw.rh) / 65535));
      assert.deepEqual(await read(b), { values: [round2(-45 + (175 * raw.t) / 65535), round2(rh)] }, JSON.stringify(raw));
    }
    assert.match((await b.sensor!.traffic()).join("\n"), /w 0x44 fd/);
    await b.sensor!.corrupt(1);
    assert.deepEqual(await read(b), { fault: BAD_READING, why: "CRC mismatch" });
  });

  test("BME280: the BMP280 datasheet's worked example (25.08 °C), pressure and humidity by the integer formulas; unplugged", async () => {
    const b = await boot(engine, code.bme280, { kind: "bme280", ...PINS, address: 0x76 });
    // The model's default calibration: the worked example's T and P words, and its humidity words.
    const cal = {
      T1: 27504, T2: 26435, T3: -1000, P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7, P7: 15500, P8: -14600, P9: 6000,
      H1: 75, H2: 362, H3: 0, H4: 313, H5: 50, H6: 30,
    };
    for (const adcH of [30000, 27000, 33000]) {
      await b.sensor!.setRaw({ adcT: 519888, adcP: 415148, adcH });
      const r = await read(b);
      assert.equal(r.values?.[0], 25.08, "°C, the datasheet's result");
      // The driver measures pressure at 1x oversampling, 16 bits (datasheet table 4): the example's
      // 20-bit 415148 reads as 415136. The 64-bit formula's result for it, in hPa.
      const pa = bmePressureInt64(cal, 519888, 415136);
      assert.ok(Math.abs(r.values![2] - pa / 100) <= 0.01, `hPa ${r.values![2]} against the 64-bit formula's ${pa / 100}`);
      const rh = bmeHumidityInt32(cal, 519888, adcH);
      assert.ok(Math.abs(r.values![1] - rh) <= 0.02, `%RH ${r.values![1]} against the integer formula's ${rh} (adc_H ${adcH})`);
    }
    const traffic = (await b.sensor!.traffic()).join("\n");
    assert.match(traffic, /w 0x76 d0/, "the chip id is read");
    assert.match(traffic, /w 0x76 f4 25/, "forced mode at 1x oversampling");

    await b.sensor!.setPresent(false);
    assert.deepEqual(await read(b), { fault: NO_ANSWER, why: `no answer at 0x76 (SDA D21, SCL D22): ${I2C_ADVICE}` });
    await b.sensor!.setPresent(true);
    await b.sensor!.set({ temperature: 21.5, humidity: 40, pressure: 1013.25 });
    const back = await read(b);
    assert.ok(Math.abs(back.values![0] - 21.5) < 0.02 && Math.abs(back.values![1] - 40) < 0.1 && Math.abs(back.values![2] - 1013.25) < 0.05,
      `set values come back: ${JSON.stringify(back.values)}`);
  });

  test("DS18B20: datasheet temperature words (+25.0625, -10.125, -55, +125 °C), CRC, the power-on 85 °C, unplugged", async () => {
    const b = await boot(engine, code.ds18b20, { kind: "ds18b20", ...PINS }, 4);
    for (const [t, want] of [[0x0191, 25.0625], [0xff5e, -10.125], [0xfc90, -55], [0x07d0, 125]]) {
      await b.sensor!.setRaw({ t });
      assert.deepEqual(await read(b), { values: [want, null] }, `0x${t.toString(16)}`);
    }
    await b.sensor!.corrupt(1);
    assert.deepEqual(await read(b), { fault: BAD_READING, why: "CRC mismatch" });
    // The register's power-on value (datasheet: +85 °C until a conversion ends) is not a reading.
    await b.sensor!.setRaw({ t: 0x0550 });
    assert.deepEqual(await read(b), {
      fault: BAD_READING, why: "85 C, the power-on value: the conversion did not run (power, or a parasite-powered part without a strong pull-up)",
    });
    await b.sensor!.setPresent(false);
    assert.deepEqual(await read(b), { fault: NO_ANSWER, why: "no presence pulse on D4: check the wiring, 3.3 V and the 4.7 kOhm pull-up from data to 3.3 V" });
    await b.sensor!.setPresent(true);
    await b.sensor!.setRaw({ t: 0x07d0 });
    assert.deepEqual(await read(b), { values: [125, null] });
  });

  test("DHT22: the AM2302 datasheet's example (65.2 %RH, 35.1 °C) and -10.1 °C from the pulse train; checksum, out of range, unplugged", async () => {
    const b = await boot(engine, code.dht22, { kind: "dht22", ...PINS });
    const period = () => new Promise((r) => setTimeout(r, 2100));
    await b.sensor!.setRaw({ rh: 0x028c, t: 0x015f });
    assert.deepEqual(await read(b), { values: [35.1, 65.2] });
    // Asked again within 2 s (the part's shortest period): the same reading, no bus traffic.
    const before = (await b.sensor!.traffic()).length;
    assert.deepEqual(await read(b), { values: [35.1, 65.2] });
    assert.equal((await b.sensor!.traffic()).length, before, "no start signal within 2 s");
    await period();
    await b.sensor!.setRaw({ rh: 0x0200, t: 0x8065 });
    assert.deepEqual(await read(b), { values: [-10.1, 51.2] });
    await period();
    await b.sensor!.corrupt(1);
    assert.deepEqual(await read(b), { fault: BAD_READING, why: "checksum mismatch" });
    await period();
    // 100.1 %RH adds up but is outside the part's range: misread bits.
    await b.sensor!.setRaw({ rh: 1001, t: 0x00fa });
    assert.deepEqual(await read(b), { fault: BAD_READING, why: "out of range (25 C, 100.1 %)" });
    await period();
    await b.sensor!.setPresent(false);
    assert.deepEqual(await read(b), { fault: NO_ANSWER, why: "no answer on D4: check the wiring, 3.3 V and the 10 kOhm pull-up from data to 3.3 V" });
  });
});
