// Keeps the station joined to the access point. Espruino 2v29 calls Wifi.connect's callback only on
// success and never reconnects after a drop, so this module owns the timeout, the retry back-off and
// the rejoin. After the first join it points SNTP at CONFIG.sntpServer, the clock readings are
// stamped by: once per boot, as a second Wifi.setSNTP most likely reboots a C3/S3 (platform doc §3).

import CONFIG from "device-config";
import { backoff } from "./backoff";
import { inSeconds, logI, logW, uptimeMs } from "./log";
import { slot } from "./timer";

const TAG = "wifi";
/** How long one join attempt may take before it counts as failed. */
const JOIN_TIMEOUT_MS = 15000;


/** Joins now and keeps rejoining; onUp after each join (with the IP), onDown after each drop. */
export function startWifi(onUp: (ip: string) => void, onDown: () => void): void {
  const wifi = require("Wifi");
  const ssid = CONFIG.wifiSsid;
  const retry = backoff();
  const timer = slot(uptimeMs);
  /** 1 joining, 2 up, 3 waiting for the retry timer (unset before the first join). */
  let state: number;
  /** 1 once SNTP is started (unset before). */
  let sntp: number;

  function join(): void {
    state = 1;
    logI(TAG, `Connecting to ${ssid}...`);
    timer(() => failed("no answer in " + JOIN_TIMEOUT_MS / 1000 + " s"), JOIN_TIMEOUT_MS);
    try {
      wifi.connect(ssid, { password: CONFIG.wifiPassword }, (err) => {
        if (state != 1) return;
        if (err) failed(err);
        else joined();
      });
    } catch (e) {
      // Thrown when the radio is busy or the arguments are refused: retry like any other failure.
      failed(e);
    }
  }

  function joined(): void {
    // The return value, not the callback: ESP32 builds have called it back with (info) and with
    // (null, info); both return the same object at once, and the address is set by now (the
    // connect callback fires on GOT_IP).
    const info = wifi.getIP();
    const ip = (info && info.ip) || "unknown";
    timer();
    state = 2;
    retry._reset();
    logI(TAG, "Connected to " + ssid + ", IP " + ip);
    onUp(ip);
    // After onUp, so that even a build without SNTP (it would throw) keeps the link going;
    // readings then go without ts and the server stamps them. The zone only affects local-time
    // formatting; getTime() stays UTC. lwIP asserts that SNTP's mode is not set while it runs:
    // SNTP keeps running across rejoins, so it is started once (marked first, in case it throws).
    if (!sntp) {
      sntp = 1;
      wifi.setSNTP(CONFIG.sntpServer, "UTC0");
    }
  }

  /** Waits the next back-off, then joins again; returns the wait as text for the log line. */
  function later(): string {
    const wait = retry._next();
    state = 3;
    timer(join, wait);
    return inSeconds(wait);
  }

  /**
   * A join attempt failed (timeout, error, or a `disconnected` event while joining). The radio's
   * status names the cause in Espruino's words (wrong_password, no_ap_found, connect_fail), the
   * README's troubleshooting table explains each, and the line names the two keys to check.
   * `reason` is text, or the error the connect call gave (the line makes it text).
   */
  function failed(reason: unknown): void {
    const details = wifi.getDetails();
    // Leave "joining" first: the radio may report the disconnect below at once.
    logW(TAG, `Cannot join ${ssid} (${details && details.status}, ${reason}): check wifiSsid (2.4 GHz) and wifiPassword; retry in ${later()}`);
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
    if (state == 1) failed("reason " + reason);
    else if (state == 2) {
      logW(TAG, "Link to " + ssid + " lost (reason " + reason + "); rejoining in " + later());
      onDown();
    }
  });
  join();
}
