// The MQTT session with ThingsBoard: one socket at a time, reconnect with exponential back-off and
// jitter (backoff.ts; the count starts over after a healthy minute), a slow retry when the access
// token is refused or TLS runs out of native heap, and a pause while Wi-Fi is down.
// Subscriptions are renewed by the MQTT client after every CONNACK.
// Before each TLS connect the free native heap is compared with what one connection needs here
// (heap.ts); a connect that failed for lack of it is an E line with the figures.

import { backoffMs } from "../backoff";
import { freeHeap, heapShort, outOfHeap } from "../heap";
import { ERROR, inSeconds, INFO, log, uptimeMs, WARN } from "../log";
import { mask } from "../mask";
import { createClient } from "../mqtt/index";
import type { Client, ClientOptions, Socket } from "../mqtt/index";
import { schedule } from "../timer";
import type { Timer } from "../timer";

/** Wait after CONNACK 2/4/5 (a refused token, docs/thingsboard.md §1.2): retrying it quickly only
 *  fills the server's log. */
const REFUSED_WAIT_MS = 60000;
/** Connected this long, the back-off starts over. */
const HEALTHY_MS = 60000;

export interface LinkSettings {
  /** Opens the socket to the server (tls.connect with host, port and certificate, or net.connect):
   *  built by main.ts from the config, so that the choice of TLS is made at build time. */
  openSocket: (cb: () => void) => Socket;
  /** Where connect goes, for the log: "mqtts://host:port". */
  url: string;
  /** The device's access token: the MQTT user name; "" to provision one first (createLink then has a provisioner). */
  token: string;
  /** The MQTT client id (the board's serial number). */
  clientId: string;
  /** Native heap one connection needs on this chip, in bytes (0 for plain MQTT: no check), and what
   *  to do when it is not there. */
  tlsHeap: number;
  heapFix: string;
}

/** Device provisioning, when the config asks for it (main.ts makes it from provision.ts): without a
 *  token the link has `run` open a provisioning session first, which calls back with the stored token
 *  or ""; a token the server refuses is `forget`-ten and provisioned again. */
export interface Provisioner {
  run(done: (token: string) => void): void;
  forget(): void;
}

/** @json Part of the getStatus RPC answer. */
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

/** `connected` runs after each CONNACK, `published` on each PUBACK. `provisioner` is a parameter of
 *  its own, not a setting, so that the minifier drops every provisioning branch of a bundle without it. */
export function createLink(settings: LinkSettings, connected: () => void, published: (id: number) => void,
  provisioner?: Provisioner): Link {
  const stats: LinkStats = { connects: 0, disconnects: 0, refused: 0 };
  /** The reconnect wait. */
  const timer: Timer = { clock: uptimeMs };
  /** Failed attempts since the last healthy minute. */
  let attempts = 0;
  /** Uptime of the last CONNACK: a session that lasted HEALTHY_MS starts the back-off over. */
  let connectedAt = 0;
  /** Wi-Fi is up (unset before the first up()). */
  let net: number;
  /** The token the next session uses ("" provisions first). */
  let token = settings.token;
  /** Read by the client at each CONNECT. */
  const options: ClientOptions = {
    connect: settings.openSocket,
    // Uptime, not getTime(): SNTP setting the clock must not look like a missed PINGRESP.
    now: uptimeMs,
    clientId: settings.clientId,
    username: token,
    onConnect: () => {
      stats.connects++;
      log(INFO, "tb_mqtt: Connected to ThingsBoard");
      connectedAt = uptimeMs();
      connected();
    },
    onDisconnect: (kind, why, code) => {
      schedule(timer);
      if (!net) return;
      stats.disconnects++;
      // Worked out here rather than by a timer while connected: nothing to hold in RAM meanwhile.
      if (connectedAt && uptimeMs() - connectedAt >= HEALTHY_MS) attempts = 0;
      connectedAt = 0;
      let wait = backoffMs(attempts++);
      if (kind == "refused" && (code == 2 || code == 4 || code == 5)) {
        stats.refused++;
        wait += REFUSED_WAIT_MS;
        log(ERROR, "tb_mqtt: Token " + mask(token) + " refused (CONNACK " + code + "): " +
          (provisioner ? "provisioning again" : "set accessToken to the device's token; retry") + " in " + inSeconds(wait));
        if (provisioner && token) {
          provisioner.forget();
          token = "";
        }
      } else {
        // mbedtls_ssl_setup's failure is thrown by connect and arrives here, after open()'s W line
        // with the figures; the handshake's is uncaught (main.ts) and follows this line.
        log(outOfHeap(why) ? ERROR : WARN, "tb_mqtt: Disconnected from ThingsBoard (" + why + "); retry in " + inSeconds(wait));
      }
      schedule(timer, open, wait);
    },
    onPublished: published,
    log: (line) => log(ERROR, "tb_mqtt: " + line),
  };

  const client = /*#__NOINLINE__*/ createClient(options);

  function open(): void {
    schedule(timer);
    if (!net) return;
    if (freeHeap() < settings.tlsHeap) log(WARN, "tb_mqtt: " + heapShort(settings.tlsHeap, settings.heapFix));
    log(INFO, "tb_mqtt: connecting to " + settings.url + " ...");
    if (token || !provisioner) {
      options.username = token;
      return client.open();
    }
    // No token yet: a provisioning session first, then the device's at once, or a retry after the back-off.
    provisioner.run((t) => {
      // A second apart: the provisioning socket's TLS memory comes back only once it has closed, a
      // moment after end() (the node engine's heap model shows the handshake failing without it).
      let wait = 1000;
      if (!(token = t)) log(INFO, "tb_mqtt: provisioning again in " + inSeconds((wait = backoffMs(attempts++))));
      schedule(timer, open, wait);
    });
  }

  return {
    client: client,
    stats: stats,
    up: () => {
      net = 1;
      attempts = 0;
      open();
    },
    down: () => {
      net = 0;
      schedule(timer);
      client.close();
    },
  };
}
