// The simulated access point and the board's Wi-Fi station, as Espruino 2v29's ESP32 `Wifi` module
// behaves: connect's callback only on success, no automatic reconnect, `disconnected` on a drop.
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

export type WifiStatus = "off" | "connecting" | "wrong_password" | "no_ap_found" | "connect_fail" | "connected";

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
  status: WifiStatus = "off";
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

  onChange(fn: (up: boolean) => void): () => void {
    this.linkListeners.add(fn);
    return () => this.linkListeners.delete(fn);
  }

  private setStatus(s: WifiStatus): void {
    const was = this.isUp();
    this.status = s;
    if (was !== this.isUp()) for (const fn of [...this.linkListeners]) fn(this.isUp());
  }

  connect(ssid: string, password: string | undefined, cb?: (...a: any[]) => unknown): void {
    this.cancelJoin();
    if (this.isUp()) this.setStatus("off");
    this.ssid = ssid;
    this.lastPassword = password;
    this.setStatus("connecting");
    this.joinTimer = setTimeout(() => {
      this.joinTimer = undefined;
      const ap = this.ap;
      if (!ap.present || (ap.ssid !== undefined && ap.ssid !== ssid)) return this.fail("no_ap_found", "no_ap_found");
      if (ap.password !== undefined && ap.password !== (password ?? "")) return this.fail("wrong_password", "auth_fail");
      this.events?.emit("associated", { ssid, mac: this.mac });
      this.setStatus("connected");
      this.events?.emit("connected", { ip: ap.ip, netmask: ap.netmask, gw: ap.gw });
      // 2v29 calls back only on success, with null.
      if (cb) this.events?.callback(cb, [null]);
    }, this.ap.joinDelayMs);
  }

  private fail(status: WifiStatus, reason: string): void {
    this.setStatus(status);
    this.events?.emit("disconnected", { ssid: this.ssid, mac: this.mac, reason });
  }

  disconnect(): void {
    this.cancelJoin();
    const was = this.status;
    this.setStatus("off");
    if (was === "connected") this.events?.emit("disconnected", { ssid: this.ssid, mac: this.mac, reason: "assoc_leave" });
  }

  /** The access point vanishes: one `disconnected`, then the station stays down. */
  dropLink(reason = "beacon_timeout"): void {
    this.ap.present = false;
    this.cancelJoin();
    if (this.isUp()) {
      this.setStatus("off");
      this.events?.emit("disconnected", { ssid: this.ssid, mac: this.mac, reason });
    }
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
    this.setStatus("off");
    this.ssid = undefined;
    this.hostname = undefined;
    this.sntp = undefined;
    clearTimeout(this.sntpTimer);
    this.sntpTimer = undefined;
  }
}
