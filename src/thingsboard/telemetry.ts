// Telemetry: read the sensor every interval into the bounded queue, and send the queue oldest first
// while connected, one QoS 1 batch at a time: the next batch goes only after the PUBACK of the one
// before, so a backlog arrives in order. An unacknowledged batch stays in the MQTT client and is sent
// again after a reconnect. Once the clock is known each reading is sent as {ts, values} (several as
// an array); before that, and only after a grace period for SNTP, as plain values the server stamps.

import CONFIG from "device-config";
import { logI, logW, toJson, uptimeMs } from "../log";
import type { Client } from "../mqtt/index";
import type { Sensor } from "../sensors/index";
import { createQueue } from "../telemetry/queue";
import { clockKnown } from "./clock";
import { TAG as LINK_TAG } from "./link";
import { slot } from "../timer";
import { INTERVAL_KEY, TELEMETRY } from "./topics";

// The C example's tag (sic), spelt on link.ts's: one "tb_mqtt" in the bundle.
const TAG = LINK_TAG + "_wapper";
const keys = CONFIG.keys;
/** Readings per message: ~70 bytes each, well inside one TLS record and the board's RAM. */
const BATCH = 10;
/** How long readings wait for SNTP after connecting before they go without a time. */
const SNTP_GRACE_MS = 20000;
export const MIN_INTERVAL_MS = 1000;
export const MAX_INTERVAL_MS = 86400000;

export interface TelemetryStatus {
  /** Readings waiting plus in flight. */
  queueDepth: number;
  dropped: number;
  /** Readings the server acknowledged. */
  sent: number;
  intervalMs: number;
}

export interface Telemetry {
  /** Sends what may be sent now (call after CONNACK). */
  _connected(): void;
  /** Feed of the MQTT client's PUBACKs. */
  _published(id: number): void;
  /** Sets the interval; returns the outcome as an RPC answer: {telemetryIntervalMs} or {error} (also logged). */
  _setInterval(ms: unknown, from: string): { telemetryIntervalMs?: number; error?: string };
  /** The latest reading as {key: value}. */
  _current(): { [key: string]: number };
  _status(): TelemetryStatus;
}
/** Keys, queue capacity and first interval come from CONFIG. */
export function startTelemetry(client: Client, sensor: Sensor): Telemetry {
  const q = createQueue(CONFIG.queueCapacity, keys.length);
  const timer = slot(uptimeMs);
  let every = CONFIG.telemetryIntervalMs;
  /** The packet id of the batch awaiting its PUBACK; 0 or unset when none. */
  let flightId: number;
  let flightN = 0;
  let acked = 0;
  /** Uptime of the last CONNACK (set before pump() can get past its connected() test). */
  let connectedAt: number;
  let last: number[] = [];

  /** {key: value} of the `i`th queued reading, or of the latest one for i < 0; NaN keys left out
   *  (an undefined one, before the first reading, JSON leaves out by itself). */
  function values(i: number): { [key: string]: number } {
    const v: { [key: string]: number } = {};
    keys.forEach((key, k) => {
      const x = i < 0 ? last[k] : q._get(i, k + 1);
      if (x == x) v[key] = x;
    });
    return v;
  }

  function pump(): void {
    // All declared before the first test: one declaration statement in the bundle.
    let n = Math.min(q._size(), BATCH);
    const now = uptimeMs();
    // Epoch ms at uptime 0: a reading's ts is this plus its uptime (meaningful once timed).
    const boot = getTime() * 1000 - now;
    const timed = clockKnown();
    const list: unknown[] = [];
    let payload: string;
    if (flightId || !n || !client.connected()) return;
    if (!timed) {
      if (now - connectedAt < SNTP_GRACE_MS) return;
      // Untimed readings go one at a time: the server stamps each on arrival.
      n = 1;
    }
    for (let i = 0; i < n; i++) list[i] = timed ? { ts: Math.round(boot + q._get(i, 0)), values: values(i) } : values(i);
    payload = toJson(n > 1 ? list : list[0]);
    logI(TAG, "[Telemetry][Tx] " + payload);
    flightId = client.publish(TELEMETRY, payload, 1);
    q._shift((flightN = n));
  }

  function sample(): void {
    timer(sample, every);
    last = sensor.read();
    if (!q._push(uptimeMs(), last)) {
      logW(TAG, `Queue full: dropped the oldest (${q._dropped()} so far)`);
    }
    pump();
  }

  timer(sample, every);

  return {
    _connected: () => {
      connectedAt = uptimeMs();
      pump();
    },
    _published: (id) => {
      if (id != flightId) return;
      logI(TAG, "published msg_id=" + id);
      acked += flightN;
      flightId = flightN = 0;
      pump();
    },
    _setInterval: (ms, from) => {
      if (typeof ms != "number" || ms % 1 || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
        const why = INTERVAL_KEY + " " + toJson(ms) + " from " + from + " rejected: use " + MIN_INTERVAL_MS + "-" + MAX_INTERVAL_MS;
        logW(TAG, why);
        return { error: why };
      }
      every = ms;
      timer(sample, every);
      logI(TAG, INTERVAL_KEY + " = " + ms + " (from " + from + ")");
      return { telemetryIntervalMs: ms };
    },
    _current: () => values(-1),
    _status: () => ({ queueDepth: q._size() + flightN, dropped: q._dropped(), sent: acked, intervalMs: every }),
  };
}
