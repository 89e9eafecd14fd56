import type { Sensor } from "./sensor";

/** The chip's own temperature sensor. E.getTemperature() on the ESP32 is the raw reading in °F;
 *  128 means the chip has no sensor, and the C3/S3 give NaN. Undefined when the board has no
 *  usable value. No humidity: that key is left out. */
export function internalSensor(): Sensor | undefined {
  const raw = E.getTemperature();
  if (!(raw > -100 && raw < 300) || raw == 128) return undefined;
  return {
    name: "internal",
    read: (done) => done([Math.round((E.getTemperature() - 32) / 0.18) / 10, NaN]),
  };
}
