// What the device suites share: a fresh board running a test build, and the simulated sensor's readings.
import { join } from "node:path";
import { createBoard, type Board, type EngineName, type VirtualBoardOptions } from "../../tools/vboard/index.ts";

/** A fresh board (its own storage under `dir`) running `code`, joined to the test access point;
 *  `more` adds board options (a sensor model). Its clock starts at 1970; stepClock() sets it as SNTP
 *  would. Stop it in finally. */
export function bootDevice(engine: EngineName, dir: string, code: string, timeScale: number, more: Partial<VirtualBoardOptions> = {}): Board {
  const b = createBoard({
    engine, board: "esp32", storageDir: join(dir, "vb-" + Math.random().toString(36).slice(2)),
    ap: { ssid: "TestNet", password: "correct-horse" }, timeScale, ...more,
  });
  b.flash(code);
  b.boot();
  return b;
}

/** Reading number n of the simulated source, from its values (unique for n < 1155). */
export function readingNo(v: Record<string, unknown>): number {
  const a = ((v.temperature as number) - 25) * 2;
  const h = (v.humidity as number) - 26;
  for (let n = 0; n < 1155; n++) if (n % 21 === a && n % 55 === h) return n;
  throw new Error("not a simulated reading: " + JSON.stringify(v));
}
