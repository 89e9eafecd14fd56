// The host's side of the virtual board's sensor (issue 13): the `sensor` option, and the control a
// test holds (board.sensor). The models themselves live in model.js, which both engines run inside
// the program's interpreter; this file only resolves the options, builds the install script and
// forwards control calls to the running program (docs/espruino.md §3.6).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BoardJson } from "../../common/index.ts";

export type SensorKind = "sht3x" | "sht4x" | "bme280" | "ds18b20" | "dht22";
export const SENSOR_KINDS: readonly SensorKind[] = ["sht3x", "sht4x", "bme280", "ds18b20", "dht22"];

/** The sensor wired to the virtual board (VirtualBoardOptions.sensor). Pins are GPIO numbers and
 *  default to the board file's device.sensorPins; the address to the part's default (0x44, 0x76). */
export interface SensorOptions {
  kind: SensorKind;
  address?: number;
  sda?: number;
  scl?: number;
  pin?: number;
  /** °C */
  temperature?: number;
  /** %RH */
  humidity?: number;
  /** hPa (BME280) */
  pressure?: number;
  /** false: not plugged in at power-on (default true). */
  present?: boolean;
}

export interface SensorValues {
  temperature?: number;
  humidity?: number;
  /** hPa */
  pressure?: number;
}

/** BME280 calibration words as the datasheet names them (dig_T1 … dig_H6 without "dig_"). */
export interface Bme280Calibration {
  T1: number; T2: number; T3: number;
  P1: number; P2: number; P3: number; P4: number; P5: number; P6: number; P7: number; P8: number; P9: number;
  H1: number; H2: number; H3: number; H4: number; H5: number; H6: number;
}

/** Raw words per kind: SHT3x/SHT4x {t, rh} (16-bit sensor words); DHT22 {rh, t} (RH×10, T×10 with
 *  bit 15 the sign); DS18B20 {t} (the 16-bit temperature register, 1/16 °C); BME280 {adcT, adcP}
 *  (20-bit), {adcH} (16-bit) and calibration words. */
export interface SensorRaw {
  t?: number;
  rh?: number;
  adcT?: number;
  adcP?: number;
  adcH?: number;
  calibration?: Partial<Bme280Calibration>;
}

/** What a test holds of the sensor (board.sensor). Every call reaches the model in the running
 *  program; set, setRaw, setPresent and holdBus also hold across reboots (a power cycle replays them). */
export interface SensorControl {
  readonly kind: SensorKind;
  /** Physical values the next measurement gives (encoded with the datasheet's formulas). */
  set(values: SensorValues): Promise<void>;
  /** Raw words the next measurement gives. */
  setRaw(raw: SensorRaw): Promise<void>;
  /** Unplugged: no ACK (reads 0xFF), no presence pulse, no answer to a start signal. */
  setPresent(present: boolean): Promise<void>;
  /** The next n readings carry one data bit flipped after their CRC (checksum) was computed; the
   *  BME280, which has no CRC, gives a wrong temperature sample instead. */
  corrupt(n: number): Promise<void>;
  /** I2C: SDA held low (every transfer throws the Arbitration error); 1-Wire and DHT22: the line held low. */
  holdBus(held: boolean): Promise<void>;
  /** The last (at most 200) bus transactions of this run, oldest first: "w 0x44 24 00",
   *  "r 0x44 6 = 63 d2 ..", "r 0x45 6 nack", "reset presence", "cmd 0x44", "start 1.20 ms: answer …". */
  traffic(): Promise<string[]>;
}

/** The install configuration the model reads (model.js's `cfg`). */
interface ModelConfig {
  kind: SensorKind;
  address: number;
  sda: number;
  scl: number;
  pin: number;
  present: boolean;
  hold: boolean;
  ops: [string, unknown][];
}

/** model.js without its comments and indentation: the interpreter lexes a function's text at each
 *  call (from flash, for .boot0), so less text is faster there. The file has no regex literals and
 *  no "//" inside its strings, which this relies on (a test checks the result still runs). */
export function stripModel(text: string): string {
  return text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("//"))
    .map((l) => l.replace(/\s+\/\/ .*$/, "")).join("\n");
}
const MODEL = stripModel(readFileSync(join(import.meta.dirname, "model.js"), "latin1"));

function gpio(name: string, what: string): number {
  const m = /^D(\d+)$/.exec(name);
  if (!m) throw new Error(`board file: device.sensorPins.${what} is "${name}", expected a pin name such as "D21"`);
  return Number(m[1]);
}

function checkNumber(v: unknown, what: string): void {
  if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v))) throw new Error(`sensor.${what} must be a finite number, got ${String(v)}`);
}

/** The sensor of a board: its options resolved, and the state that a power cycle replays. */
export class SensorHost {
  readonly kind: SensorKind;
  private cfg: ModelConfig;

  constructor(o: SensorOptions, json: BoardJson) {
    if (!o || typeof o !== "object" || !SENSOR_KINDS.includes(o.kind)) {
      throw new Error(`sensor.kind must be one of ${SENSOR_KINDS.join(", ")}, got ${String(o?.kind)}`);
    }
    for (const k of ["address", "sda", "scl", "pin", "temperature", "humidity", "pressure"] as const) checkNumber(o[k], k);
    const pins = json.device.sensorPins;
    this.kind = o.kind;
    const values: SensorValues = {};
    if (o.temperature !== undefined) values.temperature = o.temperature;
    if (o.humidity !== undefined) values.humidity = o.humidity;
    if (o.pressure !== undefined) values.pressure = o.pressure;
    this.cfg = {
      kind: o.kind,
      address: o.address ?? (o.kind === "bme280" ? 0x76 : 0x44),
      sda: o.sda ?? gpio(pins.sda, "sda"),
      scl: o.scl ?? gpio(pins.scl, "scl"),
      pin: o.pin ?? gpio(pins.pin, "pin"),
      present: o.present ?? true,
      hold: false,
      ops: Object.keys(values).length ? [["set", values]] : [],
    };
  }

  /** The code that installs the model in a program: model.js called with the current state. */
  script(): string {
    return `${MODEL}(${JSON.stringify(this.cfg)});\n`;
  }

  /** A control whose calls run `exec(expr)` in the running program (undefined when none runs). */
  control(exec: (expr: string) => Promise<unknown>): SensorControl {
    const call = (name: string, arg: unknown) => exec(`__vbSensor.ctl(${JSON.stringify(name)},${JSON.stringify(arg)})`);
    const remember = (name: string, arg: unknown) => {
      const ops = this.cfg.ops;
      const lastOp = ops[ops.length - 1];
      // Consecutive calls of one kind merge, so the list stays short.
      if (lastOp && lastOp[0] === name) lastOp[1] = { ...(lastOp[1] as object), ...(arg as object) };
      else ops.push([name, arg]);
    };
    return {
      kind: this.kind,
      set: async (v) => {
        for (const k of ["temperature", "humidity", "pressure"] as const) checkNumber(v?.[k], k);
        remember("set", v);
        await call("set", v);
      },
      setRaw: async (r) => {
        remember("setRaw", r);
        await call("setRaw", r);
      },
      setPresent: async (p) => {
        this.cfg.present = !!p;
        await call("setPresent", !!p);
      },
      corrupt: async (n) => {
        if (!Number.isInteger(n) || n < 0) throw new Error(`corrupt(n) needs a whole number >= 0, got ${n}`);
        await call("corrupt", n);
      },
      holdBus: async (h) => {
        this.cfg.hold = !!h;
        await call("holdBus", !!h);
      },
      traffic: async () => {
        const v = await exec(`__vbSensor.ctl("traffic")`);
        return Array.isArray(v) ? v.map(String) : [];
      },
    };
  }
}
