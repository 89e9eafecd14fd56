// ESP-IDF style log lines, `I (1234) tag: message`, so a serial log reads like the C example's.
// The number is milliseconds since boot. SNTP sets the clock ~56 years forward behind Espruino's
// back (docs/espruino.md §3.2), so uptimeMs() compares each getTime() with the one before: a jump of
// more than JUMP_S forward, or any step back, moves the boot time along instead of counting as
// time that passed. Even the first line after the step shows the right uptime. The heartbeat
// (watchClock) reads it every second, so that a real gap between two reads never looks like a step.

/** Levels in ESP-IDF's order: a line prints when its level is at most the configured one. */
export const ERROR = 1;
export const WARN = 2;
export const INFO = 3;

/** getTime() at uptime 0, moved along with each step of the clock. */
let bootTime = getTime();
let lastTime = bootTime;
/** The configured level: setLogLevel, from the config in main.ts. */
let level = INFO;

/** Seconds; the heartbeat keeps real gaps near 1 s. */
const JUMP_S = 60;

/** Prints `line`, "tag: message", when `lvl` (ERROR, WARN or INFO) is at most the configured level.
 *  One function for all levels: on the board each function kept alive costs several JsVars. The tag
 *  is written into each call's text, not kept in a constant: a module-level string is a variable the
 *  board holds in RAM for good (2 JsVars for a short one, measured), a literal in code run from flash
 *  only while its line prints. The tags are the C example's where it has one (docs/thingsboard.md §7),
 *  "tb_mqtt_wapper" (sic) included, so that a serial log reads like the example's. */
export function log(lvl: number, line: string): void {
  if (lvl <= level) console.log("-EWI"[lvl] + " (" + uptimeMs() + ") " + line);
}

/** 0 none, 1 error, 2 warn, 3 info (4 debug and 5 verbose print what info prints). */
export function setLogLevel(lvl: number): void {
  level = lvl;
}

/** Milliseconds since boot on a clock that never jumps (at a step it loses at most the time since
 *  the read before, one heartbeat). Logs "Clock set" at a forward step, before the line it is
 *  computed for. */
export function uptimeMs(): number {
  const t = getTime();
  const d = t - lastTime;
  lastTime = t;
  if (d < 0 || d > JUMP_S) {
    bootTime += d;
    if (d > JUMP_S) log(INFO, "time: Clock set");
  }
  return Math.round((t - bootTime) * 1000);
}

/** The heartbeat: a chained setTimeout, as a setInterval would run back to back after the step. */
export function watchClock(): void {
  uptimeMs();
  setTimeout(watchClock, 1000);
}

/** JSON.stringify under a name the minifier can shorten (a static method: no `this` needed). */
export const toJson = JSON.stringify;

/** A wait for a log line: "2.5 s". */
export function inSeconds(ms: number): string {
  return (ms / 1000).toFixed(1) + " s";
}
