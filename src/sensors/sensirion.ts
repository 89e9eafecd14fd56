// What Sensirion's SHT3x and SHT4x share: a measure command, a wait, then six bytes, temperature and
// humidity as 16-bit words each followed by its CRC-8 (polynomial 0x31, initial 0xFF, datasheets
// §4.12 and §4.4). The parts differ in the command, the wait and the humidity formula.
import { transfer } from "./i2c";
import type { I2CDevice } from "./i2c";
import { BAD_READING } from "./sensor";
import type { Sensor } from "./sensor";

/** Sensirion's CRC-8 of the word at b[i], b[i + 1]. */
export function sensirionCrc(b: Uint8Array, i: number): number {
  let c = 0xff;
  for (let k = i; k < i + 2; k++) {
    c ^= b[k];
    for (let bit = 0; bit < 8; bit++) c = c & 0x80 ? ((c << 1) ^ 0x31) & 0xff : (c << 1) & 0xff;
  }
  return c;
}

/** `humidity` turns the humidity word into %RH; temperature is -45 + 175 × word / 65535 °C on both. */
export function sensirionSensor(name: string, d: I2CDevice, command: number[], waitMs: number, humidity: (word: number) => number): Sensor {
  return {
    name: name,
    read: (done) =>
      transfer(d, command, waitMs, 6, done, (b) => {
        if (sensirionCrc(b, 0) != b[2] || sensirionCrc(b, 3) != b[5]) return done(undefined, BAD_READING, "CRC mismatch");
        done([Math.round(-4500 + (17500 * ((b[0] << 8) | b[1])) / 65535) / 100, Math.round(100 * humidity((b[3] << 8) | b[4])) / 100]);
      }),
  };
}
