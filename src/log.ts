// ESP-IDF style log lines, `I (1234) tag: message`, so a serial log reads like the C example's.
// The number is milliseconds since boot. SNTP sets the clock ~56 years forward behind Espruino's
// back (platform doc §3), so uptimeMs() compares each getTime() with the one before: a jump of
// more than JUMP_S forward, or any step back, moves the boot time along instead of counting as
// time that passed. Even the first line after the step shows the right uptime. The heartbeat
// (watchClock) reads it every second, so that a real gap between two reads never looks like a step.

import CONFIG from "device-config";

/** getTime() at uptime 0, moved along with each step of the clock. */
let bootTime = getTime();
let lastTime = bootTime;

/** Seconds; the heartbeat keeps real gaps near 1 s. */
const JUMP_S = 60;

/** Milliseconds since boot on a clock that never jumps (at a step it loses at most the time since
 *  the read before, one heartbeat). Logs "Clock set" at a forward step, before the line it is
 *  computed for. */
export function uptimeMs(): number {
  const t = getTime();
  const d = t - lastTime;
  lastTime = t;
  if (d < 0 || d > JUMP_S) {
    bootTime += d;
    if (d > JUMP_S) logI("time", "Clock set");
  }
  return Math.round((t - bootTime) * 1000);
}

/** The heartbeat: a chained setTimeout, as a setInterval would run back to back after the step. */
export function watchClock(): void {
  uptimeMs();
  setTimeout(watchClock, 1000);
}

/** `lvl` is "E", "W" or "I" (levels 1 to 3); lines above the configured level cost nothing but the
 *  call. At info and above (a build-time constant) every line prints and the minifier drops the test. */
const log = (lvl: string, tag: string, msg: string) =>
  (CONFIG.logLevel >= 3 || "-EWI".indexOf(lvl) <= CONFIG.logLevel) && console.log(lvl + " (" + uptimeMs() + ") " + tag + ": " + msg);

// bind: shorter on the board than a wrapper per level, and Espruino's bind takes leading arguments.
export const logE = log.bind(0, "E");
export const logW = log.bind(0, "W");
export const logI = log.bind(0, "I");

/** JSON.stringify under a name the minifier can shorten (a static method: no `this` needed, as
 *  String.fromCharCode in mqtt/chr.ts). */
export const toJson = JSON.stringify;

/** A wait for a log line: "2.5 s". */
export function inSeconds(ms: number): string {
  return (ms / 1000).toFixed(1) + " s";
}
