// ESP-IDF style log lines, `I (1234) tag: message`, so a serial log reads like the C example's.
// The number is milliseconds since boot, kept monotonic even when SNTP later sets the clock.

import CONFIG from "device-config";

let bootTime = getTime();

/** Call after setTime/SNTP moved the clock by `jumpSeconds`, so uptimes stay continuous. */
export function clockJumped(jumpSeconds: number): void {
  bootTime += jumpSeconds;
}

export function uptimeMs(): number {
  return Math.round((getTime() - bootTime) * 1000);
}

/** `lvl` is 1 (E) to 3 (I); lines above the configured level cost nothing but the call. */
function log(lvl: number, tag: string, msg: string): void {
  if (lvl <= CONFIG.logLevel) console.log("EWI"[lvl - 1] + " (" + uptimeMs() + ") " + tag + ": " + msg);
}

export function logE(tag: string, msg: string): void {
  log(1, tag, msg);
}
export function logW(tag: string, msg: string): void {
  log(2, tag, msg);
}
export function logI(tag: string, msg: string): void {
  log(3, tag, msg);
}

/** A wait for a log line: "2.5 s". */
export function inSeconds(ms: number): string {
  return (ms / 1000).toFixed(1) + " s";
}

/** Secrets appear in logs only as their first two characters, enough to tell two tokens apart. */
export function mask(secret: string): string {
  return secret.length > 4 ? secret.substr(0, 2) + "***" : "***";
}
