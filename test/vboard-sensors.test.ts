// The virtual board's sensors at the bus level (issue 13), on both engines: small programs drive each
// model through Espruino's own API (I2C, OneWire, pinMode/digitalWrite/setWatch), with no firmware
// driver, and the host checks datasheet facts with its own arithmetic: Sensirion's CRC-8 and word
// encoding, the DS18B20's presence, power-up scratchpad, Dallas CRC and conversion slots, the BME280's
// registers and compensation (BMP280 datasheet's worked example), the AM2302's pulse train and its
// datasheet example; and the failures: an early read, a wrong address, an unplugged sensor, a held
// bus, a corrupted reading (tools/vboard/sensors/, docs/espruino.md §3.6).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, describe, test } from "node:test";
import { createBoard, type Board, type SensorOptions } from "../tools/vboard/index.ts";
import { ENGINES, onEngine, type EngineName } from "./helpers/engines.ts";

const scratch = mkdtempSync(join(tmpdir(), "vboard-sensors-"));
const boards: Board[] = [];
let dirs = 0;
afterEach(async () => {
  for (const b of boards.splice(0)) await b.stop();
});
after(() => rmSync(scratch, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Helpers every program has: a Uint8Array or array as a plain array, bytes as hex. */
const COMMON = `function A(u){var a=[];for(var i=0;i<u.length;i++)a.push(u[i]);return a;}
function H(u){var s=[];for(var i=0;i<u.length;i++)s.push((u[i]<16?"0":"")+u[i].toString(16));return s.join(" ");}
`;

async function boot(engine: EngineName, sensor: SensorOptions | undefined, program: string, timeScale = 1): Promise<Board> {
  const b = createBoard({ engine, board: "esp32", storageDir: join(scratch, `b${dirs++}`), sensor, timeScale });
  boards.push(b);
  b.flash(COMMON + program + `\nprint("READY");\n`);
  b.boot();
  await b.waitFor(/^READY$/m, 15000);
  return b;
}

/** Evaluates `expr` in the running program, on either engine; its value through JSON. */
async function ev(b: Board, expr: string): Promise<any> {
  if (b.engine === "node") {
    const r = b.evaluate(expr);
    assert.ok(r.ran && !r.threw, `${expr} ran without an exception:\n${b.output.slice(-400)}`);
    return r.value === undefined ? undefined : JSON.parse(JSON.stringify(r.value));
  }
  const v = await b.evaluate(expr);
  assert.ok(!(v && typeof v === "object" && "vbThrew" in v), `${expr} threw ${JSON.stringify(v)}`);
  return v;
}

const hex = (a: number[]) => a.map((x) => x.toString(16).padStart(2, "0")).join(" ");

// ---- independent arithmetic, from the datasheets ------------------------------------------------
function crcSensirion(bytes: number[]): number {
  let c = 0xff;
  for (const x of bytes) {
    c ^= x;
    for (let i = 0; i < 8; i++) c = c & 0x80 ? ((c << 1) ^ 0x31) & 0xff : (c << 1) & 0xff;
  }
  return c;
}
function crcDallas(bytes: number[]): number {
  // Bit-serial, as the DS18B20 datasheet's shift-register drawing: x^8 + x^5 + x^4 + 1, LSB first.
  let c = 0;
  for (const x of bytes) {
    for (let i = 0; i < 8; i++) {
      const inBit = ((x >> i) ^ c) & 1;
      c >>= 1;
      if (inBit) c ^= 0x8c;
    }
  }
  return c;
}
function bmeCompensate(cal: Record<string, number>, adcT: number, adcP: number, adcH: number) {
  const v1 = (adcT / 16384 - cal.T1 / 1024) * cal.T2;
  const v2 = (adcT / 131072 - cal.T1 / 8192) ** 2 * cal.T3;
  const tFine = v1 + v2;
  let p1 = tFine / 2 - 64000;
  let p2 = (p1 * p1 * cal.P6) / 32768 + p1 * cal.P5 * 2;
  p2 = p2 / 4 + cal.P4 * 65536;
  p1 = ((cal.P3 * p1 * p1) / 524288 + cal.P2 * p1) / 524288;
  p1 = (1 + p1 / 32768) * cal.P1;
  let p = ((1048576 - adcP - p2 / 4096) * 6250) / p1;
  p += ((cal.P9 * p * p) / 2147483648 + (p * cal.P8) / 32768 + cal.P7) / 16;
  let h = tFine - 76800;
  h = (adcH - (cal.H4 * 64 + (cal.H5 / 16384) * h)) * ((cal.H2 / 65536) * (1 + (cal.H6 / 67108864) * h * (1 + (cal.H3 / 67108864) * h)));
  h = Math.min(100, Math.max(0, h * (1 - (cal.H1 * h) / 524288)));
  return { t: tFine / 5120, p, h };
}
const BMP280_EXAMPLE = { T1: 27504, T2: 26435, T3: -1000, P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7, P7: 15500, P8: -14600, P9: 6000 };
const BME_H_DEFAULT = { H1: 75, H2: 362, H3: 0, H4: 313, H5: 50, H6: 30 };

const I2C_PROGRAM = `var i2c = new I2C(); i2c.setup({scl: 22, sda: 21, bitrate: 100000});
function rd(a, n) { return H(i2c.readFrom(a, n)); }
function tryW(a, d) { try { i2c.writeTo(a, d); return "ok"; } catch (e) { return String(e); } }
function tryR(a, n) { try { return rd(a, n); } catch (e) { return String(e); } }`;

for (const engine of ENGINES) describe(`sensors on the ${engine} engine`, onEngine(engine), () => {
  test("no sensor option: nothing is installed", async () => {
    const b = await boot(engine, undefined, "");
    assert.equal(await ev(b, `typeof __vbSensor`), "undefined");
    assert.equal(b.sensor, undefined);
  });

  test("SHT3x: single shot, CRC-8 (0xBEEF -> 0x92), early read NACKs, wrong address, status, held bus", async () => {
    const b = await boot(engine, { kind: "sht3x", temperature: 21.5, humidity: 40 }, I2C_PROGRAM);
    // High repeatability, no clock stretching: 15 ms at most; before that the sensor NACKs: 0xFF.
    assert.equal(await ev(b, `i2c.writeTo(0x44, [0x24, 0x00]); rd(0x44, 6)`), "ff ff ff ff ff ff");
    await sleep(40);
    const t = Math.round(((21.5 + 45) / 175) * 65535), rh = Math.round((40 / 100) * 65535);
    const words = (w: number[]) => hex(w.flatMap((x) => [x >> 8, x & 255, crcSensirion([x >> 8, x & 255])]));
    assert.equal(await ev(b, `rd(0x44, 6)`), words([t, rh]));
    assert.equal(words([0xbeef]), "be ef 92", "the datasheet's CRC example");
    assert.equal(await ev(b, `rd(0x44, 6)`), "ff ff ff ff ff ff", "read once: no data until the next command");
    // Raw words, with clock stretching (the read waits for the measurement).
    await b.sensor!.setRaw({ t: 0xbeef, rh: 0x1234 });
    assert.equal(await ev(b, `i2c.writeTo(0x44, 0x2c, 0x06); rd(0x44, 6)`), "be ef 92 12 34 " + (crcSensirion([0x12, 0x34])).toString(16).padStart(2, "0"));
    // A wrong address: nobody acknowledges, the write "succeeds" and the read gives the pull-up's 0xFF.
    assert.equal(await ev(b, `tryW(0x45, [0x24, 0x00])`), "ok");
    assert.equal(await ev(b, `i2c.writeTo(0x45, [0x2c, 0x06]); rd(0x45, 6)`), "ff ff ff ff ff ff");
    // Status after power-up: alert pending and reset detected (0x8010), with its CRC.
    assert.equal(await ev(b, `i2c.writeTo(0x44, [0xf3, 0x2d]); rd(0x44, 3)`), hex([0x80, 0x10, crcSensirion([0x80, 0x10])]));
    // corrupt(1): one reading whose CRC does not match, then good ones again.
    await b.sensor!.corrupt(1);
    const bad = (await ev(b, `i2c.writeTo(0x44, [0x2c, 0x06]); A(i2c.readFrom(0x44, 6))`)) as number[];
    assert.notEqual(crcSensirion(bad.slice(0, 2)), bad[2], "the corrupted reading fails its CRC");
    const good = (await ev(b, `i2c.writeTo(0x44, [0x2c, 0x06]); A(i2c.readFrom(0x44, 6))`)) as number[];
    assert.equal(crcSensirion(good.slice(0, 2)), good[2]);
    // Unplugged: no ACK at all.
    await b.sensor!.setPresent(false);
    assert.equal(await ev(b, `i2c.writeTo(0x44, [0x2c, 0x06]); rd(0x44, 6)`), "ff ff ff ff ff ff");
    await b.sensor!.setPresent(true);
    // SDA held low: the start condition fails, as Espruino's software I2C reports it.
    await b.sensor!.holdBus(true);
    assert.equal(await ev(b, `tryW(0x44, [0x24, 0x00])`), "Error: I2C Error: Arbitration (start)");
    assert.equal(await ev(b, `tryR(0x44, 6)`), "Error: I2C Error: Arbitration (start)");
    await b.sensor!.holdBus(false);
    assert.equal(await ev(b, `tryW(0x44, [0x24, 0x00])`), "ok");
    const traffic = await b.sensor!.traffic();
    assert.ok(traffic.includes("w 0x44 24 00"), traffic.join(" | "));
    assert.ok(traffic.includes("r 0x45 6 nack"), traffic.join(" | "));
    assert.ok(traffic.includes("w 0x44 arbitration (SDA held low)"), traffic.join(" | "));
  });

  test("SHT4x: 0xFD high precision (8.3 ms), RH = (RH + 6) / 125, early read NACKs", async () => {
    const b = await boot(engine, { kind: "sht4x", temperature: -10, humidity: 95.5 }, I2C_PROGRAM);
    assert.equal(await ev(b, `i2c.writeTo(0x44, 0xfd); rd(0x44, 6)`), "ff ff ff ff ff ff");
    await sleep(30);
    const d = (await ev(b, `A(i2c.readFrom(0x44, 6))`)) as number[];
    assert.equal(crcSensirion(d.slice(0, 2)), d[2]);
    assert.equal(crcSensirion(d.slice(3, 5)), d[5]);
    assert.equal((d[0] << 8) | d[1], Math.round(((-10 + 45) / 175) * 65535));
    assert.equal((d[3] << 8) | d[4], Math.round(((95.5 + 6) / 125) * 65535));
    assert.ok(Math.abs(-6 + (125 * ((d[3] << 8) | d[4])) / 65535 - 95.5) < 0.01);
  });

  test("BME280: chip id, calibration round trip, forced measurement, the BMP280 worked example, set values", async () => {
    const b = await boot(engine, { kind: "bme280" }, I2C_PROGRAM + `
function regs(r, n) { i2c.writeTo(0x76, r); return A(i2c.readFrom(0x76, n)); }`);
    assert.deepEqual(await ev(b, `regs(0xd0, 1)`), [0x60]);
    assert.deepEqual(await ev(b, `i2c.writeTo(0x77, 0xd0); A(i2c.readFrom(0x77, 1))`), [0xff], "0x77 is the other address: nobody there");
    // Before any measurement: 0x80000 (P, T) and 0x8000 (H).
    assert.deepEqual(await ev(b, `regs(0xf7, 8)`), [0x80, 0, 0, 0x80, 0, 0, 0x80, 0]);
    // The default calibration: the BMP280 datasheet's example for T and P.
    const cal = decodeCal((await ev(b, `regs(0x88, 24)`)) as number[], (await ev(b, `regs(0xa1, 1)`)) as number[], (await ev(b, `regs(0xe1, 7)`)) as number[]);
    assert.deepEqual(cal, { ...BMP280_EXAMPLE, ...BME_H_DEFAULT });
    // Forced mode, T x16, P x16, H x1: busy (status bit 3) for 1.25 + 2.3*16 + 2.3*16 + 0.575 + 2.3 + 0.575 ms.
    await b.sensor!.setRaw({ adcT: 519888, adcP: 415148, adcH: 30000 });
    assert.deepEqual(await ev(b, `i2c.writeTo(0x76, [0xf2, 0x01]); i2c.writeTo(0x76, [0xf4, 0xb5]); regs(0xf3, 2)`), [0x08, 0xb5]);
    await sleep(150);
    const [status, ctrl] = (await ev(b, `regs(0xf3, 2)`)) as number[];
    assert.equal(status & 8, 0, "measurement done");
    assert.equal(ctrl & 3, 0, "forced mode goes back to sleep");
    const d = (await ev(b, `regs(0xf7, 8)`)) as number[];
    const adcP = (d[0] << 12) | (d[1] << 4) | (d[2] >> 4), adcT = (d[3] << 12) | (d[4] << 4) | (d[5] >> 4), adcH = (d[6] << 8) | d[7];
    assert.deepEqual([adcT, adcP, adcH], [519888, 415148, 30000]);
    const ex = bmeCompensate(cal, adcT, adcP, adcH);
    assert.equal(ex.t.toFixed(2), "25.08", "BMP280 datasheet: 25.08 degC");
    assert.equal(ex.p.toFixed(2), "100653.27", "BMP280 datasheet: 100653.27 Pa");
    assert.ok(ex.h > 30 && ex.h < 70, `a sane humidity from the humidity calibration: ${ex.h}`);
    // Physical values, encoded by inverting the compensation; decoded here with the datasheet's formulas.
    await b.sensor!.set({ temperature: -7.25, humidity: 63.5, pressure: 987.6 });
    await ev(b, `i2c.writeTo(0x76, [0xf4, 0xb5])`);
    await sleep(150);
    const e = (await ev(b, `regs(0xf7, 8)`)) as number[];
    const v = bmeCompensate(cal, (e[3] << 12) | (e[4] << 4) | (e[5] >> 4), (e[0] << 12) | (e[1] << 4) | (e[2] >> 4), (e[6] << 8) | e[7]);
    assert.ok(Math.abs(v.t + 7.25) < 0.01, `T ${v.t}`);
    assert.ok(Math.abs(v.p - 98760) < 1, `P ${v.p}`);
    assert.ok(Math.abs(v.h - 63.5) < 0.1, `H ${v.h}`);
    // Calibration words set by the host come back from the registers (H4, H5 signed 12-bit).
    const mine = { T1: 28001, T2: 25999, T3: 50, P1: 36000, P2: -11000, P3: 3000, P4: 2000, P5: -140, P6: -7, P7: 15000, P8: -15000, P9: 5000,
      H1: 80, H2: 350, H3: 2, H4: -300, H5: -100, H6: -20 };
    await b.sensor!.setRaw({ calibration: mine });
    assert.deepEqual(decodeCal((await ev(b, `regs(0x88, 24)`)) as number[], (await ev(b, `regs(0xa1, 1)`)) as number[], (await ev(b, `regs(0xe1, 7)`)) as number[]), mine);
    // Soft reset: control registers and data back to their reset values, calibration kept.
    assert.deepEqual(await ev(b, `i2c.writeTo(0x76, [0xe0, 0xb6]); regs(0xf2, 4).concat(regs(0xf7, 8))`), [0, 0, 0, 0, 0x80, 0, 0, 0x80, 0, 0, 0x80, 0]);
    assert.equal((await b.sensor!.traffic()).filter((l) => l === "w 0x76 f4 b5").length, 2);
  });

  test("DS18B20: presence, ROM and its CRC, power-up 85 degC, conversion slots, match ROM, search, failures", async () => {
    const b = await boot(engine, { kind: "ds18b20", temperature: -10.125 }, `var ow = new OneWire(4);
function sp() { ow.reset(); ow.skip(); ow.write(0xbe); return ow.read(9); }
function conv() { ow.reset(); ow.skip(); ow.write(0x44); global.t0 = getTime(); }
function poll() { return [ow.read(), (getTime() - t0) * 1000]; }`);
    assert.equal(await ev(b, `ow.reset()`), true, "presence pulse");
    const rom = (await ev(b, `ow.reset(); ow.write(0x33); ow.read(8)`)) as number[];
    assert.equal(rom[0], 0x28, "family code");
    assert.equal(crcDallas(rom.slice(0, 7)), rom[7], "ROM CRC");
    const romString = hex(rom).replace(/ /g, "");
    // Power-up: +85 degC (0x0550) until a conversion ends; the scratchpad's CRC is right.
    const pad = (await ev(b, `sp()`)) as number[];
    assert.deepEqual(pad.slice(0, 2), [0x50, 0x05]);
    assert.deepEqual(pad.slice(4, 8), [0x7f, 0xff, 0x0c, 0x10]);
    assert.equal(crcDallas(pad.slice(0, 8)), pad[8], "scratchpad CRC");
    assert.equal(crcDallas(pad), 0, "CRC over all nine bytes is 0");
    // 12 bits: 750 ms; read slots give 0 while converting, then 1.
    await ev(b, `conv()`);
    const busy = (await ev(b, `poll()`)) as [number, number];
    if (busy[1] < 740) assert.equal(busy[0], 0, `busy at ${busy[1]} ms`);
    await sleep(800);
    assert.equal(((await ev(b, `poll()`)) as number[])[0], 0xff);
    const t = (await ev(b, `sp()`)) as number[];
    assert.equal(((t[1] << 8) | t[0]), Math.round(-10.125 * 16) & 0xffff, "-10.125 degC = 0xFF5E");
    assert.equal(crcDallas(t.slice(0, 8)), t[8]);
    // 9 bits (config 0x1F): 93.75 ms, and the lowest 3 bits undefined (read as 0).
    await ev(b, `ow.reset(); ow.skip(); ow.write([0x4e, 0x4b, 0x46, 0x1f])`);
    await b.sensor!.set({ temperature: 21.0625 });
    await ev(b, `conv()`);
    const early = (await ev(b, `poll()`)) as [number, number];
    if (early[1] < 90) assert.equal(early[0], 0, `busy at ${early[1]} ms`);
    await sleep(150);
    assert.equal(((await ev(b, `poll()`)) as number[])[0], 0xff);
    const t9 = (await ev(b, `sp()`)) as number[];
    assert.equal(((t9[1] << 8) | t9[0]), 0x0150, "21.0625 degC at 9 bits reads 21.0");
    assert.equal(t9[4], 0x1f);
    // Match ROM, the wrong ROM, search, read power supply.
    assert.deepEqual(await ev(b, `ow.reset(); ow.select(${JSON.stringify(romString)}); ow.write(0xbe); ow.read(2)`), [0x50, 0x01]);
    assert.deepEqual(await ev(b, `ow.reset(); ow.select("28aaaaaaaaaaaa00"); ow.write(0xbe); ow.read(2)`), [0xff, 0xff]);
    assert.deepEqual(await ev(b, `ow.search()`), [romString]);
    assert.equal(await ev(b, `ow.reset(); ow.skip(); ow.write(0xb4); ow.read()`), 0xff);
    // corrupt(1): the next scratchpad fails its CRC.
    await b.sensor!.corrupt(1);
    const c = (await ev(b, `sp()`)) as number[];
    assert.notEqual(crcDallas(c.slice(0, 8)), c[8]);
    // Missing: no presence pulse, read slots give 1. Held low: "presence" and 0s.
    await b.sensor!.setPresent(false);
    assert.equal(await ev(b, `ow.reset()`), false);
    assert.deepEqual(await ev(b, `ow.read(2)`), [0xff, 0xff]);
    assert.deepEqual(await ev(b, `ow.search()`), []);
    await b.sensor!.setPresent(true);
    await b.sensor!.holdBus(true);
    assert.equal(await ev(b, `ow.reset()`), true);
    assert.deepEqual(await ev(b, `ow.read(2)`), [0, 0]);
    await b.sensor!.holdBus(false);
    const traffic = await b.sensor!.traffic();
    for (const l of ["reset presence", "rom 0xcc skip", "cmd 0x44", "cmd 0xbe", "reset no presence"]) assert.ok(traffic.includes(l), `${l} in ${traffic.join(" | ")}`);
  });

  test("DHT22: the start signal, the pulse train decodes to the datasheet's bytes, negative T, failures", async () => {
    // The board's clock at a tenth of real time: the real interpreter runs the model's pin calls
    // from Storage at about 1 ms each, and an immediate release must stay under T_be's 0.8 ms.
    const b = await boot(engine, { kind: "dht22", humidity: 65.2, temperature: 35.1 }, `
function dht(holdMs) {
  global.ev = []; global.done = false;
  pinMode(4, "output"); digitalWrite(4, 0);
  var id = setWatch(function (e) { ev.push([e.state, e.time, e.lastTime]); }, 4, {edge: "falling", repeat: true});
  var rel = function () { pinMode(4, "input_pullup"); global.sync = ev.length;
    setTimeout(function () { clearWatch(id); done = true; }, 40); };
  if (holdMs) setTimeout(rel, holdMs); else rel();
}`, 0.1);
    const read = async (holdMs: number) => {
      await ev(b, `dht(${holdMs})`);
      for (let i = 0; i < 200 && !(await ev(b, `done`)); i++) await sleep(20);
      assert.equal(await ev(b, `sync`), 0, "no callback runs inside the call that releases the line");
      return (await ev(b, `ev`)) as [boolean, number, number][];
    };
    const decode = (e: [boolean, number, number][]) => {
      assert.equal(e.length, 42, "response + 40 bits + end: 42 falling edges");
      assert.ok(e.every((x) => x[0] === false), "state false on falling edges");
      const us = (s: number) => Math.round(s * 1e6);
      // Between falling edges: 160 us (80 high after the 80 low of the response), then 76 or 120 per bit.
      assert.equal(us(e[1][1] - e[0][1]), 160);
      const bits: number[] = [];
      for (let i = 2; i < 42; i++) {
        const period = us(e[i][1] - e[i - 1][1]);
        const high = us(e[i][1] - e[i][2]); // lastTime: the rise before this fall
        assert.ok(period === 76 || period === 120, `bit ${i - 2}: ${period} us`);
        assert.equal(high, period - 50, "50 us low, then the high pulse");
        bits.push(high > 48 ? 1 : 0);
      }
      return Array.from({ length: 5 }, (_, k) => bits.slice(k * 8, k * 8 + 8).reduce((a, x) => (a << 1) | x, 0));
    };
    // The AM2302 datasheet's example: RH 65.2 % = 0x028C, T 35.1 degC = 0x015F, checksum 0xEE.
    assert.deepEqual(decode(await read(2)), [0x02, 0x8c, 0x01, 0x5f, 0xee]);
    // Negative: -10.1 degC = 0x8065 (bit 15 the sign).
    await b.sensor!.set({ temperature: -10.1 });
    const neg = decode(await read(2));
    assert.deepEqual(neg.slice(2, 4), [0x80, 0x65]);
    assert.equal(neg[4], (neg[0] + neg[1] + neg[2] + neg[3]) & 0xff);
    // Released at once (under T_be's 0.8 ms): no answer.
    assert.deepEqual(await read(0), [], (await b.sensor!.traffic()).join(" | "));
    // corrupt(1): the checksum does not match once.
    await b.sensor!.corrupt(1);
    const bad = decode(await read(2));
    assert.notEqual(bad[4], (bad[0] + bad[1] + bad[2] + bad[3]) & 0xff);
    // Raw words.
    await b.sensor!.setRaw({ rh: 0x0123, t: 0x00fa });
    assert.deepEqual(decode(await read(2)).slice(0, 4), [0x01, 0x23, 0x00, 0xfa]);
    // Unplugged: nothing answers; the line stays high.
    await b.sensor!.setPresent(false);
    assert.deepEqual(await read(2), []);
    assert.equal(await ev(b, `digitalRead(4)`), 1);
    await b.sensor!.setPresent(true);
    // Held low: no answer, the line reads 0.
    await b.sensor!.holdBus(true);
    assert.equal(await ev(b, `digitalRead(4)`), 0);
    await b.sensor!.holdBus(false);
    assert.equal(await ev(b, `digitalRead(4)`), 1);
    // Other pins keep their behaviour.
    assert.equal(await ev(b, `var w5 = setWatch(function(){}, 5, {edge: "both"}); clearWatch(w5); digitalWrite(5, 1); typeof w5`), "number");
    const traffic = await b.sensor!.traffic();
    assert.ok(traffic.some((l) => /^start \d+\.\d+ ms: answer 02 8c 01 5f ee$/.test(l)), traffic.join(" | "));
    assert.ok(traffic.some((l) => /too short/.test(l)), traffic.join(" | "));
  });
});

function decodeCal(a: number[], h1: number[], e: number[]): Record<string, number> {
  const u16 = (i: number) => a[i] | (a[i + 1] << 8);
  const s16 = (i: number) => (u16(i) ^ 0x8000) - 0x8000;
  const s12 = (v: number) => (v & 0x800 ? v - 0x1000 : v);
  const names = ["T1", "T2", "T3", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9"];
  const out: Record<string, number> = {};
  names.forEach((n, k) => (out[n] = n === "T1" || n === "P1" ? u16(k * 2) : s16(k * 2)));
  out.H1 = h1[0];
  out.H2 = ((e[0] | (e[1] << 8)) ^ 0x8000) - 0x8000;
  out.H3 = e[2];
  out.H4 = s12((e[3] << 4) | (e[4] & 0x0f));
  out.H5 = s12((e[5] << 4) | (e[4] >> 4));
  out.H6 = e[6] & 0x80 ? e[6] - 256 : e[6];
  return out;
}
