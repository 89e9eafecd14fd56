// Readings waiting to be sent: a ring of fixed size in one Float64Array, row = [uptime ms, value...].
// A typed array is one flat block in Espruino (an array of objects costs several JsVars per
// reading), and its size is set at start, so RAM never grows with uptime. When full, the oldest
// reading is overwritten and counted.

export interface ReadingQueue {
  /** Adds a reading; returns false when the oldest one had to be dropped for it. */
  push(at: number, values: number[]): boolean;
  /** Column `k` (0 = uptime ms, 1.. = values) of the `i`th oldest reading. */
  get(i: number, k: number): number;
  /** Forgets the `n` oldest readings (all of them when there are fewer). */
  shift(n: number): void;
  /** Readings held. */
  size: number;
  /** Readings dropped so far because the queue was full. */
  dropped: number;
}

/** A queue of `capacity` readings of `width` values each. */
export function createQueue(capacity: number, width: number): ReadingQueue {
  const row = width + 1;
  const a = new Float64Array(capacity * row);
  let head = 0;
  const q: ReadingQueue = {
    size: 0,
    dropped: 0,
    push: (at, values) => {
      const full = q.size == capacity;
      let o: number;
      if (full) {
        q.shift(1);
        q.dropped++;
      }
      o = ((head + q.size) % capacity) * row;
      a[o] = at;
      for (let k = 0; k < width; k++) a[o + 1 + k] = values[k];
      q.size++;
      return !full;
    },
    get: (i, k) => a[((head + i) % capacity) * row + k],
    shift: (n) => {
      if (n > q.size) n = q.size;
      head = (head + n) % capacity;
      q.size -= n;
    },
  };
  return q;
}
