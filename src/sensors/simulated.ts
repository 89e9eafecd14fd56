import type { Sensor } from "./sensor";

/** The C example's values: temperature from 25 in steps of 0.5, humidity from 26 in steps of 1,
 *  starting over at 35 °C and 80 % so a long run stays realistic. */
export function simulatedSensor(): Sensor {
  let n = 0;
  return {
    name: "simulated",
    read: (done) => done([25 + (n % 21) / 2, 26 + (n++ % 55)]),
  };
}
