// One pending timeout at a time, replaced when armed again. Espruino's clearTimeout(undefined)
// clears every timer and clearing an id that already fired throws, so only a live id is cleared.

/** Arms `fn` after `ms` (dropping the pending one), or with no `fn` just drops the pending one. */
export type Slot = (fn?: () => void, ms?: number) => void;

export function slot(): Slot {
  let id = 0;
  return (fn, ms) => {
    if (id) clearTimeout(id);
    id = fn
      ? setTimeout(() => {
          id = 0;
          fn();
        }, ms)
      : 0;
  };
}
