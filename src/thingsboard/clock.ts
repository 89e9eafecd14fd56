// Wall-clock time for readings. SNTP (Wifi.setSNTP) sets the clock some time after Wi-Fi is up;
// until then getTime() counts from boot. Uptimes (also those stored with readings) stay continuous
// across the jump (see uptimeMs in log.ts).

/** getTime() above this (2001) means the clock has been set. */
const SET_AFTER = 1e9;

export function clockKnown(): boolean {
  return getTime() > SET_AFTER;
}

/** Epoch ms of a moment given as uptime ms; only meaningful once clockKnown(). */
export function epochMs(uptime: number, nowUptime: number): number {
  return Math.round(getTime() * 1000 - nowUptime + uptime);
}
