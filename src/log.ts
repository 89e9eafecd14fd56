// ESP-IDF style log lines, `I (1234) tag: message`, so a serial log reads like the C example's.
// The number is milliseconds since boot, kept continuous when SNTP later sets the clock: SNTP sets
// it some time after Wi-Fi is up, and a once-a-second check notices the jump.

import CONFIG from "device-config";

let bootTime = getTime();


export function uptimeMs(): number {
  return Math.round((getTime() - bootTime) * 1000);
}

/** Smaller steps are drift corrections, not the clock being set. */
const JUMP_S = 30;

/** Starts the check that moves the boot time along with a clock jump and logs that the clock was set. */
export function watchClock(): void {
  let last = getTime();
  setInterval(() => {
    const t = getTime();
    const jump = t - last - 1;
    last = t;
    if (jump > JUMP_S || jump < -JUMP_S) {
      bootTime += jump;
      logI("time", "Clock set");
    }
  }, 1000);
}

/** `lvl` is 1 (E) to 3 (I); lines above the configured level cost nothing but the call. At info
 *  and above (a build-time constant) every line prints and the minifier drops the test. */
function log(lvl: number, tag: string, msg: string): void {
  if (CONFIG.logLevel >= 3 || lvl <= CONFIG.logLevel) console.log("-EWI"[lvl] + " (" + uptimeMs() + ") " + tag + ": " + msg);
}

export const logE = (tag: string, msg: string): void => log(1, tag, msg);
export const logW = (tag: string, msg: string): void => log(2, tag, msg);
export const logI = (tag: string, msg: string): void => log(3, tag, msg);

/** JSON.stringify and JSON.parse under names the minifier can shorten (static methods: no `this`
 *  needed, as String.fromCharCode in mqtt/chr.ts). */
export const toJson = JSON.stringify;
export const fromJson = JSON.parse;

/** A wait for a log line: "2.5 s". */
export function inSeconds(ms: number): string {
  return (ms / 1000).toFixed(1) + " s";
}

/** Secrets appear in logs only as their first two characters, enough to tell two tokens apart. */
export function mask(secret: string): string {
  return secret.length > 4 ? secret.substr(0, 2) + "***" : "***";
}
