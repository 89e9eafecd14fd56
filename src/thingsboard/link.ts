// The MQTT-over-TLS session with ThingsBoard: one socket at a time, reconnect with exponential
// back-off and jitter (1 s doubling to 60 s, reset after a healthy minute), a slow retry when the
// access token is refused or TLS runs out of native heap, and a pause while Wi-Fi is down.
// Subscriptions are renewed by the MQTT client after every CONNACK.
// Before each TLS connect the free native heap is compared with what one connection needs here
// (heap.ts); a connect that failed for lack of it is an E line with the figures.

import CONFIG from "device-config";
import { backoff } from "../backoff";
import { freeHeap, heapShort, outOfHeap } from "../heap";
import { inSeconds, logE, logI, logW, uptimeMs } from "../log";
import { createClient } from "../mqtt/index";
import type { Client } from "../mqtt/index";
import { slot } from "../timer";

/** The C example's tag for the MQTT session (telemetry.ts builds its own on it). */
export const TAG = "tb_mqtt";
/** Wait after CONNACK 2/4/5: retrying a refused token quickly only fills the server's log. */
const REFUSED_WAIT_MS = 60000;

export interface LinkStats {
  connects: number;
  disconnects: number;
  refused: number;
}

export interface Link {
  _client: Client;
  _stats: LinkStats;
  /** Wi-Fi is up: connect now. */
  _up(): void;
  /** Wi-Fi is down: close and wait for _up(). */
  _down(): void;
}

const TOKEN = CONFIG.accessToken;
/** The board's serial number: the MQTT client id, and a client attribute (main.ts). */
export const SERIAL = getSerial();

/** The access token as logs show it: its first two characters, enough to tell two tokens apart
 *  (none of a short one). No parameter, so the minifier writes it in place. */
function maskedToken(): string {
  return (TOKEN.length > 4 ? TOKEN[0] + TOKEN[1] : "") + "***";
}

/** `connected` runs after each CONNACK, `published` on each PUBACK. */
export function createLink(connected: () => void, published: (id: number) => void): Link {
  // Once per boot, so nobody takes the embedded certificate, or a plain link, for protection it
  // does not give.
  logW(TAG, CONFIG.tls ? "TLS does not verify the server certificate"
    : "\"tls\": false: the access token and telemetry cross the network in clear; only on a network you trust");
  const retry = backoff();
  const stats: LinkStats = { connects: 0, disconnects: 0, refused: 0 };
  // One timer for both waits: the reconnect while down, the healthy minute (which resets the
  // back-off) while connected. Each is dropped when the other begins.
  const timer = slot(uptimeMs);
  /** Wi-Fi is up (unset before the first _up()). */
  let net: number;

  function open(): void {
    timer();
    if (!net) return;
    if (CONFIG.tls && freeHeap() < CONFIG.tlsHeap) logW(TAG, heapShort());
    logI(TAG, `connecting to mqtt${CONFIG.tls ? "s" : ""}://${CONFIG.host}:${CONFIG.port} ...`);
    client.open();
  }

  const client = createClient({
    connect: (cb) => CONFIG.tls
      ? require("tls").connect({ host: CONFIG.host, port: CONFIG.port, ca: atob(CONFIG.caDer) }, cb)
      : require("net").connect({ host: CONFIG.host, port: CONFIG.port }, cb),
    // Uptime, not getTime(): SNTP setting the clock must not look like a missed PINGRESP.
    now: uptimeMs,
    clientId: SERIAL,
    username: TOKEN,
    onConnect: () => {
      stats.connects++;
      logI(TAG, "Connected to ThingsBoard");
      timer(retry._reset, 60000);
      connected();
    },
    onDisconnect: (kind, why, code) => {
      timer();
      if (!net) return;
      stats.disconnects++;
      let wait = retry._next();
      if (kind == "refused" && (code == 2 || code == 4 || code == 5)) {
        stats.refused++;
        wait += REFUSED_WAIT_MS;
        logE(TAG, "Token " + maskedToken() + " refused (CONNACK " + code +
          "): set accessToken to the device's token; retry in " + inSeconds(wait));
      } else {
        // mbedtls_ssl_setup's failure is thrown by connect and arrives here, after open()'s W line
        // with the figures; the handshake's is uncaught (main.ts) and follows this line.
        (outOfHeap(why) ? logE : logW)(TAG, "Disconnected from ThingsBoard (" + why + "); retry in " + inSeconds(wait));
      }
      timer(open, wait);
    },
    onPublished: published,
    log: (line) => logE(TAG, line),
  });

  return {
    _client: client,
    _stats: stats,
    _up: () => {
      net = 1;
      retry._reset();
      open();
    },
    _down: () => {
      net = 0;
      timer();
      client.close();
    },
  };
}
