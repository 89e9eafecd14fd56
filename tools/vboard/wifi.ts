// The simulated access point and the board's Wi-Fi station, as Espruino 2v29's ESP32 `Wifi` module
// behaves (docs/espruino.md §3.1): connect's callback only on success, no automatic reconnect,
// `disconnected` with the ESP-IDF reason as a number string and its name in `msg`, the SSID cut to
// 31 bytes and the password to 63 characters. The espruino engine's stand-in (espruino/wifi.js)
// follows the same rules.
import type { NetworkLink } from "./sockets.ts";

export interface AccessPointOptions {
  /** undefined = any SSID is accepted. */
  ssid?: string;
  /** undefined = any password is accepted. */
  password?: string;
  present?: boolean;
  /** Real milliseconds from connect() to `connected` (radio time, not scaled). */
  joinDelayMs?: number;
  ip?: string;
}

/** "connected" once associated; otherwise the name of the last ESP-IDF reason ("Unknown reason" at first). */
export type WifiStatus = string;

/** ESP-IDF reason codes of the failures the simulated access point can cause. */
export const REASONS: Record<string, [number, string]> = {
  beacon_timeout: [200, "BEACON_TIMEOUT"],
  no_ap_found: [201, "NO_AP_FOUND"],
  auth_fail: [202, "AUTH_FAIL"],
  assoc_leave: [8, "ASSOC_LEAVE"],
};

/** What the station reports to the program; the board turns these into events and callbacks. */
export interface StationEvents {
  emit(event: string, details: unknown): void;
  callback(fn: (...a: any[]) => unknown, args: unknown[]): void;
}

export class SimAccessPoint {
  ssid?: string;
  password?: string;
  present: boolean;
  joinDelayMs: number;
  ip: string;
  netmask = "255.255.255.0";
  gw: string;

  constructor(o: AccessPointOptions = {}) {
    this.ssid = o.ssid;
    this.password = o.password;
    this.present = o.present ?? true;
    this.joinDelayMs = o.joinDelayMs ?? 50;
    this.ip = o.ip ?? "192.168.4.2";
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(this.ip)) throw new Error(`ap.ip must be an IPv4 address such as "192.168.4.2", got "${this.ip}"`);
    this.gw = this.ip.replace(/\.\d+$/, ".1");
  }
}

/** The board's station interface. It outlives a load() (the radio stays up) but not a reboot. */
export class WifiStation implements NetworkLink {
  status: WifiStatus = "Unknown reason";
  ssid?: string;
  hostname?: string;
  sntp?: { server: string; tz: unknown };
  /** Set by the board for the current program; events go nowhere while undefined. */
  events?: StationEvents;
  private joinTimer?: NodeJS.Timeout;
  private linkListeners = new Set<(up: boolean) => void>();
  private lastPassword?: string;
  private sntpTimer?: NodeJS.Timeout;

  /** `timeServer` answers SNTP (sets the board's clock); without it setSNTP only records the server. */
  constructor(readonly ap: SimAccessPoint, readonly mac: string, private timeServer?: () => void) {}

  /** The access point's MAC, as `associated` and `disconnected` report it. */
  get bssid(): string {
    return "02:aa:" + this.mac.slice(6);
  }

  /** Wifi.setSNTP: with a time server on the network the clock is set a moment later, once online. */
  setSntp(server: string, tz: unknown): void {
    this.sntp = { server, tz };
    if (!this.timeServer || this.sntpTimer) return;
    const answer = this.timeServer;
    const poll = () => {
      this.sntpTimer = undefined;
      if (!this.sntp) return;
      if (this.isUp()) answer();
      else this.sntpTimer = setTimeout(poll, 1000);
    };
    this.sntpTimer = setTimeout(poll, 200);
  }

  isUp(): boolean {
    return this.status === "connected";
  }

  /** Wifi.getDetails(): the network once associated, else only the last reason's name. */
  details(): Record<string, unknown> {
    return this.isUp() ? { ssid: this.ssid, password: this.lastPassword, status: "connected", authMode: "wpa2_psk" } : { status: this.status };
  }

  onChange(fn: (up: boolean) => void): () => void {
    this.linkListeners.add(fn);
    return () => this.linkListeners.delete(fn);
  }

  private setStatus(s: WifiStatus): void {
    const was = this.isUp();
    this.status = s;
    if (was !== this.isUp()) for (const fn of [...this.linkListeners]) fn(this.isUp());
  }

  /** Wifi.connect. 2v29 does not disconnect first (it sets the driver's config and calls
   *  esp_wifi_connect); here, as the stand-ins assume, a station still joined leaves (reason 8
   *  ASSOC_LEAVE, queued like every event) and joins again. The callback belongs to the program that
   *  called: one started by a load() meanwhile never gets it. */
  connect(ssid: string, password: string | undefined, cb?: (...a: any[]) => unknown): void {
    this.cancelJoin();
    if (this.isUp()) this.fail("assoc_leave");
    const caller = this.events;
    // What 2v29 copies into the driver's config: 31 bytes of SSID, 63 characters of password.
    ssid = Buffer.from(ssid, "latin1").subarray(0, 31).toString("latin1");
    password = password?.slice(0, 63);
    this.ssid = ssid;
    this.lastPassword = password;
    this.joinTimer = setTimeout(() => {
      this.joinTimer = undefined;
      const ap = this.ap;
      if (!ap.present || (ap.ssid !== undefined && ap.ssid !== ssid)) return this.fail("no_ap_found");
      if (ap.password !== undefined && ap.password !== (password ?? "")) return this.fail("auth_fail");
      this.events?.emit("associated", { ssid, mac: this.bssid, channel: 6 });
      this.setStatus("connected");
      this.events?.emit("connected", { ip: ap.ip, netmask: ap.netmask, gw: ap.gw });
      // 2v29 calls back only on success, with null.
      if (cb && this.events === caller) caller?.callback(cb, [null]);
    }, this.ap.joinDelayMs);
  }

  /** The station leaves or fails to join: the status changes at once (the driver's event task sets
   *  it), while `disconnected` is queued, as Espruino queues every Wi-Fi event
   *  (jsiQueueObjectCallbacks): it reaches the program after the code that caused it has returned,
   *  never inside a connect() or disconnect() call (docs/espruino.md §3.1). */
  private fail(reason: string): void {
    const [code, name] = REASONS[reason.toLowerCase()] ?? [200, reason.toUpperCase()];
    this.setStatus(name);
    const to = this.events;
    const details = { ssid: this.ssid, mac: this.bssid, reason: String(code), msg: name };
    setImmediate(() => to?.emit("disconnected", details));
  }

  disconnect(): void {
    this.cancelJoin();
    if (this.isUp()) this.fail("assoc_leave");
  }

  /** The access point vanishes: one `disconnected`, then the station stays down. */
  dropLink(reason = "beacon_timeout"): void {
    this.ap.present = false;
    this.cancelJoin();
    if (this.isUp()) this.fail(reason);
  }

  /** What Wifi.save() stores in `.wificfg` to rejoin at boot. */
  savedConfig(): { ssid?: string; password?: string; hostname?: string } {
    return { ssid: this.ssid, password: this.lastPassword, hostname: this.hostname };
  }

  cancelJoin(): void {
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.joinTimer = undefined;
  }

  /** A hardware reset: the radio is off again. */
  reset(): void {
    this.cancelJoin();
    this.setStatus("Unknown reason");
    this.ssid = undefined;
    this.hostname = undefined;
    this.sntp = undefined;
    clearTimeout(this.sntpTimer);
    this.sntpTimer = undefined;
  }
}
