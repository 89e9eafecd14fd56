// The sensor keys of the device configuration (issue 13): which part, its pins and I2C address with their
// per-board defaults, and the build's checks of each pin against the chip (board/<chip>.json device.gpio):
// errors for a pin the board cannot give a sensor, warnings for one that can stop it from starting.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ConfigError, loadDeviceConfig, validateDeviceConfig, type DeviceConfig } from "../tools/bundler/config.ts";
import { describeChange, firmwareInputs, toFirmwareConfig } from "../tools/bundler/inputs.ts";
import { BOARDS, loadBoard, type BoardName } from "../tools/common/board.ts";
import { run } from "./helpers/run.ts";

const ROOT = join(import.meta.dirname, "..");
const good = { wifiSsid: "Garden Shed", wifiPassword: "correct-horse-42", host: "tb.example.org", accessToken: "Zq8SECRETtok3n" };
const origin = { file: join(ROOT, "device.config.json"), cwd: ROOT };
const SENSORS = ["simulated", "internal", "sht3x", "sht4x", "bme280", "ds18b20", "dht22"] as const;
const I2C = ["sht3x", "sht4x", "bme280"] as const;

const scratch = mkdtempSync(join(tmpdir(), "tb-config-sensor-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const F = "E config: device.config.json";
const W = "W config: device.config.json";

function problems(extra: Record<string, unknown>): string[] {
  try {
    validateDeviceConfig({ ...good, ...extra }, origin);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(extra)}`);
}

/** The config and warnings as `npm run build` gets them, from a device.config.json holding `extra`. */
function load(extra: Record<string, unknown>, env: Record<string, string> = {}): { config: DeviceConfig; warnings: string[] } {
  const dir = mkdtempSync(join(scratch, "c-"));
  writeFileSync(join(dir, "device.config.json"), JSON.stringify({ ...good, ...extra }));
  return loadDeviceConfig({ cwd: dir, env });
}

const config = (extra: Record<string, unknown>) => validateDeviceConfig({ ...good, ...extra }, origin);

describe("sensor keys: values and defaults", () => {
  test("sensor takes the seven names and defaults to simulated; a typo gets a suggestion", () => {
    assert.equal(config({}).sensor, "simulated");
    for (const sensor of SENSORS) assert.equal(config({ sensor }).sensor, sensor);
    assert.deepEqual(problems({ sensor: "sht31" }), [`${F}: sensor: the string "sht31" is not allowed: did you mean "sht3x"? ` +
      'use one of "simulated", "internal", "sht3x", "sht4x", "bme280", "ds18b20", "dht22"']);
  });

  const defaults: Record<BoardName, [number, number, number]> = { esp32: [21, 22, 4], esp32c3: [4, 5, 3], esp32s3: [8, 9, 4] };
  for (const board of BOARDS) {
    test(`${board}: the pins default to board/${board}.json's device.sensorPins, for every sensor`, () => {
      const [sda, scl, pin] = defaults[board];
      const sensorPins = loadBoard(board).device.sensorPins;
      assert.deepEqual(sensorPins, { sda: `D${sda}`, scl: `D${scl}`, pin: `D${pin}` });
      for (const sensor of SENSORS) {
        const c = config({ board, sensor });
        assert.deepEqual([c.sda, c.scl, c.pin], [sda, scl, pin], `${board} ${sensor}`);
      }
    });

    test(`${board}: the default pins, given explicitly, pass every check without a warning`, () => {
      const [sda, scl, pin] = defaults[board];
      for (const sensor of ["sht3x", "ds18b20", "dht22"]) {
        const { warnings } = load({ board, sensor, ...(sensor === "sht3x" ? { sda, scl } : { pin }) });
        assert.deepEqual(warnings, [], `${board} ${sensor}`);
      }
    });
  }

  test("i2cAddress defaults per part: SHT3x and SHT4x 0x44, BME280 0x76, and 0 for a sensor not on I2C", () => {
    const expected = { simulated: 0, internal: 0, sht3x: 0x44, sht4x: 0x44, bme280: 0x76, ds18b20: 0, dht22: 0 };
    for (const sensor of SENSORS) assert.equal(config({ sensor }).i2cAddress, expected[sensor], sensor);
  });

  test("each part's other addresses are accepted, as a number or a hex string", () => {
    for (const [sensor, address] of [["sht3x", 0x45], ["sht4x", 0x45], ["sht4x", 0x46], ["bme280", 0x77]] as const) {
      assert.equal(config({ sensor, i2cAddress: address }).i2cAddress, address);
      assert.equal(config({ sensor, i2cAddress: "0x" + address.toString(16) }).i2cAddress, address);
      assert.equal(config({ sensor, i2cAddress: "0X" + address.toString(16).toUpperCase() }).i2cAddress, address);
    }
  });

  test("a pin written as 21, \"21\", \"D21\" or \"GPIO21\" (any case) is GPIO 21", () => {
    for (const sda of [21, "21", "D21", "d21", "GPIO21", "gpio21", "Gpio21"]) assert.equal(config({ sensor: "sht3x", sda }).sda, 21, String(sda));
    for (const pin of [5 - 1, "D4", "GPIO4"]) assert.equal(config({ sensor: "dht22", pin }).pin, 4);
    assert.equal(config({ sensor: "ds18b20", board: "esp32s3", pin: "GPIO47" }).pin, 47);
  });

  test("TB_SDA, TB_SCL, TB_PIN, TB_I2C_ADDRESS and TB_PRESSURE_KEY override the file, in the same spellings", () => {
    const { config: c } = load({ sensor: "bme280" }, { TB_SDA: "GPIO25", TB_SCL: "26", TB_I2C_ADDRESS: "0x77", TB_PRESSURE_KEY: "pres" });
    assert.deepEqual([c.sda, c.scl, c.i2cAddress, c.pressureKey], [25, 26, 0x77, "pres"]);
    assert.equal(load({ sensor: "dht22" }, { TB_PIN: "D27" }).config.pin, 27);
    const dir = mkdtempSync(join(scratch, "env-"));
    writeFileSync(join(dir, "device.config.json"), JSON.stringify({ ...good, sensor: "sht3x" }));
    assert.throws(() => loadDeviceConfig({ cwd: dir, env: { TB_SDA: "D7" } }), (e: ConfigError) => {
      assert.deepEqual(e.problems, ["E config: env TB_SDA: sda: D7 is one of the ESP32's SPI flash pins (D6-D11): wire SDA to another GPIO, e.g. D21 (the default)"]);
      return true;
    });
  });

  test("pressureKey defaults to \"pressure\" and follows the telemetry key rule", () => {
    assert.equal(config({ sensor: "bme280" }).pressureKey, "pressure");
    assert.equal(config({ sensor: "bme280", pressureKey: "druck" }).pressureKey, "druck");
    assert.deepEqual(problems({ sensor: "bme280", pressureKey: "air pressure" }), [`${F}: pressureKey: "air pressure" is not a usable telemetry key: ` +
      'use 1-64 printable ASCII characters without spaces, quotes or backslashes, e.g. "temperature"']);
  });
});

describe("sensor keys: malformed values", () => {
  test("a pin that is no number, D<n> or GPIO<n> says how to write it", () => {
    assert.deepEqual(problems({ sensor: "sht3x", sda: "IO21" }), [`${F}: sda: the string "IO21" is not a pin: write the GPIO number as 21, "D21" or "GPIO21"`]);
    assert.deepEqual(problems({ sensor: "sht3x", scl: "SCL" }), [`${F}: scl: the string "SCL" is not a pin: write the GPIO number as 22, "D22" or "GPIO22"`]);
    assert.deepEqual(problems({ sensor: "dht22", pin: 4.5 }), [`${F}: pin: the number 4.5 is not a pin: write the GPIO number as 4, "D4" or "GPIO4"`]);
    assert.deepEqual(problems({ sensor: "dht22", pin: -4 }), [`${F}: pin: the number -4 is not a pin: write the GPIO number as 4, "D4" or "GPIO4"`]);
    assert.deepEqual(problems({ sensor: "sht3x", sda: true }), [`${F}: sda: the boolean true is not a pin: write the GPIO number as 21, "D21" or "GPIO21"`]);
    assert.deepEqual(problems({ sensor: "sht3x", sda: null }), [`${F}: sda: null is not a pin: write the GPIO number as 21, "D21" or "GPIO21"`]);
  });

  test("an address that is no number or \"0x..\" string, or above 0x7f, says how to write it", () => {
    assert.deepEqual(problems({ sensor: "sht3x", i2cAddress: "44" }),
      [`${F}: i2cAddress: the string "44" is not a 7-bit I2C address: write it in hex as "0x44", or as a number`]);
    assert.deepEqual(problems({ sensor: "sht3x", i2cAddress: "x44" }),
      [`${F}: i2cAddress: the string "x44" is not a 7-bit I2C address: write it in hex as a string, e.g. "0x44", or as a number`]);
    assert.deepEqual(problems({ sensor: "sht3x", i2cAddress: 0x88 }),
      [`${F}: i2cAddress: the number 136 is not a 7-bit I2C address: write it in hex as a string, e.g. "0x44", or as a number`]);
  });

  test("a malformed value is an error even for a key the sensor does not use", () => {
    assert.deepEqual(problems({ sensor: "simulated", pin: "A0" }), [`${F}: pin: the string "A0" is not a pin: write the GPIO number as 0, "D0" or "GPIO0"`]);
  });

  test("an address the part does not answer on lists the ones it does, with how each is chosen", () => {
    assert.deepEqual(problems({ sensor: "sht3x", i2cAddress: "0x40" }),
      [`${F}: i2cAddress: 0x40 is not an address the SHT3x answers on: use 0x44 (ADDR pin to GND, the default) or 0x45 (ADDR pin to VDD)`]);
    assert.deepEqual(problems({ sensor: "sht4x", i2cAddress: 0x47 }),
      [`${F}: i2cAddress: 0x47 is not an address the SHT4x answers on: use 0x44 (SHT4x-AD1B, the default), 0x45 (SHT4x-BD1B) or 0x46 (SHT4x-CD1B)`]);
    assert.deepEqual(problems({ sensor: "bme280", i2cAddress: "0x44" }),
      [`${F}: i2cAddress: 0x44 is not an address the BME280 answers on: use 0x76 (SDO to GND, the default) or 0x77 (SDO to VDDIO)`]);
  });
});

describe("sensor pins: errors, per chip", () => {
  const one = (extra: Record<string, unknown>, line: string) => assert.deepEqual(problems(extra), [line]);

  test("ESP32: a GPIO it does not have (20, 24, 28-31, 40)", () => {
    const has = "(it has D0-D19, D21-D23, D25-D27, D32-D39)";
    for (const sda of [20, 24, 28, 31, 40]) {
      one({ sensor: "sht3x", sda }, `${F}: sda: D${sda} is not a GPIO of the ESP32 ${has}: wire SDA to another GPIO, e.g. D21 (the default)`);
    }
    one({ sensor: "ds18b20", pin: "GPIO24" }, `${F}: pin: D24 is not a GPIO of the ESP32 ${has}: wire the DS18B20's data line (DQ) to another GPIO, e.g. D4 (the default)`);
  });

  test("ESP32: the SPI flash pins 6-11", () => {
    one({ sensor: "sht3x", sda: "D7" }, `${F}: sda: D7 is one of the ESP32's SPI flash pins (D6-D11): wire SDA to another GPIO, e.g. D21 (the default)`);
    for (const scl of [6, 8, 9, 10, 11]) {
      one({ sensor: "bme280", scl }, `${F}: scl: D${scl} is one of the ESP32's SPI flash pins (D6-D11): wire SCL to another GPIO, e.g. D22 (the default)`);
    }
    one({ sensor: "dht22", pin: "GPIO11" }, `${F}: pin: D11 is one of the ESP32's SPI flash pins (D6-D11): wire the DHT22's data line to another GPIO, e.g. D4 (the default)`);
  });

  test("ESP32: the console UART, TX 1 and RX 3", () => {
    const uart = "is one of the ESP32's console UART pins (D1 TX, D3 RX), which carry Espruino's console, the log and flashing";
    one({ sensor: "sht3x", sda: 1 }, `${F}: sda: D1 ${uart}: wire SDA to another GPIO, e.g. D21 (the default)`);
    one({ sensor: "ds18b20", pin: "D3" }, `${F}: pin: D3 ${uart}: wire the DS18B20's data line (DQ) to another GPIO, e.g. D4 (the default)`);
  });

  test("every chip: the LED the firmware blinks (device.ledPin, D2)", () => {
    for (const board of BOARDS) {
      const fix = `wire SCL to another GPIO, e.g. D${loadBoard(board).device.sensorPins.scl.slice(1)} (the default)`;
      one({ board, sensor: "sht4x", scl: "D2" }, `${F}: scl: D2 drives the LED the firmware blinks (device.ledPin in board/${board}.json): ${fix}`);
    }
  });

  test("ESP32: the input-only pins 34-39, for I2C, 1-Wire and the DHT22", () => {
    const io = "is input-only on the ESP32 (D34-D39 cannot drive a line)";
    one({ sensor: "sht3x", sda: "GPIO34" }, `${F}: sda: D34 ${io}, and I2C must pull SDA low: wire SDA to another GPIO, e.g. D21 (the default)`);
    one({ sensor: "sht3x", scl: 35 }, `${F}: scl: D35 ${io}, and I2C must pull SCL low: wire SCL to another GPIO, e.g. D22 (the default)`);
    one({ sensor: "ds18b20", pin: 36 }, `${F}: pin: D36 ${io}, and 1-Wire must pull the data line low to reset and write: ` +
      "wire the DS18B20's data line (DQ) to another GPIO, e.g. D4 (the default)");
    one({ sensor: "dht22", pin: "D39" }, `${F}: pin: D39 ${io}, and the DHT22 is started by pulling its data line low: ` +
      "wire the DHT22's data line to another GPIO, e.g. D4 (the default)");
    // Input-only is no problem elsewhere: the C3 and S3 have none.
    assert.equal(config({ board: "esp32s3", sensor: "dht22", pin: 38 }).pin, 38);
  });

  test("ESP32-C3: no GPIO above 21, the SPI flash pins 12-17, the USB pins 18 and 19", () => {
    one({ board: "esp32c3", sensor: "sht3x", sda: 22 }, `${F}: sda: D22 is not a GPIO of the ESP32-C3 (it has D0-D21): wire SDA to another GPIO, e.g. D4 (the default)`);
    for (const sda of [12, 14, 17]) {
      one({ board: "esp32c3", sensor: "sht3x", sda }, `${F}: sda: D${sda} is one of the ESP32-C3's SPI flash pins (D12-D17): wire SDA to another GPIO, e.g. D4 (the default)`);
    }
    const usb = "is one of the ESP32-C3's USB pins (D18 D-, D19 D+), which carry Espruino's console (USB Serial/JTAG) and flashing";
    one({ board: "esp32c3", sensor: "sht3x", scl: "D18" }, `${F}: scl: D18 ${usb}: wire SCL to another GPIO, e.g. D5 (the default)`);
    one({ board: "esp32c3", sensor: "dht22", pin: "GPIO19" }, `${F}: pin: D19 ${usb}: wire the DHT22's data line to another GPIO, e.g. D3 (the default)`);
    // The ESP32's console pins are free on a C3, whose console is USB.
    assert.equal(config({ board: "esp32c3", sensor: "dht22", pin: 1 }).pin, 1);
  });

  test("ESP32-S3: no GPIO 22-25 or above 48, the SPI flash pins 26-32, the USB pins 19 and 20", () => {
    const has = "(it has D0-D21, D26-D48)";
    for (const pin of [22, 25, 49]) {
      one({ board: "esp32s3", sensor: "ds18b20", pin }, `${F}: pin: D${pin} is not a GPIO of the ESP32-S3 ${has}: wire the DS18B20's data line (DQ) to another GPIO, e.g. D4 (the default)`);
    }
    for (const sda of [26, 30, 32]) {
      one({ board: "esp32s3", sensor: "bme280", sda }, `${F}: sda: D${sda} is one of the ESP32-S3's SPI flash pins (D26-D32): wire SDA to another GPIO, e.g. D8 (the default)`);
    }
    const usb = "is one of the ESP32-S3's USB pins (D19 D-, D20 D+), which carry Espruino's console (USB Serial/JTAG) and flashing";
    one({ board: "esp32s3", sensor: "sht3x", sda: 19 }, `${F}: sda: D19 ${usb}: wire SDA to another GPIO, e.g. D8 (the default)`);
    one({ board: "esp32s3", sensor: "dht22", pin: "D20" }, `${F}: pin: D20 ${usb}: wire the DHT22's data line to another GPIO, e.g. D4 (the default)`);
    assert.equal(config({ board: "esp32s3", sensor: "dht22", pin: 18 }).pin, 18);
  });

  test("SDA and SCL on one pin: the given key is blamed, and the fix never suggests that pin", () => {
    const two = "I2C needs two GPIOs, one for SDA and one for SCL";
    one({ sensor: "sht3x", sda: 22 }, `${F}: sda: D22 is scl's pin too (the default): ${two}: wire SDA to another GPIO, e.g. D21 (the default)`);
    one({ sensor: "sht3x", scl: "GPIO21" }, `${F}: scl: D21 is sda's pin too (the default): ${two}: wire SCL to another GPIO, e.g. D22 (the default)`);
    one({ sensor: "bme280", sda: 25, scl: "D25" }, `${F}: scl: D25 is sda's pin too: ${two}: wire SCL to another GPIO, e.g. D22 (the default)`);
    one({ sensor: "sht4x", sda: 22, scl: 22 }, `${F}: scl: D22 is sda's pin too: ${two}: wire SCL to another GPIO, e.g. D21`);
    one({ board: "esp32c3", sensor: "sht3x", sda: 5 }, `${F}: sda: D5 is scl's pin too (the default): ${two}: wire SDA to another GPIO, e.g. D4 (the default)`);
  });

  test("every problem is reported at once, and a pin the sensor does not use is not judged", () => {
    assert.deepEqual(problems({ sensor: "bme280", sda: 7, scl: 1, i2cAddress: 0x40 }), [
      `${F}: sda: D7 is one of the ESP32's SPI flash pins (D6-D11): wire SDA to another GPIO, e.g. D21 (the default)`,
      `${F}: scl: D1 is one of the ESP32's console UART pins (D1 TX, D3 RX), which carry Espruino's console, the log and flashing: wire SCL to another GPIO, e.g. D22 (the default)`,
      `${F}: i2cAddress: 0x40 is not an address the BME280 answers on: use 0x76 (SDO to GND, the default) or 0x77 (SDO to VDDIO)`,
    ]);
    const { config: c, warnings } = load({ sensor: "dht22", sda: 7 });
    assert.equal(c.sda, 21);
    assert.deepEqual(warnings, [`${W}: sda: is not used with "sensor": "dht22", which is wired to one data pin ("pin"), not to I2C: remove it`]);
  });

  test("the build stops with the line and exit code 1", async () => {
    const dir = mkdtempSync(join(scratch, "build-"));
    writeFileSync(join(dir, "device.config.json"), JSON.stringify({ ...good, board: "esp32c3", sensor: "sht3x", sda: "GPIO18" }));
    const r = await run(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "tools", "bundler", "cli.ts"), "--out", join(dir, "fw.js")],
      { cwd: dir, limitMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr.trim(), "E config: device.config.json: sda: D18 is one of the ESP32-C3's USB pins (D18 D-, D19 D+), which carry " +
      "Espruino's console (USB Serial/JTAG) and flashing: wire SDA to another GPIO, e.g. D4 (the default)");
  });
});

describe("sensor pins: warnings, per chip", () => {
  const warn = (extra: Record<string, unknown>) => load(extra).warnings;

  test("ESP32 strapping pins 0, 5, 12 and 15 (2 is the LED) say what could go wrong", () => {
    const strap = "is a strapping pin of the ESP32, read at power-up";
    assert.deepEqual(warn({ sensor: "sht3x", sda: 12 }), [`${W}: sda: D12 ${strap}: held high at power-up it selects 1.8 V flash, and the sensor line's ` +
      "pull-up holds it high, so a module with 3.3 V flash (most of them) does not start; if that happens, wire SDA to another GPIO, e.g. D21 (the default)"]);
    assert.deepEqual(warn({ sensor: "dht22", pin: 0 }), [`${W}: pin: D0 ${strap}: a sensor holding it low at power-up starts the chip in download mode, ` +
      "and the firmware does not run; if that happens, wire the DHT22's data line to another GPIO, e.g. D4 (the default)"]);
    assert.deepEqual(warn({ sensor: "sht3x", scl: 5 }), [`${W}: scl: D5 ${strap}: a sensor holding it low at power-up changes the SDIO timing the chip ` +
      "starts with (harmless for this firmware, but not the default); if that happens, wire SCL to another GPIO, e.g. D22 (the default)"]);
    assert.deepEqual(warn({ sensor: "ds18b20", pin: "GPIO15" }), [`${W}: pin: D15 ${strap}: a sensor holding it low at power-up silences the boot ` +
      "messages on the console; if that happens, wire the DS18B20's data line (DQ) to another GPIO, e.g. D4 (the default)"]);
  });

  test("ESP32-C3 strapping pins 8 and 9 (2 is the LED)", () => {
    const strap = "is a strapping pin of the ESP32-C3, read at power-up";
    assert.deepEqual(warn({ board: "esp32c3", sensor: "sht3x", sda: 8 }), [`${W}: sda: D8 ${strap}: it must be high at power-up for flashing, so a sensor ` +
      "holding it low makes esptool fail to enter download mode; if that happens, wire SDA to another GPIO, e.g. D4 (the default)"]);
    assert.deepEqual(warn({ board: "esp32c3", sensor: "dht22", pin: 9 }), [`${W}: pin: D9 ${strap}: a sensor holding it low at power-up starts the chip in ` +
      "download mode, and the firmware does not run (it is the BOOT button on most boards); if that happens, wire the DHT22's data line to another GPIO, e.g. D3 (the default)"]);
  });

  test("ESP32-S3 strapping pins 0, 3, 45 and 46", () => {
    const strap = "is a strapping pin of the ESP32-S3, read at power-up";
    const fix = "if that happens, wire SDA to another GPIO, e.g. D8 (the default)";
    assert.deepEqual(warn({ board: "esp32s3", sensor: "sht3x", sda: 45 }), [`${W}: sda: D45 ${strap}: held high at power-up it sets the flash voltage ` +
      `to 1.8 V, and the sensor line's pull-up holds it high, so a module with 3.3 V flash (most of them) does not start; ${fix}`]);
    assert.deepEqual(warn({ board: "esp32s3", sensor: "sht3x", sda: 46 }), [`${W}: sda: D46 ${strap}: it must be low at power-up for flashing, and the ` +
      `sensor line's pull-up holds it high, so esptool may fail to enter download mode; ${fix}`]);
    assert.deepEqual(warn({ board: "esp32s3", sensor: "sht3x", sda: 3 }), [`${W}: sda: D3 ${strap}: its level at power-up chooses the JTAG interface ` +
      `when the eFuses ask for it (harmless with the default eFuses); ${fix}`]);
    assert.match(warn({ board: "esp32s3", sensor: "sht3x", sda: 0 })[0]!, /^W config: device\.config\.json: sda: D0 is a strapping pin of the ESP32-S3, .*download mode/);
  });

  test("PSRAM pins: ESP32 16-17 on WROVER modules, ESP32-S3 33-37 on octal-PSRAM modules", () => {
    for (const pin of [16, 17]) {
      assert.deepEqual(warn({ sensor: "dht22", pin }), [`${W}: pin: D${pin} is wired to the PSRAM of ESP32 modules that have one (WROVER): a sensor there ` +
        "disturbs the PSRAM, where Espruino keeps its variables on such a board; on such a module, wire the DHT22's data line to another GPIO, e.g. D4 (the default)"]);
    }
    for (const scl of [33, 35, 37]) {
      assert.deepEqual(warn({ board: "esp32s3", sensor: "sht3x", scl }), [`${W}: scl: D${scl} is wired to the octal PSRAM or flash of ESP32-S3 modules ` +
        "that have one (e.g. ESP32-S3-WROOM-1-N8R8, ESP32-S3-WROOM-2): a sensor there disturbs the memory the chip runs from; on such a module, " +
        "wire SCL to another GPIO, e.g. D9 (the default)"]);
    }
    // No such warning on the C3, nor for the ESP32's 33-37.
    assert.deepEqual(warn({ board: "esp32c3", sensor: "dht22", pin: 10 }), []);
    assert.deepEqual(warn({ sensor: "sht3x", sda: 33, scl: 32 }), []);
  });

  test("a key the sensor does not use is a warning naming it, and keeps its default", () => {
    const w = (sensor: string, extra: Record<string, unknown>) => warn({ sensor, ...extra });
    assert.deepEqual(w("simulated", { sda: 21, i2cAddress: "0x44" }), [
      `${W}: sda: is not used with "sensor": "simulated", which needs no wiring: remove it, or set "sensor" to the part you wired`,
      `${W}: i2cAddress: is not used with "sensor": "simulated", which needs no wiring: remove it, or set "sensor" to the part you wired`,
    ]);
    assert.deepEqual(w("sht3x", { pin: 4, pressureKey: "p" }), [
      `${W}: pin: is not used with "sensor": "sht3x", an I2C sensor on "sda" and "scl": remove it`,
      `${W}: pressureKey: is not used with "sensor": "sht3x", which measures no pressure (only "bme280" does): remove it`,
    ]);
    assert.deepEqual(w("ds18b20", { scl: 22, humidityKey: "hum" }), [
      `${W}: scl: is not used with "sensor": "ds18b20", which is wired to one data pin ("pin"), not to I2C: remove it`,
      `${W}: humidityKey: is not used with "sensor": "ds18b20", which measures temperature only: remove it`,
    ]);
    assert.deepEqual(w("bme280", { pressureKey: "p", humidityKey: "h" }), []);
    // Ignored means ignored: the bundle gets the defaults, and an unusable pin there is no error.
    const c = load({ sensor: "ds18b20", sda: "D7", i2cAddress: "0x45" }).config;
    assert.deepEqual([c.sda, c.i2cAddress], [21, 0]);
  });
});

describe("sensor keys: what the firmware gets", () => {
  const fw = (extra: Record<string, unknown>) => {
    const c = config(extra);
    return toFirmwareConfig(c, "", loadBoard(c.board));
  };

  test("sda, scl, pin and i2cAddress as numbers, for every sensor", () => {
    const f = fw({ sensor: "bme280", sda: "GPIO25", scl: "D26", i2cAddress: "0x77" });
    assert.deepEqual([f.sensor, f.sda, f.scl, f.pin, f.i2cAddress], ["bme280", 25, 26, 4, 0x77]);
    const s = fw({ board: "esp32s3" });
    assert.deepEqual([s.sensor, s.sda, s.scl, s.pin, s.i2cAddress], ["simulated", 8, 9, 4, 0]);
  });

  test("keys: [temperature, humidity], with the pressure key third only for bme280", () => {
    const keys = { temperatureKey: "temprature", humidityKey: "hum", pressureKey: "pres" };
    assert.deepEqual(fw({ sensor: "bme280", ...keys }).keys, ["temprature", "hum", "pres"]);
    for (const sensor of ["simulated", "internal", "sht3x", "sht4x", "ds18b20", "dht22"]) {
      assert.deepEqual(fw({ sensor, temperatureKey: "temprature", humidityKey: "hum" }).keys, ["temprature", "hum"], sensor);
    }
  });

  test("the inputs digest covers the new settings, and the change is named by its key", () => {
    const inputs = (extra: Record<string, unknown>) => firmwareInputs({ config: config(extra), configFile: origin.file });
    const base = inputs({ sensor: "bme280" });
    for (const [extra, named] of [
      [{ sda: 25 }, "sda changed"], [{ scl: 26 }, "scl changed"], [{ i2cAddress: "0x77" }, "i2cAddress changed"],
      [{ pressureKey: "pres" }, "pressureKey changed"], [{ humidityKey: "hum" }, "humidityKey changed"],
    ] as const) {
      const now = inputs({ sensor: "bme280", ...extra });
      assert.notEqual(now.digest, base.digest, JSON.stringify(extra));
      assert.equal(describeChange(base, now), named);
    }
    const dht = inputs({ sensor: "dht22" });
    assert.equal(describeChange(dht, inputs({ sensor: "dht22", pin: 27 })), "pin changed");
    // A key the sensor ignores changes nothing in the bundle.
    assert.equal(inputs({ sensor: "dht22", sda: 25, pressureKey: "pres" }).digest, dht.digest);
    assert.equal(describeChange(dht, base), "i2cAddress, pressureKey and sensor changed");
  });
});

test("a pin problem is reported beside another key's, all at once; not when the sensor keys are malformed themselves", () => {
  assert.deepEqual(problems({ port: 0, sensor: "sht3x", sda: "D7" }), [
    `${F}: port: 0 is out of range: use 1-65535 (ThingsBoard MQTT over TLS listens on 8883)`,
    `${F}: sda: D7 is one of the ESP32's SPI flash pins (D6-D11): wire SDA to another GPIO, e.g. D21 (the default)`,
  ]);
  assert.deepEqual(problems({ port: 0, sensor: "sht3x", sda: "D7", scl: "nope" }), [
    `${F}: port: 0 is out of range: use 1-65535 (ThingsBoard MQTT over TLS listens on 8883)`,
    `${F}: scl: the string "nope" is not a pin: write the GPIO number as 22, "D22" or "GPIO22"`,
  ]);
});
