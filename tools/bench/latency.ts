// `npm run bench -- latency`: time to first telemetry. The firmware bundle (esp32, default telemetry
// interval) on each engine of the virtual board in turn, node then espruino (the real interpreter,
// ESPRUINO_BIN, skipped with a line when there is none), against the local ThingsBoard endpoint over
// TLS on loopback, with the simulated access point answering a join after JOIN_DELAY_MS and a time
// server on the network. Prints, in host milliseconds after the firmware's first line: Wi-Fi joined
// and CONNACK (the firmware's own lines), the first telemetry PUBACK (the endpoint's receipt of the
// first telemetry publish, which it acknowledges at once) and the firmware's line for that PUBACK.
// It prints figures; it asserts nothing about them.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFirmware } from "../bundler/build.ts";
import { generateSelfSigned } from "../certs/generate.ts";
import { TbEndpoint } from "../tb-endpoint/index.ts";
import { createBoard, ENGINE_NAMES, type Board, type EngineName } from "../vboard/index.ts";
import { espruinoBinary } from "../vboard/espruino/native.ts";
import { ramBenchInterpreter } from "./ram.ts";

const TOKEN = "LATENCY_BENCH_TOKEN1";
const SSID = "LatencyNet";
const PASSWORD = "latency-pass";
/** The simulated access point answers a join after this long. */
export const JOIN_DELAY_MS = 1000;
/** Longest wait, from power-on, for the first telemetry on one engine. */
const LIMIT_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The moments of one start, in host ms (Date.now()). */
interface Start {
  powerOn: number;
  boot?: number;
  joined?: number;
  connack?: number;
  /** The endpoint's receipt of the first telemetry publish (its PUBACK goes out at once). */
  firstTelemetry?: number;
  /** The firmware's line for that PUBACK. */
  pubackLine?: number;
  /** Lines that say something went wrong on the board. */
  trouble: string[];
}

/** The rows: label, the moment's key, and the line that marks it on the board. */
const MARKS = [
  { key: "boot", label: "firmware started (its first line)", re: /^[IWE] \(\d+\) / },
  { key: "joined", label: "Wi-Fi joined", re: / wifi: Connected to / },
  { key: "connack", label: "CONNACK", re: / tb_mqtt: Connected to ThingsBoard$/ },
] as const;

async function oneStart(engine: EngineName, bin: string | undefined, code: string, dir: string, ep: TbEndpoint): Promise<Start> {
  const board: Board = createBoard({
    engine, espruinoBin: bin, board: "esp32", storageDir: join(dir, engine),
    ap: { ssid: SSID, password: PASSWORD, joinDelayMs: JOIN_DELAY_MS }, timeScale: 1, timeServer: true,
  });
  const s: Start = { powerOn: 0, trouble: [] };
  board.on("line", (line: string) => {
    const now = Date.now();
    for (const m of MARKS) if (s[m.key] === undefined && m.re.test(line)) s[m.key] = now;
    if (s.pubackLine === undefined && s.firstTelemetry !== undefined && / published msg_id=\d+/.test(line)) s.pubackLine = now;
    if (/Uncaught|ASSERT|FAILED|E vboard:|^E \(/.test(line)) s.trouble.push(line.slice(0, 200));
  });
  const onTelemetry = (name: string) => { if (name === "device") s.firstTelemetry ??= Date.now(); };
  ep.on("telemetry", onTelemetry);
  try {
    board.flash(code);
    s.powerOn = Date.now();
    board.boot();
    const limit = s.powerOn + LIMIT_MS;
    // The PUBACK line follows the endpoint's receipt within milliseconds; a firmware that does not
    // print it is given a second.
    while (Date.now() < limit && (s.firstTelemetry === undefined || (s.pubackLine === undefined && Date.now() - s.firstTelemetry < 1000))) {
      await sleep(20);
    }
  } finally {
    ep.off("telemetry", onTelemetry);
    await board.stop();
    // The next engine starts on a fresh session: wait for the endpoint to see this one end.
    for (let i = 0; i < 100 && ep.isConnected("device"); i++) await sleep(20);
  }
  return s;
}

export async function runLatencyBench(print: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tb-latency-"));
  let ep: TbEndpoint | undefined;
  try {
    const cert = generateSelfSigned({ host: "localhost", outDir: dir });
    ep = await TbEndpoint.start({ devices: [{ name: "device", token: TOKEN }], tls: cert, http: false });
    const configFile = join(dir, "device.config.json");
    // No telemetryIntervalMs: the default, as a user's first build has it.
    writeFileSync(configFile, JSON.stringify({
      board: "esp32", wifiSsid: SSID, wifiPassword: PASSWORD, host: "localhost", port: ep.ports.tls,
      accessToken: TOKEN, logLevel: "info", serverCert: cert.certPath,
    }));
    const fw = await buildFirmware({ configFile, env: {}, outFile: join(dir, "firmware.js") });

    const starts = new Map<EngineName, Start | string>();
    for (const engine of ENGINE_NAMES) {
      let bin: string | undefined;
      if (engine === "espruino") {
        try {
          bin = espruinoBinary(ramBenchInterpreter());
        } catch (e) {
          starts.set(engine, `not run: ${(e as Error).message.replace(/^the espruino engine needs the real interpreter: /, "")}`);
          continue;
        }
      }
      starts.set(engine, await oneStart(engine, bin, fw.code, dir, ep));
    }

    print(`firmware: ${fw.bytes}-byte bundle for esp32, telemetry interval ${fw.config.telemetryIntervalMs} ms (the default), ` +
      `logLevel info; TLS to the local endpoint on 127.0.0.1; the access point answers a join after ${JOIN_DELAY_MS} ms; ` +
      `a time server answers SNTP; time scale 1`);
    const engines = [...starts.keys()];
    const W = 44;
    const cell = (v: number | undefined) => (v === undefined ? "-" : String(Math.round(v))).padStart(10);
    const since = (s: Start | string, t: number | undefined) => (typeof s === "string" || t === undefined || s.boot === undefined ? undefined : t - s.boot);
    print(`${"ms after the firmware started".padEnd(W)}${engines.map((e) => e.padStart(10)).join("")}`);
    const rows: Array<[string, (s: Start) => number | undefined]> = [
      ["power-on (board.boot())", (s) => s.powerOn],
      ...MARKS.map((m) => [m.label, (s: Start) => s[m.key]] as [string, (s: Start) => number | undefined]),
      ["first telemetry PUBACK (endpoint's receipt)", (s) => s.firstTelemetry],
      ["the firmware's line for that PUBACK", (s) => s.pubackLine],
    ];
    for (const [label, get] of rows) {
      print(`${label.padEnd(W)}${engines.map((e) => { const s = starts.get(e)!; return cell(since(s, typeof s === "string" ? undefined : get(s))); }).join("")}`);
    }
    print("steps");
    const step = (label: string, a: (s: Start) => number | undefined, b: (s: Start) => number | undefined) => {
      print(`${label.padEnd(W)}${engines.map((e) => {
        const s = starts.get(e)!;
        if (typeof s === "string") return cell(undefined);
        const x = a(s);
        const y = b(s);
        return cell(x === undefined || y === undefined ? undefined : y - x);
      }).join("")}`);
    };
    step("  boot -> Wi-Fi joined", (s) => s.boot, (s) => s.joined);
    step("  Wi-Fi joined -> CONNACK", (s) => s.joined, (s) => s.connack);
    step("  CONNACK -> first telemetry PUBACK", (s) => s.connack, (s) => s.firstTelemetry);
    for (const e of engines) {
      const s = starts.get(e)!;
      if (typeof s === "string") print(`${e}: ${s}`);
      else {
        const missing = [...MARKS.map((m) => [m.key, m.label] as const), ["firstTelemetry", "first telemetry"] as const]
          .filter(([k]) => s[k as keyof Start] === undefined).map(([, l]) => l);
        if (missing.length) print(`! ${e}: no ${missing.join(", ")} within ${LIMIT_MS / 1000} s of power-on`);
        for (const l of s.trouble) print(`! ${e} board: ${l}`);
      }
    }
  } finally {
    await ep?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
