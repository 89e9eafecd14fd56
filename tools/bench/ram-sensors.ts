// `npm run bench -- ram`, its last part: each sensor driver's JsVars on the real interpreter (Espruino
// 2v29's Linux build). The firmware built with that driver runs on a board with its part's model
// (tools/vboard/sensors/), the same firmware built with "sensor": "simulated" on a board without one,
// all at once (the DHT22's alone after the others), each connected over plain MQTT to the local endpoint (TLS would add its ~2,400 JsVars
// alike to every board) with telemetry every 2 s. Usage is read over the control channel
// (process.memory(), which collects garbage first) once the endpoint has acknowledged publishes 2, 3
// and 4 and the firmware has then been quiet for QUIET_MS: the reading that went out is done (a
// DS18B20's 750 ms conversion included) and the next is 2 s away.
// The model lives in the same interpreter (Storage .boot0) and is no part of the firmware: what it holds
// is measured alone, a one-line program on the same board with and without the `sensor` option, and
// subtracted; so is its bus log (up to 200 entries, kept for the tests' traffic()), which grows with
// the readings and which the one-line program never fills: E.getSizeOf of it, right after each reading
// of usage. The driver's own JsVars = (firmware with it - its model's bus log) - firmware with the
// simulated sensor - the model alone.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TbEndpoint } from "../tb-endpoint/index.ts";
import { createBoard } from "../vboard/index.ts";
import type { EspruinoBoard } from "../vboard/espruino/board.ts";
import { buildVariants, SENSOR_DRIVERS, type SensorDriver } from "./sensor-builds.ts";

const SSID = "SensorNet";
const PASSWORD = "sensor-bench-pass";
const INTERVAL_MS = 2000;
/** The publishes after which usage is read (1-based): the first goes out with the clock step. */
const AT_PUBLISHES = [2, 3, 4];
const QUIET_MS = 200;
const CONNECT_LIMIT_MS = 30_000;
const PUBLISH_STALL_MS = 15_000;
/** What the models are set to: plausible room values. */
const VALUES = { temperature: 22.5, humidity: 45, pressure: 1013.25 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface SensorRamRow {
  driver: SensorDriver;
  /** Medians over the readings; undefined when the board gave none (see `trouble`). */
  firmware?: number;
  log?: number;
  model?: number;
  own?: number;
}

export interface SensorRamResult {
  simulated?: number;
  bare?: number;
  rows: SensorRamRow[];
  /** Lines that say what went wrong, if anything ("! …"). */
  trouble: string[];
}

/** Usage of a board running a one-line program, with or without a part's model: the median of 3. */
async function modelAlone(bin: string, dir: string, kind: SensorDriver | undefined): Promise<number> {
  const b = createBoard({
    engine: "espruino", espruinoBin: bin, board: "esp32", storageDir: join(dir, `alone-${kind ?? "none"}`),
    ...(kind ? { sensor: { kind, ...VALUES } } : {}),
  }) as EspruinoBoard;
  try {
    b.flash('print("ready");\n');
    b.boot();
    await b.waitFor(/^ready$/, 15_000);
    await b.memory(); // the control channel's handler settles on its first call
    const xs: number[] = [];
    for (let i = 0; i < 3; i++) xs.push((await b.memory()).usage);
    return median(xs);
  } finally {
    await b.stop();
  }
}

export async function runSensorRamBench(print: (line: string) => void, bin: string,
  drivers: readonly SensorDriver[] = SENSOR_DRIVERS): Promise<SensorRamResult> {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "tb-ram-sensors-"));
  const boards: EspruinoBoard[] = [];
  let ep: TbEndpoint | undefined;
  const result: SensorRamResult = { rows: drivers.map((driver) => ({ driver })), trouble: [] };
  const names = ["simulated", ...drivers] as const;
  let blocksize = 0;
  try {
    ep = await TbEndpoint.start({ devices: names.map((n) => ({ name: n, token: `SENSOR_RAM_${n.toUpperCase()}` })), tcp: { port: 0 }, http: false });
    const configFile = join(dir, "config.json");
    writeFileSync(configFile, JSON.stringify({
      board: "esp32", wifiSsid: SSID, wifiPassword: PASSWORD, host: "localhost", port: ep.ports.tcp, tls: false,
      accessToken: "SENSOR_RAM_SIMULATED", telemetryIntervalMs: INTERVAL_MS, logLevel: "info",
    }));
    // The models alone while the bundles build: quick, and idle once booted.
    const aloneRuns = Promise.all([undefined, ...drivers].map((k) => modelAlone(bin, dir, k)));
    const builds = await buildVariants(configFile, {}, names.map((n) => ({ name: n, env: { TB_SENSOR: n, TB_ACCESS_TOKEN: `SENSOR_RAM_${n.toUpperCase()}` } })));
    const alone = await aloneRuns;
    result.bare = alone[0]!;
    drivers.forEach((d, i) => (result.rows[i]!.model = alone[i + 1]! - result.bare!));

    // The firmware boards, at once, but the DHT22's after the others on its own: its model answers a
    // start signal within microseconds of board time, which a Linux process that waits for a CPU
    // misses (measured: with five other boards beside it on 2 CPUs its readings fail).
    const acked = new Map<string, number[]>(names.map((n) => [n, []]));
    ep.on("telemetry", (name: string) => acked.get(name)?.push(Date.now()));
    const waves = [names.filter((n) => n !== "dht22"), names.filter((n) => n === "dht22")].filter((w) => w.length);
    const measured: Array<{ n: string; usage: number[]; log: number[] }> = [];
    for (const wave of waves) measured.push(...await measureWave(wave));
    async function measureWave(wave: Array<"simulated" | SensorDriver>) {
      const waveBoards: EspruinoBoard[] = [];
      const runs = wave.map((n) => {
        const kind = n === "simulated" ? undefined : n;
        const b = createBoard({
          engine: "espruino", espruinoBin: bin, board: "esp32", storageDir: join(dir, `fw-${n}`),
          ap: { ssid: SSID, password: PASSWORD }, timeScale: 1, timeServer: true,
          ...(kind ? { sensor: { kind, ...VALUES } } : {}),
        }) as EspruinoBoard;
        boards.push(b);
        waveBoards.push(b);
        let lineAt = 0;
        b.on("line", () => { lineAt = Date.now(); });
        b.flash(builds.get(n)!.code);
        b.boot();
        return { n, kind, b, lastLine: () => lineAt };
      });
      const measured = await Promise.all(runs.map(async ({ n, kind, b, lastLine }) => {
        const usage: number[] = [];
        const log: number[] = [];
        try {
          await b.waitFor(/ tb_mqtt: Connected to ThingsBoard$/, CONNECT_LIMIT_MS);
          const times = acked.get(n)!;
          for (const at of AT_PUBLISHES) {
            for (let last = times.length, since = Date.now(); times.length < at;) {
              if (times.length > last) [last, since] = [times.length, Date.now()];
              if (Date.now() - since > PUBLISH_STALL_MS) throw new Error(`the endpoint acknowledged ${times.length} of ${at} publishes, none in ${PUBLISH_STALL_MS / 1000} s`);
              await sleep(20);
            }
            while (Date.now() - Math.max(lastLine(), times[times.length - 1]!) < QUIET_MS) await sleep(10);
            const m = await b.memory();
            usage.push(m.usage);
            blocksize = m.blocksize;
            if (kind) log.push(Number(await b.evaluate(`E.getSizeOf(__vbSensor.ctl("traffic"))`)));
          }
          const t = ep!.telemetry(n).at(-1)?.values ?? {};
          const want = kind === "bme280" ? ["humidity", "pressure", "temperature"] : kind === "ds18b20" ? ["temperature"] : ["humidity", "temperature"];
          const got = Object.keys(t).sort();
          if (got.join() !== want.join()) result.trouble.push(`! ${n}: the endpoint got ${JSON.stringify(t)}, expected the keys ${want.join(", ")}`);
        } catch (e) {
          result.trouble.push(`! ${n}: ${(e as Error).message}`);
        }
        for (const l of b.output.split("\n")) {
          if (/Uncaught|ASSERT|FAILED|Not enough memory|LOW_MEMORY|E vboard:|^[EW] \(\d+\) sensor: /.test(l)) result.trouble.push(`! ${n}: ${l.slice(0, 200)}`);
        }
        return { n, usage, log };
      }));
      for (const b of waveBoards) await b.stop();
      return measured;
    }
    for (const m of measured) {
      if (m.usage.length < AT_PUBLISHES.length) continue;
      if (m.n === "simulated") {
        result.simulated = median(m.usage);
        continue;
      }
      const row = result.rows.find((r) => r.driver === m.n)!;
      row.firmware = median(m.usage);
      row.log = median(m.log);
      row.own = median(m.usage.map((u, i) => u - m.log[i]!));
    }
    for (const row of result.rows) {
      if (row.own !== undefined && result.simulated !== undefined && row.model !== undefined) row.own = row.own - result.simulated - row.model;
      else row.own = undefined;
    }

    // --- report -------------------------------------------------------------------------------------
    const num = (v: number | undefined, w: number) => (v === undefined ? "-" : String(Math.round(v))).padStart(w);
    print(`sensor drivers' JsVars: each driver's firmware on a board with its part's model, the firmware with "sensor": "simulated" ` +
      `on a board without one, at once (the DHT22's alone after them); plain MQTT to the local endpoint, telemetry every ${INTERVAL_MS / 1000} s; usage over the control ` +
      `channel ${QUIET_MS} ms after publishes ${AT_PUBLISHES.join(", ")} (median)`);
    print(`  ${"driver".padEnd(8)} ${"firmware".padStart(8)} ${"simulated".padStart(9)} ${"difference".padStart(10)} ` +
      `${"model alone".padStart(11)} ${"model's log".padStart(11)} ${"driver".padStart(6)} ${"bytes".padStart(6)}`);
    for (const r of result.rows) {
      const diff = r.firmware === undefined || result.simulated === undefined ? undefined : r.firmware - result.simulated;
      print(`  ${r.driver.padEnd(8)} ${num(r.firmware, 8)} ${num(result.simulated, 9)} ${num(diff, 10)} ${num(r.model, 11)} ${num(r.log, 11)} ` +
        `${num(r.own, 6)} ${num(r.own === undefined ? undefined : r.own * blocksize, 6)}`);
    }
    print(`  driver = difference - model alone - model's log. Model alone: a one-line program on the same board with the part's model ` +
      `minus without it (${num(result.bare, 0)} JsVars); the model's bus log (its last 200 transactions, for tests) by E.getSizeOf at each reading; ` +
      `${blocksize} bytes a JsVar; wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    for (const l of result.trouble) print(l);
    return result;
  } finally {
    for (const b of boards) await b.stop();
    await ep?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
