// The board's clock and timers. With timeScale N the board's time runs N times faster than the
// host's: getTime() advances N seconds per real second and a 15 s timeout fires after 1.5 s.
//
// Timers are kept as Espruino keeps them: each is due at a moment of the board's clock, and an idle
// pass runs every timer that is due. So when the clock steps (SNTP setting it ~56 years forward
// behind Espruino's back, docs/espruino.md §3.2), every pending setTimeout fires at once and a setInterval
// runs back to back, adding its interval each time, until it has caught up with the new time: one
// run per pass, each pass on its own setImmediate turn, so Node's I/O keeps going meanwhile.
import { performance } from "node:perf_hooks";

export class BoardClock {
  private bootReal = performance.now();
  private offset = 0;
  private watchers = new Set<() => void>();

  constructor(readonly timeScale = 1) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
      throw new Error(`timeScale must be a positive number, got ${timeScale}`);
    }
  }

  /** Seconds since boot (or since 1970 once setTime was called), as a float like Espruino's getTime(). */
  now(): number {
    return this.offset + ((performance.now() - this.bootReal) * this.timeScale) / 1000;
  }

  /** Sets the clock; timers keyed on it (BoardTimers) look again, as after an SNTP step. */
  setTime(seconds: number): void {
    this.offset += Number(seconds) - this.now();
    for (const w of [...this.watchers]) w();
  }

  /** Calls `fn` after every setTime; returns what stops that. */
  onSet(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** A hardware reset starts the clock from zero again. */
  restart(): void {
    this.bootReal = performance.now();
    this.offset = 0;
  }

  /** Real milliseconds for a board delay in milliseconds. */
  realMs(boardMs: number): number {
    const ms = Number(boardMs);
    return Number.isFinite(ms) && ms > 0 ? ms / this.timeScale : 0;
  }
}

interface BoardTimer {
  fn: (...a: unknown[]) => void;
  args: unknown[];
  /** Board time in ms at which it is due. */
  due: number;
  /** Board ms between runs; 0 for a timeout. */
  every: number;
}

/** setTimeout/setInterval with numeric ids, all cleared at once when the program is torn down. */
export class BoardTimers {
  private next = 1;
  /** In id order (a Map keeps insertion order), the order Espruino's idle loop runs them in. */
  private live = new Map<number, BoardTimer>();
  private wakeAt?: NodeJS.Timeout;
  private wakeNow?: NodeJS.Immediate;
  private unwatch?: () => void;

  constructor(private clock: BoardClock, private run: (fn: () => void) => void) {}

  set(fn: unknown, ms: unknown, args: unknown[], repeat: boolean): number {
    if (typeof fn !== "function") throw new TypeError("Function or String not supplied!");
    const id = this.next++;
    const delay = Math.max(Number(ms) || 0, 0);
    // An interval of 0 would never move on; 1 ms is the shortest one here.
    const every = repeat ? Math.max(delay, 1) : 0;
    this.live.set(id, { fn: fn as (...a: unknown[]) => void, args, due: this.nowMs() + (repeat ? every : delay), every });
    this.schedule();
    return id;
  }

  /**
   * Espruino 2v29's clearTimeout(id)/clearInterval(id) given an argument (with none they clear every
   * timer: clearAll). An explicit `undefined` throws, as the 2v29 Linux build does (measured, docs/espruino.md
   * §3.2; a RangeError here, which the program sees as its Error: api/host.ts guard); any other id that
   * is not live (already fired, cleared, never issued, 0, null) is ignored. `kind` is which of the two
   * was called: they share one set of ids, as in Espruino.
   */
  clear(id: unknown, kind: "Timeout" | "Interval" = "Timeout"): void {
    if (id === undefined) throw new RangeError(`clear${kind}(undefined) not allowed. Use clear${kind}() instead`);
    if (this.live.delete(Number(id))) this.schedule();
  }

  clearAll(): void {
    this.live.clear();
    this.schedule();
  }

  get count(): number {
    return this.live.size;
  }

  private nowMs(): number {
    return this.clock.now() * 1000;
  }

  /** Wakes for the earliest due timer (at once when one is due), and listens to the clock while any is pending. */
  private schedule(): void {
    if (this.wakeAt) clearTimeout(this.wakeAt);
    if (this.wakeNow) clearImmediate(this.wakeNow);
    this.wakeAt = this.wakeNow = undefined;
    if (this.live.size === 0) {
      this.unwatch?.();
      this.unwatch = undefined;
      return;
    }
    this.unwatch ??= this.clock.onSet(() => this.schedule());
    let due = Infinity;
    for (const t of this.live.values()) due = Math.min(due, t.due);
    const wait = this.clock.realMs(due - this.nowMs());
    if (wait > 0) this.wakeAt = setTimeout(() => this.pass(), wait);
    else this.wakeNow = setImmediate(() => this.pass());
  }

  /** One round of Espruino's idle loop: each timer due now runs once, in id order; an interval is
   *  then due one interval later, which after a step is still in the past (it runs again next pass). */
  private pass(): void {
    this.wakeAt = this.wakeNow = undefined;
    const now = this.nowMs();
    for (const [id, t] of [...this.live]) {
      if (t.due > now || this.live.get(id) !== t) continue;
      if (t.every) t.due += t.every;
      else this.live.delete(id);
      this.run(() => t.fn(...t.args));
    }
    this.schedule();
  }
}
