// Bosch BME280 at 0x76, or 0x77 with SDO high: temperature, humidity and pressure. Until it has
// answered once, each reading first checks the chip id and reads the factory calibration; each reading is
// one forced-mode measurement at 1x oversampling (9.3 ms at most, datasheet §9.1), compensated with the
// datasheet's floating-point formulas (§8.1). Pressure is given in hPa.
import { i2cDevice, transfer, write } from "./i2c";
import { BAD_READING, NO_ANSWER } from "./sensor";
import type { ReadingDone, Sensor } from "./sensor";

const CHIP_ID = 0xd0;
const BME280_ID = 0x60;
/** dig_T1 … dig_H1 (0x88-0xA1), then dig_H2 … dig_H6 (0xE1-0xE7). */
const CALIB_A = 0x88;
const CALIB_B = 0xe1;
const CTRL_HUM = 0xf2;
const CTRL_MEAS = 0xf4;
/** press, temp (20 bits each) and hum (16 bits), 0xF7-0xFE. */
const DATA = 0xf7;
/** ctrl_meas: temperature and pressure at 1x oversampling, forced mode (one measurement, then sleep). */
const FORCED_1X = 0x25;
/** What the temperature reads when no measurement was made (datasheet table 18). */
const SKIPPED = 0x80000;

export function bme280(sda: number, scl: number, address: number): Sensor {
  const d = i2cDevice(sda, scl, address);
  /** The 33 calibration bytes, once read. */
  let cal: Uint8Array | undefined;
  const u16 = (i: number) => cal![i] | (cal![i + 1] << 8);
  const s16 = (i: number) => (u16(i) << 16) >> 16;

  function measure(done: ReadingDone): void {
    // ctrl_hum takes effect at the next write of ctrl_meas (datasheet §5.4.3).
    if (!write(d, [CTRL_HUM, 1], done) || !write(d, [CTRL_MEAS, FORCED_1X], done)) return;
    transfer(d, [DATA], 12, 8, done, (b) => {
      const adcT = (b[3] << 12) | (b[4] << 4) | (b[5] >> 4);
      const adcP = (b[0] << 12) | (b[1] << 4) | (b[2] >> 4);
      const adcH = (b[6] << 8) | b[7];
      if (adcT == SKIPPED) return done(undefined, BAD_READING, "no measurement in the data registers");
      done(compensate(adcT, adcP, adcH));
    });
  }

  /** Datasheet §8.1, in its own order and names. [°C, %RH, hPa]. */
  function compensate(adcT: number, adcP: number, adcH: number): number[] {
    // Temperature: dig_T1 u16 at 0x88, T2 and T3 s16.
    let v1 = (adcT / 16384 - u16(0) / 1024) * s16(2);
    let v2 = adcT / 131072 - u16(0) / 8192;
    const fine = v1 + v2 * v2 * s16(4);
    // Pressure: dig_P1 u16 at 0x8E, P2-P9 s16.
    let p = 0;
    v1 = fine / 2 - 64000;
    v2 = ((v1 * v1 * s16(16)) / 32768 + v1 * s16(14) * 2) / 4 + s16(12) * 65536;
    v1 = (1 + ((s16(10) * v1 * v1) / 524288 + s16(8) * v1) / 524288 / 32768) * u16(6);
    if (v1) {
      p = ((1048576 - adcP - v2 / 4096) * 6250) / v1;
      p += ((s16(22) * p * p) / 2147483648 + (p * s16(20)) / 32768 + s16(18)) / 16;
    }
    // Humidity: dig_H1 u8 at 0xA1 (index 25), H2 s16 (26), H3 u8 (28), H4 and H5 12-bit signed, H6 s8.
    const h4 = (((cal![29] << 24) >> 20) | (cal![30] & 15));
    const h5 = (((cal![31] << 24) >> 20) | (cal![30] >> 4));
    let h = fine - 76800;
    h = (adcH - (h4 * 64 + (h5 / 16384) * h)) *
      ((s16(26) / 65536) * (1 + ((cal![32] << 24 >> 24) / 67108864) * h * (1 + (cal![28] / 67108864) * h)));
    h *= 1 - (cal![25] * h) / 524288;
    return [Math.round(fine / 51.2) / 100, Math.round(Math.max(0, Math.min(100, h)) * 100) / 100, Math.round(p) / 100];
  }

  return {
    name: "BME280",
    read: (done) => {
      if (cal) return measure(done);
      transfer(d, [CHIP_ID], 0, 1, done, (id) => {
        if (id[0] != BME280_ID) {
          return done(undefined, NO_ANSWER, "chip id 0x" + id[0].toString(16) + " at " + d.where + " is not a BME280's (0x60; 0x58 is a BMP280, without humidity)");
        }
        transfer(d, [CALIB_A], 0, 26, done, (a) => {
          transfer(d, [CALIB_B], 0, 7, done, (b) => {
            cal = new Uint8Array(33);
            cal.set(a);
            cal.set(b, 26);
            measure(done);
          });
        });
      });
    },
  };
}
