// What telemetry reads from. A driver is one file in this folder exporting a function that returns a
// Sensor (or undefined when the board cannot have it); main.ts picks one by the config's "sensor".
// A read may take time (an I2C sensor is told to measure, then read some ms later): it calls `done`
// once, later or at once, with the values or with what went wrong. Telemetry logs a failure once
// (until a reading succeeds again) and counts every one.

/**
 * `error` set: the reading failed, in words for the log ("no answer at 0x44: check the wiring").
 * Otherwise `values` has one number per telemetry key in the config's order ([temperature,
 * humidity]); NaN leaves that key out of the message.
 */
export type ReadingDone = (error: string | undefined, values?: number[]) => void;

export interface Sensor {
  read(done: ReadingDone): void;
}
