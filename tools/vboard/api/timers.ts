// setTimeout/setInterval and the clock (getTime, setTime), on the board's clock (clock.ts).
import type { BoardTimers } from "../clock.ts";
import type { ProgramHost } from "./host.ts";

export function timerGlobals(p: ProgramHost, t: BoardTimers): Record<string, unknown> {
  const clock = p.s.clock;
  return {
    setTimeout: p.guard((fn: unknown, ms?: unknown, ...a: unknown[]) => (p.alive ? t.set(fn, ms, a, false) : 0)),
    setInterval: p.guard((fn: unknown, ms?: unknown, ...a: unknown[]) => (p.alive ? t.set(fn, ms, a, true) : 0)),
    // With no argument every timer goes; an explicit undefined throws (BoardTimers.clear).
    clearTimeout: p.guard((...a: unknown[]) => (a.length ? t.clear(a[0], "Timeout") : t.clearAll())),
    clearInterval: p.guard((...a: unknown[]) => (a.length ? t.clear(a[0], "Interval") : t.clearAll())),
    getTime: () => clock.now(),
    setTime: (sec: unknown) => clock.setTime(Number(sec)),
  };
}
