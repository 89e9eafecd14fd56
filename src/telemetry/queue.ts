// Readings waiting to be sent: a ring of fixed size in one Float64Array, row = [uptime ms, value...].
// A typed array is one flat block in Espruino (an array of objects costs several JsVars per
// reading), and its size is set at start, so RAM never grows with uptime. When full, the oldest
// reading is overwritten and counted.

export interface ReadingQueue {
  /** Adds a reading; returns false when the oldest one had to be dropped for it. */
  add(at: number, values: number[]): boolean;
  /** Column `k` (0 = uptime ms, 1.. = values) of the `i`th oldest reading. */
  valueAt(i: number, k: number): number;
  /** Forgets the `n` oldest readings (all of them when there are fewer). */
  drop(n: number): void;
  /** Readings held. */
  count: number;
  /** Readings lost so far: dropped, oldest first, because the queue was full. */
  lost: number;
}

/** A queue of `capacity` readings of `width` values each. */
export function createQueue(capacity: number, width: number): ReadingQueue {
  const row = width + 1;
  const a = new Float64Array(capacity * row);
  let head = 0;
  const q: ReadingQueue = {
    count: 0,
    lost: 0,
    add: (at, values) => {
      const full = q.count == capacity;
      let o: number;
      if (full) {
        q.drop(1);
        q.lost++;
      }
      o = ((head + q.count) % capacity) * row;
      a[o] = at;
      for (let k = 0; k < width; k++) a[o + 1 + k] = values[k];
      q.count++;
      return !full;
    },
    valueAt: (i, k) => a[((head + i) % capacity) * row + k],
    drop: (n) => {
      if (n > q.count) n = q.count;
      head = (head + n) % capacity;
      q.count -= n;
    },
  };
  return q;
}
