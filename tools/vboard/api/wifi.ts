// require("Wifi") with Espruino 2v29's ESP32 semantics, over the simulated station (../wifi.ts).
import { Emitter, type Fn, type ProgramHost } from "./host.ts";

/** What the board says when a program calls Wifi.setSNTP twice in one boot (docs/espruino.md §3.1: it sets
 *  SNTP's operating mode while SNTP runs, which lwIP asserts against; read from source, not run). */
export const SECOND_SNTP = "vboard: Wifi.setSNTP called again while SNTP runs: an IDF 4 build (ESP32-C3/S3) most likely panics and reboots here";

export function wifiModule(p: ProgramHost, events: Emitter): Record<string, unknown> {
  const st = p.s.station;
  const details = () => p.toBoard(st.details());
  const ipInfo = () => p.toBoard({
    ip: st.isUp() ? st.ap.ip : "0.0.0.0",
    netmask: st.isUp() ? st.ap.netmask : "0.0.0.0",
    gw: st.isUp() ? st.ap.gw : "0.0.0.0",
    mac: st.mac,
  });
  /** Answers through a callback on a later turn, as the ESP32 build's event loop does. */
  const later = (cb: Fn, args: unknown[]) => setImmediate(() => p.invoke(cb, args));
  return {
    connect: p.guard((ssid: unknown, opts?: { password?: unknown }, cb?: Fn) => {
      if (typeof ssid !== "string") throw new TypeError(`Wifi.connect: ssid must be a string, got ${typeof ssid}`);
      if (typeof opts === "function") { cb = opts as Fn; opts = undefined; }
      const pw = opts && opts.password !== undefined ? String(opts.password) : undefined;
      st.connect(ssid, pw, typeof cb === "function" ? cb : undefined);
    }),
    disconnect: (cb?: Fn) => {
      st.disconnect();
      if (typeof cb === "function") later(cb, []);
    },
    ...events.methods(),
    getIP: (cb?: Fn) => {
      const info = ipInfo();
      if (typeof cb === "function") later(cb, [null, info]);
      return info;
    },
    // rssi is left out: the simulated radio has no signal strength to report.
    getDetails: (cb?: Fn) => {
      const d = details();
      if (typeof cb === "function") later(cb, [d]);
      return d;
    },
    getStatus: () => p.toBoard({ station: st.isUp() ? "connected" : "disconnected", mode: "sta", powersave: "none" }),
    setHostname: (name: unknown) => { st.hostname = String(name); },
    getHostname: (cb?: Fn) => {
      if (typeof cb === "function") later(cb, [st.hostname]);
      return st.hostname;
    },
    // Sets the clock only when the board was given a time server (option timeServer). Both
    // arguments must be strings, as in Espruino's ESP32 jswrap_wifi_setSNTP (the zone is a POSIX
    // TZ string such as "UTC0"; a number is refused there and SNTP never starts).
    setSNTP: (server: unknown, tz: unknown) => {
      if (typeof tz !== "string") throw p.makeError("Error", "Zone is not a string");
      if (typeof server !== "string") throw p.makeError("Error", "Server is not a string");
      if (st.sntp) p.print(SECOND_SNTP);
      st.setSntp(server, tz);
    },
    save: p.guard((what?: unknown) => {
      if (what === "clear") return st && p.s.storage.erase(".wificfg");
      p.s.storage.write(".wificfg", JSON.stringify({ mode: "sta", ...st.savedConfig() }));
    }),
  };
}
