// Wall-clock time for readings. SNTP (Wifi.setSNTP) sets the clock some time after Wi-Fi is up;
// until then getTime() counts from boot. A once-a-second check notices the jump and tells the log
// module, so uptimes (and the uptimes stored with readings) stay continuous across it.

import { clockJumped, logI } from "../log";

/** getTime() above this (2001) means the clock has been set. */
const SET_AFTER = 1e9;
/** Smaller steps are drift corrections, not the clock being set. */
const JUMP_S = 30;

export function clockKnown(): boolean {
  return getTime() > SET_AFTER;
}

/** Epoch ms of a moment given as uptime ms; only meaningful once clockKnown(). */
export function epochMs(uptime: number, nowUptime: number): number {
  return Math.round(getTime() * 1000 - nowUptime + uptime);
}

export function watchClock(): void {
  let last = getTime();
  setInterval(function () {
    const t = getTime();
    const jump = t - last - 1;
    last = t;
    if (jump > JUMP_S || jump < -JUMP_S) {
      clockJumped(jump);
      logI("time", "Clock set: " + new Date(t * 1000).toISOString());
    }
  }, 1000);
}
