// Readings waiting to be sent: a ring of fixed size in one Float64Array, row = [uptime ms, value...].
// A typed array is one flat block in Espruino (an array of objects costs several JsVars per
// reading), and its size is set at start, so RAM never grows with uptime. When full, the oldest
// reading is overwritten and counted.

export interface ReadingQueue {
  /** Adds a reading; returns false when the oldest one had to be dropped for it. */
  _push(at: number, values: number[]): boolean;
  /** Column `k` (0 = uptime ms, 1.. = values) of the `i`th oldest reading. */
  _get(i: number, k: number): number;
  /** Forgets the `n` oldest readings. */
  _shift(n: number): void;
  _size(): number;
  _dropped(): number;
}

export function createQueue(capacity: number, width: number): ReadingQueue {
  const row = width + 1;
  const a = new Float64Array(capacity * row);
  let head = 0;
  let count = 0;
  let lost = 0;
  function get(i: number, k: number): number {
    return a[((head + i) % capacity) * row + k];
  }
  function shift(n: number): void {
    if (n > count) n = count;
    head = (head + n) % capacity;
    count -= n;
  }
  return {
    _push: (at, values) => {
      const full = count == capacity;
      let o: number;
      if (full) {
        shift(1);
        lost++;
      }
      o = ((head + count) % capacity) * row;
      a[o] = at;
      for (let k = 0; k < width; k++) a[o + 1 + k] = values[k];
      count++;
      return !full;
    },
    _get: get,
    _shift: shift,
    _size: () => count,
    _dropped: () => lost,
  };
}
