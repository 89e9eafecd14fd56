// Keeps the station joined to the access point. Espruino 2v29 calls Wifi.connect's callback only on
// success and never reconnects after a drop, so this module owns the timeout, the retry back-off and
// the rejoin. After the first join it points SNTP at the configured server, the clock readings are
// stamped by: once per boot, as a second Wifi.setSNTP most likely reboots a C3/S3 (docs/espruino.md §3.1).

import { backoffMs } from "./backoff";
import { inSeconds, INFO, log, uptimeMs, WARN } from "./log";
import { schedule } from "./timer";
import type { Timer } from "./timer";

/** How long one join attempt may take before it counts as failed. */
const JOIN_TIMEOUT_MS = 15000;

/** Join states. */
const JOINING = 1;
const UP = 2;
const WAITING = 3;

export interface WifiSettings {
  ssid: string;
  password: string;
  /** The SNTP server (host name or address) set after the first join. */
  sntpServer: string;
}

/** The station's IP address, "unknown" when it has none. The return value, not getIP's callback:
 *  ESP32 builds have called it back with (info) and with (null, info); both return the same object
 *  at once, and the address is set once the connect callback has fired (on GOT_IP). */
export function stationIp(): string {
  const info = require("Wifi").getIP();
  return (info && info.ip) || "unknown";
}

/** What the network is for: told after each join and after each drop. */
export interface NetworkUser {
  up(): void;
  down(): void;
}

/** Joins now and keeps rejoining; `user` is told of each join and drop. LED1 (every ESP32-family
 *  board file defines it, docs/espruino.md §2.4) is on while the station is joined. */
export function startWifi(settings: WifiSettings, user: NetworkUser): void {
  const wifi = require("Wifi");
  const ssid = settings.ssid;
  const timer: Timer = { clock: uptimeMs };
  /** Failed joins since the last success. */
  let attempts = 0;
  /** JOINING, UP or WAITING for the retry timer (unset before the first join). */
  let state: number;
  /** Truthy once SNTP runs: 1 when this program started it, or the SSID the station was joined to
   *  when this program started (see the end). Unset before. */
  let sntp: unknown;

  function join(): void {
    state = JOINING;
    log(INFO, `wifi: Connecting to ${ssid}...`);
    schedule(timer, () => failed("no answer in " + JOIN_TIMEOUT_MS / 1000 + " s"), JOIN_TIMEOUT_MS);
    try {
      wifi.connect(ssid, { password: settings.password }, (err) => {
        if (state != JOINING) return;
        if (err) failed(err);
        else joined();
      });
    } catch (e) {
      // Thrown when the radio is busy or the arguments are refused: retry like any other failure.
      failed(e);
    }
  }

  function joined(): void {
    schedule(timer);
    state = UP;
    attempts = 0;
    log(INFO, "wifi: Connected to " + ssid + ", IP " + stationIp());
    digitalWrite(LED1, 1);
    user.up();
    // After up(), so that even a build without SNTP (it would throw) keeps the link going;
    // readings then go without ts and the server stamps them. The zone only affects local-time
    // formatting; getTime() stays UTC. lwIP asserts that SNTP's mode is not set while it runs:
    // SNTP keeps running across rejoins, so it is started once (marked first, in case it throws).
    if (!sntp) {
      sntp = 1;
      wifi.setSNTP(settings.sntpServer, "UTC0");
    }
  }

  /** Waits the next back-off, then joins again; returns the wait as text for the log line. */
  function later(): string {
    const wait = backoffMs(attempts++);
    state = WAITING;
    schedule(timer, join, wait);
    return inSeconds(wait);
  }

  /**
   * A join attempt failed (timeout, error, or a `disconnected` event while joining). The radio's
   * status names the cause with ESP-IDF's reason name (AUTH_FAIL, NO_AP_FOUND, ...; see
   * docs/espruino.md §3.1), the README's troubleshooting table explains each, and the line names the
   * two keys to check.
   * `reason` is text, or the error the connect call gave (the line makes it text).
   */
  function failed(reason: unknown): void {
    const details = wifi.getDetails();
    // Leave "joining" first: the radio may report the disconnect below at once.
    log(WARN, `wifi: Cannot join ${ssid} (${details && details.status}, ${reason}): check wifiSsid (2.4 GHz) and wifiPassword; retry in ${later()}`);
    // Stop the radio's own attempt so the next connect starts clean.
    try {
      wifi.disconnect();
    } catch (e) {
      // nothing to stop
    }
  }

  wifi.on("disconnected", (e) => {
    // ESP32 builds send the ESP-IDF reason as a number string plus its name in `msg`.
    const reason = e && (e.msg || e.reason);
    if (state == JOINING) {
      // 8 ASSOC_LEAVE ends an earlier association (left by a connect, or by our own disconnect) and,
      // queued, can arrive once the next join has begun (docs/espruino.md §3.1): no failure of this
      // join, whose timeout still ends it if it never completes.
      if (reason != "ASSOC_LEAVE") failed("reason " + reason);
    } else if (state == UP) {
      log(WARN, "wifi: Link to " + ssid + " lost (reason " + reason + "); rejoining in " + later());
      digitalWrite(LED1, 0);
      user.down();
    }
  });
  // load(), which flash runs, restarts the program but not the radio (docs/espruino.md §3.1). A
  // station joined now was joined by an earlier program of this boot, which started SNTP: sntp takes
  // its SSID, as a second setSNTP is unsafe. Still on this network, with its address: take the link
  // as it is (a connect would only leave it and join again).
  if ((sntp = (wifi.getDetails() as WifiDetails).ssid) == ssid && parseInt(stationIp())) joined();
  else join();
}
