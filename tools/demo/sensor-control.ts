// The demo's sensor (npm start -- --sensor KIND): the part's model on the virtual board, fed values that
// drift slowly and plausibly (a room: 21-23 °C, 40-50 %RH, about 1013 hPa), plugged in or not from the
// live page, and the firmware's sensor lines (its `E/W/I (…) sensor: …` log) kept for the page.
import { EventEmitter } from "node:events";
import type { SensorControl, SensorValues } from "../vboard/index.ts";

/** The newest sensor lines the page shows. */
const LINES = 12;
/** How often the model gets new values (host time). */
const DRIFT_MS = 2000;
const SENSOR_LINE = /^[EWI] \(\d+\) sensor: /;

/** The room at `t` seconds: slow waves of different periods, so no two minutes look alike. */
export function driftingValues(t: number): Required<SensorValues> {
  const wave = (period: number, phase = 0) => Math.sin((2 * Math.PI * t) / period + phase);
  const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    temperature: round(22 + 0.8 * wave(600) + 0.15 * wave(47, 1), 2),
    humidity: round(45 + 4 * wave(900, 2) + 0.5 * wave(71), 1),
    pressure: round(1013 + 1.5 * wave(1800, 3) + 0.1 * wave(113), 2),
  };
}

export interface SensorState {
  kind: string;
  present: boolean;
  /** The firmware's latest sensor lines, oldest first. */
  lines: string[];
}

/** Events: "change" (SensorState). */
export class DemoSensor extends EventEmitter {
  private present = true;
  private readonly lines: string[] = [];
  private timer?: NodeJS.Timeout;

  constructor(readonly kind: string, private readonly control: () => SensorControl | undefined, private readonly timeScale = 1) {
    super();
  }

  /** Starts the drift: new values every DRIFT_MS, in the board's time. */
  start(): void {
    const t0 = Date.now();
    this.timer = setInterval(() => {
      // A board between two lives (a reboot) has no program to take them: the next tick will.
      this.control()?.set(driftingValues(((Date.now() - t0) / 1000) * this.timeScale)).catch(() => {});
    }, DRIFT_MS);
  }

  state(): SensorState {
    return { kind: this.kind, present: this.present, lines: this.lines.slice() };
  }

  /** Plugs the part in or out; resolves once the model has it. */
  async setPresent(present: boolean): Promise<void> {
    const c = this.control();
    if (!c) throw new Error("the board has no sensor");
    await c.setPresent(present);
    this.present = present;
    this.emit("change", this.state());
  }

  /** A line of the board's serial log: kept when it is the firmware's sensor line. */
  line(line: string): void {
    if (!SENSOR_LINE.test(line)) return;
    this.lines.push(line);
    if (this.lines.length > LINES) this.lines.shift();
    this.emit("change", this.state());
  }

  close(): void {
    clearInterval(this.timer);
    this.removeAllListeners();
  }
}
