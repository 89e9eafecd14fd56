// Where readings come from. A Sensor returns one number per telemetry key, in CONFIG.keys order
// ([temperature, humidity]); NaN leaves that key out. To add a real sensor, write an object with
// read() (e.g. around a DHT22 driver) and pass it to startTelemetry in main.ts.

export interface Sensor {
  read(): number[];
}

/** The C example's values: temperature from 25 in steps of 0.5, humidity from 26 in steps of 1,
 *  starting over at 35 °C and 80 % so a long run stays realistic. */
export function simulatedSensor(): Sensor {
  let n = 0;
  return {
    read: () => [25 + (n % 21) / 2, 26 + (n++ % 55)],
  };
}

/** E.getTemperature() on the ESP32 is the raw reading in °F; 128 means the chip has no sensor,
 *  and the C3/S3 give NaN. Undefined when the board has no usable value. */
export function internalSensor(): Sensor | undefined {
  const raw = E.getTemperature();
  if (!(raw > -100 && raw < 300) || raw == 128) return undefined;
  return {
    read: function () {
      return [Math.round((E.getTemperature() - 32) / 0.18) / 10, NaN];
    },
  };
}
