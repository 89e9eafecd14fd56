// Telemetry: read the sensor at start and then every interval into the bounded queue, and send the
// queue oldest first while connected, one QoS 1 batch at a time: the next batch goes only after the
// PUBACK of the one before, so a backlog arrives in order. An unacknowledged batch stays in the MQTT
// client and is sent again after a reconnect. Once the clock is known each reading is sent as
// {ts, values} (several as an array); before that, and only after a grace period for SNTP, as plain
// values the server stamps. A sensor that does not answer is logged once (an error at start, where
// wiring is the likely cause; "lost" later) and when it is back; a bad reading (CRC) is dropped and
// logged; both are counted, and the counts go to a client attribute when they change.
// One telemetry per program: its state is this module's, and its functions sit at the bundle's top
// level, where a function costs the board fewer JsVars than inside another (see rollup.config.js).
// startTelemetry (re)starts it.

import { MAX_INTERVAL_MS, MIN_INTERVAL_MS } from "../constants";
import { ERROR, INFO, log, toJson, uptimeMs, WARN } from "../log";
import type { Client } from "../mqtt/index";
import { BAD_READING } from "../sensors/sensor";
import type { Sensor } from "../sensors/sensor";
import { createQueue } from "../telemetry/queue";
import type { ReadingQueue } from "../telemetry/queue";
import { schedule } from "../timer";
import type { Timer } from "../timer";
import { clockKnown } from "./clock";
import { ATTRIBUTES, INTERVAL_KEY, TELEMETRY } from "./topics";

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
  /** Readings the sensor did not answer. */
  sensorErrors: number;
  /** Readings dropped because they failed their CRC or checksum. */
  sensorBadReadings: number;
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
let badReadings: number;
/** sensorErrors when the sensor stopped answering (its loss was logged); -1 while it answers. */
let lostAt: number;
/** Uptime of the last CONNACK (0 before the first): readings wait SNTP_GRACE_MS from it for the clock. */
let connectedAt: number;
/** The latest reading; empty until the sensor first answers. */
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
  log(INFO, "tb_mqtt_wapper: [Telemetry][Tx] " + payload);
  flightId = client.publish(TELEMETRY, payload, 1);
  q.drop((flightN = n));
}

function onReading(v: number[] | undefined, fault?: number, why?: string): void {
  const name = sensor.name;
  /** 1 when the counts' client attribute is to be published: the sensor's state changed. */
  let report = 1;
  if (fault == BAD_READING) {
    badReadings++;
    log(WARN, "sensor: " + name + ": reading dropped, " + why + " (" + badReadings + " so far)");
  } else if (fault) {
    sensorErrors++;
    if (lostAt < 0) {
      lostAt = sensorErrors - 1;
      // One that never answered since the start is most likely wired or set wrong: an error, with the fix.
      if (last.length) log(WARN, "sensor: " + name + " lost: " + why + "; retrying");
      else log(ERROR, "sensor: " + name + ": " + why + "; retrying every " + every / 1000 + " s");
    } else report = 0;
  } else {
    if (lostAt >= 0) {
      lostAt = sensorErrors - lostAt;
      log(INFO, "sensor: " + name + (last.length ? " back after " : " answers, after ") + lostAt + " failed reading" + (lostAt > 1 ? "s" : ""));
      lostAt = -1;
    } else report = 0;
    last = v!;
    if (!q.add(uptimeMs(), last)) log(WARN, `tb_mqtt_wapper: Queue full: dropped the oldest (${q.lost} so far)`);
    pump();
  }
  // QoS 0; connecting publishes the counts too (main.ts), so nothing is lost while down.
  if (report && client.connected()) client.publish(ATTRIBUTES, toJson({ sensorErrors: sensorErrors, sensorBadReadings: badReadings }));
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
    log(INFO, "tb_mqtt_wapper: published msg_id=" + id);
    acked += flightN;
    flightId = flightN = 0;
    pump();
  },
  setIntervalMs: (ms, from) => {
    if (typeof ms != "number" || ms % 1 || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
      const why = INTERVAL_KEY + " " + toJson(ms) + " from " + from + " rejected: use " + MIN_INTERVAL_MS + "-" + MAX_INTERVAL_MS;
      log(WARN, "tb_mqtt_wapper: " + why);
      return { error: why };
    }
    every = ms;
    schedule(timer, sample, every);
    log(INFO, "tb_mqtt_wapper: " + INTERVAL_KEY + " = " + ms + " (from " + from + ")");
    return { telemetryIntervalMs: ms };
  },
  current: () => values(-1),
  status: () => ({
    queueDepth: q.count + flightN, dropped: q.lost, sent: acked, intervalMs: every, sensorErrors: sensorErrors, sensorBadReadings: badReadings,
  }),
};

/** Starts reading `sensor` (at once, then every settings.intervalMs) and sending through `client`;
 *  a second call starts over with the new arguments. */
export function startTelemetry(c: Client, s: Sensor, settings: TelemetrySettings): Telemetry {
  client = c;
  sensor = s;
  keys = settings.keys;
  q = /*#__NOINLINE__*/ createQueue(settings.queueCapacity, keys.length);
  every = settings.intervalMs;
  flightId = flightN = acked = sensorErrors = badReadings = connectedAt = 0;
  lostAt = -1;
  last = [];
  schedule(clockWait);
  // The first reading now, so that it goes out as soon as the session is up.
  sample();
  return telemetry;
}
