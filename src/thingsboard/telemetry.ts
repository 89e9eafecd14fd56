// Telemetry: read the sensor at start and then every interval into the bounded queue, and send the
// queue oldest first while connected, one QoS 1 batch at a time: the next batch goes only after the
// PUBACK of the one before, so a backlog arrives in order. An unacknowledged batch stays in the MQTT
// client and is sent again after a reconnect. Once the clock is known each reading is sent as
// {ts, values} (several as an array); before that, and only after a grace period for SNTP, as plain
// values the server stamps. A failed reading is logged once (until one succeeds) and counted.
// One telemetry per program: its state is this module's, and its functions sit at the bundle's top
// level, where a function costs the board fewer JsVars than inside another (see rollup.config.js).
// startTelemetry (re)starts it.

import { MAX_INTERVAL_MS, MIN_INTERVAL_MS } from "../constants";
import { INFO, log, toJson, uptimeMs, WARN } from "../log";
import type { Client } from "../mqtt/index";
import type { Sensor } from "../sensors/sensor";
import { createQueue } from "../telemetry/queue";
import type { ReadingQueue } from "../telemetry/queue";
import { schedule } from "../timer";
import type { Timer } from "../timer";
import { clockKnown } from "./clock";
import { INTERVAL_KEY, TELEMETRY, TELEMETRY_TAG as TAG } from "./topics";

/** Readings per message: ~70 bytes each, well inside one TLS record and the board's RAM. */
const BATCH = 10;
/** How long readings wait for SNTP after connecting before they go without a time, looking at the
 *  clock every CLOCK_WAIT_MS. */
const SNTP_GRACE_MS = 20000;
const CLOCK_WAIT_MS = 250;

export interface TelemetrySettings {
  /** The first interval between readings, in ms (MIN_INTERVAL_MS to MAX_INTERVAL_MS). */
  intervalMs: number;
  /** The telemetry key of each value a reading has, in the sensor's order. */
  keys: string[];
  /** Readings kept while the link is down. */
  queueCapacity: number;
}

/** @json Part of the getStatus RPC answer. */
export interface TelemetryStatus {
  /** Readings waiting plus in flight. */
  queueDepth: number;
  dropped: number;
  /** Readings the server acknowledged. */
  sent: number;
  intervalMs: number;
  /** Readings the sensor failed to give. */
  sensorErrors: number;
}

/** @json The answer to setTelemetryInterval. */
export interface IntervalAnswer {
  telemetryIntervalMs?: number;
  error?: string;
}

export interface Telemetry {
  /** Sends what may be sent now (call after CONNACK). */
  connected(): void;
  /** Feed of the MQTT client's PUBACKs. */
  published(id: number): void;
  /** Sets the interval from `from` (for the log line); an invalid value is refused, logged and answered with {error}. */
  setIntervalMs(ms: unknown, from: string): IntervalAnswer;
  /** The latest reading as {key: value}. */
  current(): { [key: string]: number };
  status(): TelemetryStatus;
}

// The running telemetry's state, set by startTelemetry.
let client: Client;
let sensor: Sensor;
let keys: string[];
let q: ReadingQueue;
/** The next reading. */
const timer: Timer = { clock: uptimeMs };
/** Another look at the clock, while readings wait for SNTP. */
const clockWait: Timer = { clock: uptimeMs };
let every: number;
/** The packet id of the batch awaiting its PUBACK; 0 when none. */
let flightId: number;
let flightN: number;
let acked: number;
let sensorErrors: number;
/** 1 while the sensor fails (its failure was logged). */
let failing: number;
/** Uptime of the last CONNACK (0 before the first): readings wait SNTP_GRACE_MS from it for the clock. */
let connectedAt: number;
let last: number[];

/** {key: value} of the `i`th queued reading, or of the latest one for i < 0; NaN keys left out
 *  (an undefined one, before the first reading, JSON leaves out by itself). */
function values(i: number): { [key: string]: number } {
  const v: { [key: string]: number } = {};
  keys.forEach((key, k) => {
    const x = i < 0 ? last[k] : q.valueAt(i, k + 1);
    if (x == x) v[key] = x;
  });
  return v;
}

function pump(): void {
  // All declared before the first test: one declaration statement in the bundle.
  let n = Math.min(q.count, BATCH);
  const now = uptimeMs();
  // Epoch ms at uptime 0: a reading's ts is this plus its uptime (meaningful once timed).
  const boot = getTime() * 1000 - now;
  const timed = clockKnown();
  const list: unknown[] = [];
  let payload: string;
  if (flightId || !n || !client.connected()) return;
  if (!timed) {
    if (now - connectedAt < SNTP_GRACE_MS) {
      // SNTP answers a second or so after Wi-Fi joins: look again soon, not at the next reading.
      schedule(clockWait, pump, CLOCK_WAIT_MS);
      return;
    }
    // Untimed readings go one at a time: the server stamps each on arrival.
    n = 1;
  }
  for (let i = 0; i < n; i++) list[i] = timed ? { ts: Math.round(boot + q.valueAt(i, 0)), values: values(i) } : values(i);
  payload = toJson(n > 1 ? list : list[0]);
  log(INFO, TAG, "[Telemetry][Tx] " + payload);
  flightId = client.publish(TELEMETRY, payload, 1);
  q.drop((flightN = n));
}

function onReading(error: string | undefined, v?: number[]): void {
  if (error) {
    sensorErrors++;
    if (!failing) log(WARN, TAG, "sensor: " + error + "; retrying");
    failing = 1;
    return;
  }
  if (failing) log(INFO, TAG, "sensor back after " + sensorErrors + " failed readings");
  failing = 0;
  last = v!;
  if (!q.add(uptimeMs(), last)) log(WARN, TAG, `Queue full: dropped the oldest (${q.lost} so far)`);
  pump();
}

function sample(): void {
  schedule(timer, sample, every);
  sensor.read(onReading);
}

/** The running telemetry's interface (also what startTelemetry returns): usable before the start,
 *  so that the link it needs can be given its functions. */
export const telemetry: Telemetry = {
  connected: () => {
    connectedAt = uptimeMs();
    pump();
  },
  published: (id) => {
    if (id != flightId) return;
    log(INFO, TAG, "published msg_id=" + id);
    acked += flightN;
    flightId = flightN = 0;
    pump();
  },
  setIntervalMs: (ms, from) => {
    if (typeof ms != "number" || ms % 1 || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
      const why = INTERVAL_KEY + " " + toJson(ms) + " from " + from + " rejected: use " + MIN_INTERVAL_MS + "-" + MAX_INTERVAL_MS;
      log(WARN, TAG, why);
      return { error: why };
    }
    every = ms;
    schedule(timer, sample, every);
    log(INFO, TAG, INTERVAL_KEY + " = " + ms + " (from " + from + ")");
    return { telemetryIntervalMs: ms };
  },
  current: () => values(-1),
  status: () => ({ queueDepth: q.count + flightN, dropped: q.lost, sent: acked, intervalMs: every, sensorErrors: sensorErrors }),
};

/** Starts reading `sensor` (at once, then every settings.intervalMs) and sending through `client`;
 *  a second call starts over with the new arguments. */
export function startTelemetry(c: Client, s: Sensor, settings: TelemetrySettings): Telemetry {
  client = c;
  sensor = s;
  keys = settings.keys;
  q = /*#__NOINLINE__*/ createQueue(settings.queueCapacity, keys.length);
  every = settings.intervalMs;
  flightId = flightN = acked = sensorErrors = failing = connectedAt = 0;
  last = [];
  schedule(clockWait);
  // The first reading now, so that it goes out as soon as the session is up.
  sample();
  return telemetry;
}
