// The board's clock and timers. With timeScale N the board's time runs N times faster than the
// host's: getTime() advances N seconds per real second and a 15 s timeout fires after 1.5 s.
import { performance } from "node:perf_hooks";

export class BoardClock {
  private bootReal = performance.now();
  private offset = 0;

  constructor(readonly timeScale = 1) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
      throw new Error(`timeScale must be a positive number, got ${timeScale}`);
    }
  }

  /** Seconds since boot (or since 1970 once setTime was called), as a float like Espruino's getTime(). */
  now(): number {
    return this.offset + ((performance.now() - this.bootReal) * this.timeScale) / 1000;
  }

  setTime(seconds: number): void {
    this.offset += Number(seconds) - this.now();
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

/** setTimeout/setInterval with numeric ids, all cleared at once when the program is torn down. */
export class BoardTimers {
  private next = 1;
  private live = new Map<number, NodeJS.Timeout>();

  constructor(private clock: BoardClock, private run: (fn: () => void) => void) {}

  set(fn: unknown, ms: unknown, args: unknown[], repeat: boolean): number {
    if (typeof fn !== "function") throw new TypeError("Function or String not supplied!");
    const id = this.next++;
    const call = () => this.run(() => (fn as (...a: unknown[]) => void)(...args));
    const delay = this.clock.realMs(Number(ms ?? 0));
    if (repeat) {
      this.live.set(id, setInterval(call, Math.max(delay, 1)));
    } else {
      this.live.set(id, setTimeout(() => { this.live.delete(id); call(); }, delay));
    }
    return id;
  }

  /**
   * Espruino's clearTimeout/clearInterval: `undefined` (or no argument) clears every timer, and an
   * id that is not live (already fired, cleared, or 0) throws "Unknown Timeout"/"Unknown Interval"
   * (jswrap_interactive.c, _jswrap_interface_clearTimeoutOrInterval).
   */
  clear(id: unknown, kind: "Timeout" | "Interval"): void {
    if (id === undefined) return this.clearAll();
    const t = this.live.get(Number(id));
    if (!t) throw new Error(`Unknown ${kind}`);
    clearTimeout(t);
    this.live.delete(Number(id));
  }

  clearAll(): void {
    for (const t of this.live.values()) clearTimeout(t);
    this.live.clear();
  }

  get count(): number {
    return this.live.size;
  }
}
