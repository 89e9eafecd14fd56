// One pending timeout at a time, replaced when armed again, due on the uptime clock. When SNTP
// steps the clock forward, every pending Espruino timer fires at once (platform doc §3): a timer
// that fires before its uptime is due waits out the rest instead of running early, so no join,
// back-off or reading timer takes the step for its time. clearTimeout(undefined) clears every
// timer in Espruino, so only a live id is ever cleared.

import { uptimeMs } from "./log";

/** Arms `fn` after `ms` (dropping the pending one), or with no `fn` just drops the pending one. */
export type Slot = (fn?: () => void, ms?: number) => void;

export function slot(): Slot {
  let id = 0;
  let due = 0;
  let f: () => void;
  function fire(): void {
    const left = due - uptimeMs();
    id = left > 0 ? setTimeout(fire, left) : 0;
    if (!id) f();
  }
  return (fn, ms) => {
    if (id) clearTimeout(id);
    id = 0;
    if (fn) {
      f = fn;
      due = uptimeMs() + ms!;
      id = setTimeout(fire, ms);
    }
  };
}
