// Maxim DS18B20 on 1-Wire, alone on its pin (ROM command "skip"): a conversion at the resolution in its
// EEPROM (12 bits from the factory: 750 ms at most, datasheet table "Conversion Time"), then the 9-byte
// scratchpad, checked by its CRC-8 (x^8 + x^5 + x^4 + 1). Temperature only: humidity is left out.
import { BAD_READING, NO_ANSWER } from "./sensor";
import type { ReadingDone, Sensor } from "./sensor";

const CONVERT_T = 0x44;
const READ_SCRATCHPAD = 0xbe;
const CONVERSION_MS = 750;
/** The temperature register's value at power-up, before any conversion: +85 °C. */
const POWER_ON = 0x0550;

/** Maxim's 1-Wire CRC-8 of b[0 … n-1] (LSB first, polynomial 0x8C reflected). */
export function oneWireCrc(b: number[], n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) {
    for (let x = b[i], bit = 0; bit < 8; bit++, x >>= 1) c = (c ^ x) & 1 ? (c >> 1) ^ 0x8c : c >> 1;
  }
  return c;
}

export function ds18b20(pin: number): Sensor {
  const ow = new OneWire(pin);
  const absent = "no presence pulse on D" + pin + ": check the wiring, 3.3 V and the 4.7 kOhm pull-up from data to 3.3 V";

  /** Starts talking to the one device, or tells `done` that nobody answered. */
  function start(done: ReadingDone): boolean {
    if (ow.reset()) {
      ow.skip();
      return true;
    }
    done(undefined, NO_ANSWER, absent);
    return false;
  }

  return {
    name: "DS18B20",
    read: (done) => {
      if (!start(done)) return;
      // `true`: drive the line high meanwhile, which a parasite-powered DS18B20 converts from.
      ow.write(CONVERT_T, true);
      setTimeout(() => {
        if (!start(done)) return;
        ow.write(READ_SCRATCHPAD);
        const b = ow.read(9);
        let t = b[0] | (b[1] << 8);
        // All ones: nobody drove the line, the device went between the reset and the read.
        if (b.every((x) => x == 255)) return done(undefined, NO_ANSWER, absent);
        // Over the data and its CRC, the CRC is 0 when they match.
        if (oneWireCrc(b, 9)) return done(undefined, BAD_READING, "CRC mismatch");
        if (t == POWER_ON) return done(undefined, BAD_READING, "85 C, the power-on value: the conversion did not run (power, or a parasite-powered part without a strong pull-up)");
        // Below 12 bits the low bits are undefined (datasheet, "Operation: Measuring Temperature").
        t &= ~((1 << (3 - ((b[4] >> 5) & 3))) - 1);
        done([((t << 16) >> 16) / 16, NaN]);
      }, CONVERSION_MS);
    },
  };
}
