// One pending timeout at a time, replaced when armed again, due on a clock that never jumps (the
// firmware's uptime). When SNTP steps the board's clock forward, every pending Espruino timer fires
// at once (platform doc §3): a timer that fires before it is due on `now` waits out the rest
// instead of running early, so no join, back-off, reading, CONNACK or keep-alive timer takes the
// step for its time. Espruino's clearTimeout(undefined) clears every timer, so only a live id is
// ever cleared. No firmware imports: the MQTT client uses it too, also in Node.

/** Arms `fn` after `ms` (dropping the pending one), or with no `fn` or `ms` 0 just drops the
 *  pending one. */
export type Slot = (fn?: () => void, ms?: number) => void;

/** `now`: milliseconds on a clock that only moves forward. */
export function slot(now: () => number): Slot {
  // A number on Espruino, an object in Node; falsy (0, undefined) when none is pending.
  let id: any;
  /** Set with `f`, read only once a timer runs. */
  let due: number;
  let f: () => void;
  function fire(): void {
    const left = due - now();
    id = left > 0 ? setTimeout(fire, left) : 0;
    if (!id) f();
  }
  return (fn, ms) => {
    if (id) clearTimeout(id);
    id = fn && ms && ((f = fn), (due = now() + ms), setTimeout(fire, ms));
  };
}
