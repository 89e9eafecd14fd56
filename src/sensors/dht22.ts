// Aosong DHT22 / AM2302 on one pin with a pull-up. The board pulls the line low for 2 ms and lets go;
// the sensor answers with 80 µs low, 80 µs high, then 40 bits, each 50 µs low and then 26 µs high
// for a 0 or 70 µs high for a 1, then 50 µs low (AM2302 datasheet §7). Espruino's setWatch gives each
// falling edge its time and that of the pin's last change (the rise before it: docs/espruino.md §3.6),
// so each falling edge measures the high before it. The last 40 are the bits: humidity ×10,
// temperature ×10 (top bit: below zero) and a checksum, the low byte of the sum of the four before it.
import { BAD_READING, NO_ANSWER } from "./sensor";
import type { Sensor } from "./sensor";

/** Seconds of high before a falling edge above which the bit is a 1 (26 µs for a 0, 70 µs for a 1). */
const ONE = 0.00005;
/** Falling edges in a whole answer: the answer's first (its 80 µs low), one per bit, one at the end. */
const EDGES = 42;
/** The datasheet's shortest time between two measurements, in seconds. */
const MIN_PERIOD = 2;

export function dht22(pin: number): Sensor {
  /** The latest good reading and when it was taken: asked again sooner than MIN_PERIOD, it is given
   *  again (the sensor would not measure anew). */
  let last: number[] | undefined;
  let lastAt = -MIN_PERIOD;
  return {
    name: "DHT22",
    read: (done) => {
      const now = getTime();
      if (last && now - lastAt < MIN_PERIOD) return done(last);
      // The last 40 bits seen, as a shift register of 5 bytes, and the falling edges counted.
      const b = new Uint8Array(5);
      let edges = 0;
      let timer = 0;
      const finish = () => {
        clearWatch(watch);
        if (edges < EDGES) {
          return done(undefined, NO_ANSWER, (edges ? "a broken answer (" + edges + " edges)" : "no answer") +
            " on D" + pin + ": check the wiring, 3.3 V and the 10 kOhm pull-up from data to 3.3 V");
        }
        if (((b[0] + b[1] + b[2] + b[3]) & 255) != b[4]) return done(undefined, BAD_READING, "checksum mismatch");
        const t = ((((b[2] & 127) << 8) | b[3]) / 10) * (b[2] & 128 ? -1 : 1);
        const rh = ((b[0] << 8) | b[1]) / 10;
        // The part's range (datasheet §5): outside it, the bits were misread though they add up.
        if (rh > 100 || t < -40 || t > 80) return done(undefined, BAD_READING, "out of range (" + t + " C, " + rh + " %)");
        last = [t, rh];
        lastAt = now;
        done(last);
      };
      pinMode(pin, "output");
      digitalWrite(pin, 0);
      const watch = setWatch((e) => {
        const bit = e.time - e.lastTime > ONE ? 1 : 0;
        for (let i = 0; i < 4; i++) b[i] = (b[i] << 1) | (b[i + 1] >> 7);
        b[4] = (b[4] << 1) | bit;
        // A whole answer: decode once any edge still queued has come in.
        if (++edges == EDGES) {
          clearTimeout(timer);
          timer = setTimeout(finish, 5);
        }
      }, pin, { edge: "falling", repeat: true });
      setTimeout(() => pinMode(pin, "input_pullup"), 2);
      // The answer takes about 5 ms, but the board runs the watch's callbacks when it gets to them: a
      // busy board (or the virtual one under load) may take longer. Fewer edges by then: no answer.
      timer = setTimeout(finish, 250);
    },
  };
}
