// One pending timeout per owner, replaced when armed again, due on a clock that never jumps (the
// firmware's uptime). When SNTP steps the board's clock forward, every pending Espruino timer fires
// at once (docs/espruino.md §3.2): a timer that fires before it is due on its clock waits out the rest
// instead of running early, so no join, back-off, reading, CONNACK or keep-alive timer takes the
// step for its time. Espruino's clearTimeout() clears every timer and clearTimeout(undefined)
// throws (§3.2 too), so only a live id is ever cleared. A timer is a plain record and the two
// functions below are shared by all of them: on the board each closure kept alive costs several
// JsVars, a record one per field.
// No firmware imports: the MQTT client uses it too, also in Node.

export interface Timer {
  /** Milliseconds on a clock that only moves forward. */
  clock: () => number;
  /** The pending setTimeout: a number on Espruino, an object in Node; falsy when none is pending. */
  pending?: any;
  due?: number;
  run?: () => void;
}

function fire(t: Timer): void {
  const left = t.due! - t.clock();
  t.pending = left > 0 ? setTimeout(fire, left, t) : 0;
  if (!t.pending) t.run!();
}

/** Arms `run` on `t` after `ms`, dropping the pending one; with no `run` (or `ms` 0) only drops it. */
export function schedule(t: Timer, run?: () => void, ms?: number): void {
  if (t.pending) clearTimeout(t.pending);
  t.pending = run && ms && ((t.run = run), (t.due = t.clock() + ms), setTimeout(fire, ms, t));
}
