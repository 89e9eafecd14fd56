// What `npm run bench` passes to its suites beside the print function, and the bounds the command
// line checks before any suite is loaded.

export interface BenchOptions {
  /** ram: run until the endpoint has acknowledged this many telemetry publishes from the firmware,
   *  and compare usage after the first and after the last. */
  publishes?: number;
  /** ram: measure the bundle built with "ota": true beside the one without, then an update on its board. */
  ota?: boolean;
}

/** Bounds of --publishes: two to compare, at most about a day at one a second. */
export const PUBLISHES_MIN = 2;
export const PUBLISHES_MAX = 100_000;
