// Pins: LED1 and the board's LED pin, digitalWrite/digitalRead/pinMode. No hardware: a pin keeps the
// level last written, which tests read back.
import type { ProgramHost } from "./host.ts";

interface PinLike {
  write(v: unknown): void;
  read(): boolean;
}

function makePin(name: string, states: Map<string, boolean>): PinLike & Record<string, unknown> {
  return {
    write: (v: unknown) => void states.set(name, !!v),
    read: () => states.get(name) ?? false,
    set: () => void states.set(name, true),
    reset: () => void states.set(name, false),
    toggle: () => { const v = !(states.get(name) ?? false); states.set(name, v); return v; },
    mode: () => undefined,
    toString: () => name,
  };
}

function pinOf(p: unknown, states: Map<string, boolean>): PinLike {
  if (p && typeof p === "object" && typeof (p as PinLike).write === "function") return p as PinLike;
  if (typeof p === "string" || typeof p === "number") return makePin(typeof p === "number" ? `D${p}` : p, states);
  throw new TypeError(`Expecting a Pin, got ${typeof p}`);
}

export function pinGlobals(p: ProgramHost): Record<string, unknown> {
  const pins = p.s.pins;
  const ledPin = p.s.json.device.ledPin;
  const led = makePin(ledPin, pins);
  return {
    LED1: led,
    [ledPin]: led,
    digitalWrite: p.guard((pin: unknown, v: unknown) => pinOf(pin, pins).write(v)),
    digitalRead: p.guard((pin: unknown) => pinOf(pin, pins).read()),
    pinMode: p.guard((pin: unknown) => void pinOf(pin, pins)),
  };
}
