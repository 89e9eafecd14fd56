// The MQTT-over-TLS session with ThingsBoard: one socket at a time, reconnect with exponential
// back-off and jitter (1 s doubling to 60 s, reset after a healthy minute), a slow retry when the
// access token is refused, and a pause while Wi-Fi is down. Subscriptions are renewed by the MQTT
// client after every CONNACK.

import { Backoff } from "../backoff";
import { logE, logI, logW, mask, uptimeMs } from "../log";
import { createClient } from "../mqtt/index";
import type { Client } from "../mqtt/index";

const TAG = "tb_mqtt";
/** Wait after CONNACK 2/4/5: retrying a refused token quickly only fills the server's log. */
const REFUSED_WAIT_MS = 60000;

export interface LinkOptions {
  host: string;
  port: number;
  accessToken: string;
  /** The server certificate as base64 DER. */
  caDer: string;
  clientId: string;
}

/** Filled in by the modules that use the link (main.ts wires them). */
export interface LinkHooks {
  connected(): void;
  published(id: number): void;
}

export interface LinkStats {
  connects: number;
  disconnects: number;
  refused: number;
}

export interface Link {
  client: Client;
  stats: LinkStats;
  /** Wi-Fi is up: connect now. */
  up(): void;
  /** Wi-Fi is down: close and wait for up(). */
  down(): void;
}

export function createLink(o: LinkOptions, hooks: LinkHooks): Link {
  const backoff = new Backoff(1000, 60000, Math.random);
  const stats: LinkStats = { connects: 0, disconnects: 0, refused: 0 };
  const url = "mqtts://" + o.host + ":" + o.port;
  let net = false;
  let retry = 0;
  let healthy = 0;

  function stopTimer(t: number): number {
    // Espruino's clearTimeout(undefined) clears every timer and an id that already fired throws:
    // only ever pass a live id.
    if (t) clearTimeout(t);
    return 0;
  }

  function open(): void {
    retry = stopTimer(retry);
    if (!net) return;
    logI(TAG, "connecting to " + url + " ...");
    client.open();
  }

  const client = createClient({
    connect: (cb) => require("tls").connect({ host: o.host, port: o.port, ca: atob(o.caDer) }, cb),
    clock: {
      setTimeout: (f, ms) => setTimeout(f, ms),
      clearTimeout: (h) => stopTimer(h as number),
      // Uptime, not getTime(): SNTP setting the clock must not look like a missed PINGRESP.
      now: uptimeMs,
    },
    clientId: o.clientId,
    username: o.accessToken,
    onConnect: () => {
      stats.connects++;
      logI(TAG, "Connected to ThingsBoard");
      healthy = setTimeout(() => {
        healthy = 0;
        backoff.reset();
      }, 60000);
      hooks.connected();
    },
    onDisconnect: (kind, why, code) => {
      healthy = stopTimer(healthy);
      if (!net) return;
      stats.disconnects++;
      let wait = backoff.next();
      if (kind == "refused" && (code == 2 || code == 4 || code == 5)) {
        stats.refused++;
        wait = REFUSED_WAIT_MS + wait;
        logE(TAG, "Access token " + mask(o.accessToken) + " refused (CONNACK " + code +
          "): set accessToken in device.config.json to the device's token and rebuild; retry in " + Math.round(wait / 1000) + " s");
      } else {
        logW(TAG, "Disconnected from ThingsBoard (" + why + "); retry in " + (wait / 1000).toFixed(1) + " s");
      }
      retry = setTimeout(() => {
        retry = 0; // fired: clearing it again would throw "Unknown Timeout" on Espruino
        open();
      }, wait);
    },
    onPublished: (id) => hooks.published(id),
  });

  return {
    client: client,
    stats: stats,
    up: () => {
      net = true;
      backoff.reset();
      open();
    },
    down: () => {
      net = false;
      retry = stopTimer(retry);
      client.close();
    },
  };
}
