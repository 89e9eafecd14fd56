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
import { clockKnown, epochMs } from "./clock";
import { slot } from "../timer";
import { INTERVAL_KEY, TELEMETRY } from "./topics";

const TAG = "tb_mqtt_wapper";
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
  const keys = CONFIG.keys;
  const q = createQueue(CONFIG.queueCapacity, keys.length);
  const timer = slot(uptimeMs);
  let every = CONFIG.telemetryIntervalMs;
  let flightId = 0;
  let flightN = 0;
  let acked = 0;
  let connectedAt = 0;
  let last: number[] = [];

  /** {key: value} of the `i`th queued reading, or of the latest one for i < 0; NaN keys left out
   *  (an undefined one, before the first reading, JSON leaves out by itself). */
  function values(i: number): { [key: string]: number } {
    const v: { [key: string]: number } = {};
    for (let k = 0; k < keys.length; k++) {
      const x = i < 0 ? last[k] : q._get(i, k + 1);
      if (x == x) v[keys[k]] = x;
    }
    return v;
  }

  function pump(): void {
    const n = Math.min(q._size(), BATCH);
    if (flightId || !n || !client.connected()) return;
    const now = uptimeMs();
    const timed = clockKnown();
    if (!timed && now - connectedAt < SNTP_GRACE_MS) return;
    const list: unknown[] = [];
    for (let i = 0; i < (timed ? n : 1); i++) {
      const v = values(i);
      list.push(timed ? { ts: epochMs(q._get(i, 0), now), values: v } : v);
    }
    const payload = toJson(list.length > 1 ? list : list[0]);
    logI(TAG, "[Telemetry][Tx] " + payload);
    flightId = client.publish(TELEMETRY, payload, 1);
    flightN = list.length;
    q._shift(flightN);
  }

  function sample(): void {
    timer(sample, every);
    last = sensor.read();
    if (!q._push(uptimeMs(), last)) {
      logW(TAG, "Queue full: dropped the oldest (" + q._dropped() + " so far)");
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
