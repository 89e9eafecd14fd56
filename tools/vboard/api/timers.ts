// setTimeout/setInterval and the clock (getTime, setTime), on the board's clock (clock.ts).
import type { BoardTimers } from "../clock.ts";
import type { ProgramHost } from "./host.ts";

export function timerGlobals(p: ProgramHost, t: BoardTimers): Record<string, unknown> {
  const clock = p.s.clock;
  return {
    setTimeout: p.guard((fn: unknown, ms?: unknown, ...a: unknown[]) => (p.alive ? t.set(fn, ms, a, false) : 0)),
    setInterval: p.guard((fn: unknown, ms?: unknown, ...a: unknown[]) => (p.alive ? t.set(fn, ms, a, true) : 0)),
    clearTimeout: (id?: unknown) => t.clear(id, "Timeout"),
    clearInterval: (id?: unknown) => t.clear(id, "Interval"),
    getTime: () => clock.now(),
    setTime: (sec: unknown) => clock.setTime(Number(sec)),
  };
}
