// What telemetry reads from. A driver is one file in this folder exporting a function that returns a
// Sensor (or undefined when the board cannot have it); main.ts picks one by the config's "sensor", so
// a driver that is not picked is not in the bundle.
// A read may take time (an I2C sensor is told to measure, then read some ms later): it calls `done`
// once, later or at once, with the values or with what went wrong. Telemetry logs a failure once
// (until a reading succeeds again), counts every one, and reports the counts.

/** The sensor did not answer (wiring, address, pull-ups, power): nothing was read. */
export const NO_ANSWER = 1;
/** It answered, but the reading failed its CRC or checksum, or is out of the part's range: dropped. */
export const BAD_READING = 2;

/**
 * `values`: one number per telemetry key in the config's order ([temperature, humidity, pressure]);
 * NaN leaves that key out of the message. Otherwise `fault` (NO_ANSWER or BAD_READING) and `why`, in
 * words for the log: what was seen and what to check ("no answer at 0x44 (SDA D21, SCL D22): check …").
 */
export type ReadingDone = (values: number[] | undefined, fault?: number, why?: string) => void;

export interface Sensor {
  /** The part, for log lines and the `sensor` client attribute: "SHT3x". */
  name: string;
  read(done: ReadingDone): void;
}
