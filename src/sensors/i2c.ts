// An I2C sensor's bus: Espruino's software I2C, the same code on every chip and any pins. It does not
// check the device's ACK (src/jsi2c.c), so a device that is not there, sits at another address or is
// still measuring reads as 0xFF bytes; only a line held low throws. The drivers tell those apart.
import { NO_ANSWER } from "./sensor";
import type { ReadingDone } from "./sensor";

export interface I2CDevice {
  bus: I2C;
  address: number;
  /** For log lines: "0x44 (SDA D21, SCL D22)". */
  where: string;
}

export function i2cDevice(sda: number, scl: number, address: number): I2CDevice {
  const bus = new I2C();
  bus.setup({ sda: sda, scl: scl });
  return { bus: bus, address: address, where: "0x" + address.toString(16) + " (SDA D" + sda + ", SCL D" + scl + ")" };
}

/** Writes `bytes`, waits `ms`, reads `n` bytes into `then`. A bus error, or bytes that are all 0xFF
 *  (nobody drove the line), go to `done` as NO_ANSWER with what to check. */
export function transfer(d: I2CDevice, bytes: number[], ms: number, n: number, done: ReadingDone, then: (b: Uint8Array) => void): void {
  if (!write(d, bytes, done)) return;
  setTimeout(() => {
    let b: Uint8Array;
    try {
      b = d.bus.readFrom(d.address, n);
    } catch (e) {
      return stuck(d, e, done);
    }
    for (let i = 0; i < n; i++) if (b[i] != 255) return then(b);
    done(undefined, NO_ANSWER, "no answer at " + d.where + ": check the wiring, the address (i2cAddress) and the pull-ups to 3.3 V");
  }, ms);
}

/** Writes `bytes`; false when the bus failed (told to `done`). */
export function write(d: I2CDevice, bytes: number[], done: ReadingDone): boolean {
  try {
    d.bus.writeTo(d.address, bytes);
    return true;
  } catch (e) {
    stuck(d, e, done);
    return false;
  }
}

function stuck(d: I2CDevice, e: unknown, done: ReadingDone): void {
  done(undefined, NO_ANSWER, (e as Error).message + " at " + d.where + ": a line is held low; check for a short or a hung device (power it off and on)");
}
