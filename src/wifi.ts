// Keeps the station joined to the access point. Espruino 2v29 calls Wifi.connect's callback only on
// success and never reconnects after a drop, so this module owns the timeout, the retry back-off and
// the rejoin. Its I/O (the Wifi module, timers, randomness) comes in as parameters, so the same code
// runs on the board and against the virtual board's access point in tests.

import { Backoff } from "./backoff";
import { logD, logI, logW } from "./log";

const TAG = "wifi";

export interface WifiDeps {
  wifi: WifiModule;
  setTimeout: (fn: () => void, ms: number) => number;
  clearTimeout: (id: number) => void;
  random: () => number;
}

export interface WifiLinkOptions {
  ssid: string;
  password: string;
  /** How long one join attempt may take before it counts as failed. */
  connectTimeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  onUp: (ip: string) => void;
  onDown: (reason: string) => void;
}

/** Why a join failed, and what the person at the serial monitor can do about it. */
function explain(status: string | undefined): string {
  if (status === "wrong_password") return "wrong password: check wifiPassword in device.config.json";
  if (status === "no_ap_found")
    return "access point not found: check wifiSsid and that a 2.4 GHz network is in range";
  if (status === "connect_fail") return "the access point refused the connection";
  return "no answer from the access point";
}

export class WifiLink {
  /** "idle" | "joining" | "up" | "waiting" (for the retry timer). */
  state: string;
  private timer: number;
  private backoff: Backoff;

  constructor(private o: WifiLinkOptions, private d: WifiDeps) {
    this.state = "idle";
    this.timer = 0;
    this.backoff = new Backoff(o.retryMinMs, o.retryMaxMs, d.random);
    const self = this;
    d.wifi.on("disconnected", function (e) {
      self.onDisconnected(e && e.reason !== undefined ? String(e.reason) : "unknown");
    });
  }

  start(): void {
    if (this.state === "idle") this.join();
  }

  private setTimer(fn: () => void, ms: number): void {
    if (this.timer) this.d.clearTimeout(this.timer);
    this.timer = this.d.setTimeout(fn, ms);
  }

  private join(): void {
    const self = this;
    this.state = "joining";
    logI(TAG, "Connecting to " + this.o.ssid + "...");
    this.setTimer(function () {
      self.timer = 0;
      self.failed(undefined);
    }, this.o.connectTimeoutMs);
    try {
      this.d.wifi.connect(this.o.ssid, { password: this.o.password }, function (err) {
        if (self.state !== "joining") return;
        if (err) self.failed(String(err));
        else self.joined();
      });
    } catch (e) {
      // Thrown when the radio is busy or the arguments are refused: retry like any other failure.
      this.failed(String(e));
    }
  }

  private joined(): void {
    const self = this;
    if (this.timer) this.d.clearTimeout(this.timer);
    this.timer = 0;
    this.state = "up";
    this.backoff.reset();
    this.d.wifi.getIP(function (err, info) {
      const ip = info && info.ip ? info.ip : "unknown";
      logI(TAG, "Connected to " + self.o.ssid + ", IP " + ip);
      if (self.state === "up") self.o.onUp(ip);
    });
  }

  /** A join attempt failed (timeout, error, or a `disconnected` event while joining). */
  private failed(reason: string | undefined): void {
    const self = this;
    const details = this.d.wifi.getDetails();
    const why = explain(details ? details.status : undefined) + (reason ? " (" + reason + ")" : "");
    const wait = this.backoff.next();
    this.state = "waiting";
    logW(TAG, "Cannot join " + this.o.ssid + ": " + why + "; retry in " + (wait / 1000).toFixed(1) + " s");
    // Stop the radio's own attempt so the next connect starts clean.
    try {
      this.d.wifi.disconnect();
    } catch (e) {
      logD(TAG, "disconnect: " + e);
    }
    this.setTimer(function () {
      self.timer = 0;
      self.join();
    }, wait);
  }

  private onDisconnected(reason: string): void {
    if (this.state === "joining") {
      this.failed("reason " + reason);
    } else if (this.state === "up") {
      const self = this;
      const wait = this.backoff.next();
      this.state = "waiting";
      logW(TAG, "Link to " + this.o.ssid + " lost (reason " + reason + "); rejoining in " + (wait / 1000).toFixed(1) + " s");
      this.o.onDown(reason);
      this.setTimer(function () {
        self.timer = 0;
        self.join();
      }, wait);
    }
  }
}
