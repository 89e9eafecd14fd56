// Readings waiting to be sent: a ring of fixed size in one Int32Array, row = [uptime ms, value...].
// A typed array is one flat block in Espruino (an array of objects costs several JsVars per
// reading), and its size is set at start, so RAM never grows with uptime. When full, the oldest
// reading is overwritten and counted.
// Int32 rather than Float64 halves the block (50 readings of two values: 51 JsVars instead of 92 on
// the real interpreter). A time is kept modulo 2^32 ms and read back against the newest one's, so
// the readings held never span more than 2^32 ms (49.7 days: the oldest go first). A value is kept
// in 1/10,000ths: exact for what every driver gives (at most four decimals, k/10^d or k/16, well
// inside +/-214,748); a value beyond that range is kept as missing, like NaN.

export interface ReadingQueue {
  /** Adds a reading; returns false when older ones had to be dropped for it. */
  add(at: number, values: number[]): boolean;
  /** Column `k` (0 = uptime ms, 1.. = values, NaN when missing) of the `i`th oldest reading. */
  valueAt(i: number, k: number): number;
  /** Forgets the `n` oldest readings (all of them when there are fewer). */
  drop(n: number): void;
  /** Readings held. */
  count: number;
  /** Readings lost so far: dropped, oldest first, because the queue was full. */
  lost: number;
}

/** The time column's range: the times held must be less than this apart to be told apart. */
const TIME_RANGE_MS = 4294967296;
/** Values are kept as integers of this many to the unit. */
const SCALE = 10000;
/** The Int32 a missing value is kept as: -2^31, which no value in range becomes. */
const MISSING = 1 << 31;

/** A queue of `capacity` readings of `width` values each. */
export function createQueue(capacity: number, width: number): ReadingQueue {
  const row = width + 1;
  const a = new Int32Array(capacity * row);
  let head = 0;
  /** Uptime of the newest reading, in full: the time column is read back against it. */
  let newest: number;
  const q: ReadingQueue = {
    count: 0,
    lost: 0,
    add: (at, values) => {
      const lost = q.lost;
      let o: number;
      let v: number;
      while (q.count && (q.count == capacity || at - q.valueAt(0, 0) >= TIME_RANGE_MS)) {
        q.drop(1);
        q.lost++;
      }
      o = ((head + q.count) % capacity) * row;
      // The store wraps `at` modulo 2^32 (ToInt32, measured alike on both engines).
      a[o] = newest = at;
      for (let k = 0; k < width; k++) {
        v = Math.round(values[k] * SCALE);
        // Out of Int32's range (or NaN) v|0 differs from v.
        a[o + 1 + k] = v == (v | 0) ? v : MISSING;
      }
      q.count++;
      return q.lost == lost;
    },
    valueAt: (i, k) => {
      const v = a[((head + i) % capacity) * row + k];
      // (newest - v) >>> 0 is the reading's age modulo 2^32: exact, as the readings span less.
      return k ? (v == MISSING ? NaN : v / SCALE) : newest - ((newest - v) >>> 0);
    },
    drop: (n) => {
      if (n > q.count) n = q.count;
      head = (head + n) % capacity;
      q.count -= n;
    },
  };
  return q;
}
