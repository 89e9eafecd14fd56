// `npm run bench -- ram`: the firmware's RAM on the real interpreter (Espruino 2v29's Linux build,
// ESPRUINO_BIN). That build takes mbedTLS buffers from JsVars where an ESP32 takes them from native
// heap (docs/espruino.md §3.4), so an absolute figure says little: this suite runs the real bundle
// from Storage and, beside it on the same build with the same certificate, a bare TLS link (a tiny
// program that joins Wi-Fi, sends a hand-written MQTT CONNECT and one QoS 0 PUBLISH and keeps the
// socket open), both against the local ThingsBoard endpoint over TLS, reads process.memory() at the
// same stages and at the same time, and prints the difference: the firmware's own RAM.
//
// How it samples: both boards get the same Storage `.boot1`, which prints process.memory().usage every
// SAMPLE_MS; the host picks the samples by the time they arrive. Nothing is typed into the REPL while
// a socket is open, because that build can stop with `ASSERT(len <= 64) FAILED AT src/jsdevices.c:591`
// when a REPL line arrives while a TLS socket is open (seen with the firmware and with the bare link).
// The sampler's own few JsVars are on both boards, so they cancel in the difference.
// Each board reaches the endpoint through its own TCP relay that holds a new connection for HOLD_MS,
// which makes "Wi-Fi up, TLS handshake pending" a quiet stage to sample.
// Where the firmware's JsVars go at boot (ram-parts.ts): before the comparison, a separate short run
// of the same bundle with a probe after each top-level statement, on a board whose access point is
// absent (so TLS never opens), printed per src/ module and main.ts start-up step beside the
// un-instrumented boot figure of the comparison run, and the part added once connected.
// `--publishes N` runs the comparison until the endpoint has acknowledged N telemetry publishes from
// the firmware (one a second) and reads process.memory().usage after the first and after the last,
// through the virtual board's control channel (tools/vboard/espruino/board.ts), not the REPL.
// RAM_SECONDS sets the run after CONNACK without --publishes (default 30); ESPRUINO_BIN the
// interpreter (default ../shared/espruino/espruino-linux-x64 from the repository root, when it
// exists); RAM_DEBUG=<dir> keeps the boards' console output there.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as tcpConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { buildFirmware } from "../bundler/build.ts";
import { ROOT } from "../common/index.ts";
import { checkServerCert } from "../bundler/cert.ts";
import { generateSelfSigned } from "../certs/generate.ts";
import { TbEndpoint } from "../tb-endpoint/index.ts";
import { createBoard } from "../vboard/index.ts";
import type { EspruinoBoard } from "../vboard/espruino/board.ts";
import { ESPRUINO_HOWTO, espruinoBinary } from "../vboard/espruino/native.ts";
import { PUBLISHES_MAX, PUBLISHES_MIN, type BenchOptions } from "./options.ts";
import { breakdown, instrumentBundle, PROBE_DEFINITION, PROBE_LINE, type Breakdown, type InstrumentedBundle } from "./ram-parts.ts";

/** Espruino's MQTT module doing the same job, above a bare TLS link (docs/espruino.md §3.4:
 *  3,019 blocks in steady state against 2,659 for TLS plus a bare CONNECT, same interpreter build). */
export const ESPRUINO_MQTT_MODULE_JSVARS = 360;
const FW_TOKEN = "RAM_BENCH_FW_TOKEN01";
const LINK_TOKEN = "RAM_BENCH_LINKTOKEN1";
const SSID = "RamNet";
const PASSWORD = "ram-bench-pass";
/** The simulated access point answers a join after this long: the "booted" samples fall inside. */
const JOIN_DELAY_MS = 1500;
/** How long each relay holds a new connection before connecting on: the "Wi-Fi up" samples fall inside. */
const HOLD_MS = 1500;
const SAMPLE_MS = 500;
/** Steady state: the median of this many samples after the run. */
const STEADY_SAMPLES = 5;
/** The "connected" stage: the first sample this long after CONNACK (attributes and first readings sent). */
const SETTLE_MS = 1500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** `p`, marked as handled now: it is awaited later, after other awaits that may take a while. */
const later = <T>(p: Promise<T>): Promise<T> => { p.catch(() => undefined); return p; };

/** ESPRUINO_BIN, else the workplace's copy; undefined when there is none. */
export function ramBenchInterpreter(): string | undefined {
  if (process.env.ESPRUINO_BIN) return process.env.ESPRUINO_BIN;
  const local = join(ROOT, "..", "shared", "espruino", "espruino-linux-x64");
  return existsSync(local) ? local : undefined;
}

/** Storage `.boot1` on both boards: the memory figures as console lines, with no REPL input. Chained
 *  timeouts, not setInterval, which runs back to back after the SNTP clock step (docs/espruino.md §3.2). */
const SAMPLER =
  `(function(){var m=process.memory();print("ram: total "+m.total+" blocksize "+m.blocksize);` +
  `function t(){print("ram: "+process.memory().usage);setTimeout(t,${SAMPLE_MS});}setTimeout(t,${SAMPLE_MS});})();\n` +
  // Defined on every board, called only by the instrumented bundle: all runs start from the same base.
  PROBE_DEFINITION;
/** Storage `.boot3`, the last file before `.bootcde`: the base every figure at boot is counted from.
 *  The Linux build's `Wifi` is a module in Storage (docs/espruino.md §2.5) where a board has it
 *  built in: loaded here, it is in the base, not in the first part that happens to require it. */
const BASE = `require("Wifi");print("ram: base "+process.memory().usage);\n`;

interface Relay {
  port: number;
  /** Host time the first connection arrived, once it has. */
  acceptedAt?: number;
  accepted: Promise<void>;
  close(): Promise<void>;
}

/** A loopback TCP relay to `upstreamPort` that holds each new connection `holdMs` before connecting on. */
function startRelay(upstreamPort: number, holdMs: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let onAccept!: () => void;
  const track = (s: Socket) => { sockets.add(s); s.on("close", () => sockets.delete(s)); s.on("error", () => s.destroy()); };
  const relay: Relay = {
    port: 0,
    accepted: new Promise<void>((r) => (onAccept = r)),
    close: () => new Promise<void>((done) => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      server.close(() => done());
    }),
  };
  const server = createServer((client) => {
    track(client);
    client.pause();
    relay.acceptedAt ??= Date.now();
    onAccept();
    const t = setTimeout(() => {
      timers.delete(t);
      if (client.destroyed) return;
      const up = tcpConnect({ host: "127.0.0.1", port: upstreamPort });
      track(up);
      up.on("close", () => client.destroy());
      client.on("close", () => up.destroy());
      up.on("connect", () => { client.pipe(up); up.pipe(client); client.resume(); });
    }, holdMs);
    timers.add(t);
  });
  return new Promise((res, rej) => {
    server.once("error", rej);
    server.listen(0, "127.0.0.1", () => {
      relay.port = (server.address() as { port: number }).port;
      res(relay);
    });
  });
}

/**
 * The bare TLS link, run from Storage `.bootcde`: Wi-Fi, one tls.connect with the same certificate,
 * a hand-written MQTT 3.1.1 CONNECT (token as user name, clean session, no keep-alive: it sends
 * nothing more, and the bench's endpoint closes no idle session) and, after CONNACK, one QoS 0 PUBLISH
 * of telemetry; then it only keeps the socket open. ASCII, ES5.
 */
export function linkProgram(o: { port: number; token: string; caBase64: string }): string {
  return [
    `var P=${o.port},TOKEN=${JSON.stringify(o.token)},CA=${JSON.stringify(o.caBase64)};`,
    `function u16(t){return String.fromCharCode(t.length>>8,t.length&255)+t;}`,
    `print("link: boot");`,
    `require("Wifi").connect(${JSON.stringify(SSID)},{password:${JSON.stringify(PASSWORD)}},function(){`,
    `  print("link: wifi");`,
    `  var got=0,s=require("tls").connect({host:"localhost",port:P,ca:atob(CA)},function(){`,
    `    var v="\\0\\4MQTT\\4\\x82\\0\\0"+u16("ram-link")+u16(TOKEN);`,
    `    s.write("\\x10"+String.fromCharCode(v.length)+v);`,
    `  });`,
    `  s.on("data",function(d){`,
    `    if(got)return;`,
    `    got=1;`,
    `    if(d.charCodeAt(0)!=0x20||d.charCodeAt(3)!=0){print("link: refused "+d.charCodeAt(3));return;}`,
    `    var p=u16("v1/devices/me/telemetry")+'{"temperature":25,"humidity":26}';`,
    `    s.write("\\x30"+String.fromCharCode(p.length)+p);`,
    `    print("link: connack");`,
    `  });`,
    `  s.on("error",function(e){print("link: error "+JSON.stringify(e));});`,
    `  s.on("close",function(){print("link: closed");});`,
    `});`,
    ``,
  ].join("\n");
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Lines an interpreter printed that a measurement must not pass over in silence. */
function troubleLines(output: string): string[] {
  return output.split("\n").filter((l) =>
    /Uncaught|ASSERT|FAILED|InternalError|Not enough memory|LOW_MEMORY|E vboard:|^E \(|link: (error|refused|closed)/.test(l));
}

/** A board's memory lines, each with the host time it arrived, and the time of every other line. */
class Samples {
  readonly usage: Array<{ t: number; v: number }> = [];
  info?: { total: number; blocksize: number };
  /** Usage before `.bootcde` ran (BASE). */
  base?: number;
  private marks = new Map<string, number>();

  constructor(board: EspruinoBoard, private readonly watch: Record<string, RegExp>) {
    board.on("line", (line: string) => {
      const now = Date.now();
      const u = /^ram: (\d+)$/.exec(line);
      if (u) return void this.usage.push({ t: now, v: Number(u[1]) });
      const i = /^ram: total (\d+) blocksize (\d+)$/.exec(line);
      if (i) return void (this.info = { total: Number(i[1]), blocksize: Number(i[2]) });
      const b = /^ram: base (\d+)$/.exec(line);
      if (b) return void (this.base = Number(b[1]));
      for (const [name, re] of Object.entries(this.watch)) if (!this.marks.has(name) && re.test(line)) this.marks.set(name, now);
    });
  }

  mark(name: string): number {
    const t = this.marks.get(name);
    if (t === undefined) throw new Error(`no "${name}" line was seen`);
    return t;
  }

  /** The last sample that arrived in [from, to), or undefined. */
  lastIn(from: number, to: number): number | undefined {
    return this.usage.filter((s) => s.t >= from && s.t < to).pop()?.v;
  }

  from(t: number, n = Infinity): Array<{ t: number; v: number }> {
    return this.usage.filter((s) => s.t >= t).slice(0, n);
  }
}

/** Usage after the last publish may differ from after the first by this much and still be "no growth". */
export const GROWTH_TOLERANCE = 5;
/** The longest wait for the next publish before the run counts as stalled. */
const PUBLISH_STALL_MS = 20_000;
/** The endpoint's idle limit for the bench's sessions: longer than any run. */
const IDLE_MS = 2 * 86_400_000;
/** How long the firmware prints nothing and the endpoint gets no publish before a reading of its
 *  memory after a publish: the PUBACK is taken and nothing is in flight, every time alike. */
const QUIET_MS = 200;

interface PartsRun {
  breakdown?: Breakdown;
  /** Why there is none. */
  failed?: string;
  trouble: string[];
}

/**
 * The breakdown: the instrumented bundle alone on a board whose access point is absent (Wi-Fi fails
 * after JOIN_DELAY_MS, TLS never opens), its probe lines, and its last sample before the join would
 * have happened: the same moment the comparison calls "booted".
 */
async function runParts(bin: string, dir: string, code: string, map: object): Promise<PartsRun> {
  let ib: InstrumentedBundle;
  try {
    ib = instrumentBundle(code, map);
  } catch (e) {
    return { failed: (e as Error).message, trouble: [] };
  }
  const board = createBoard({
    engine: "espruino", espruinoBin: bin, board: "esp32", storageDir: join(dir, "parts"),
    ap: { ssid: SSID, password: PASSWORD, present: false, joinDelayMs: JOIN_DELAY_MS }, timeScale: 1, timeServer: true,
  }) as EspruinoBoard;
  const values = new Map<number, number>();
  let lastAt = 0;
  board.on("line", (line: string) => {
    const m = PROBE_LINE.exec(line);
    if (!m) return;
    values.set(Number(m[1]), Number(m[2]));
    if (Number(m[1]) === ib.probes - 1) lastAt = Date.now();
  });
  const s = new Samples(board, {});
  try {
    board.writeFile(".boot1", SAMPLER);
    board.writeFile(".boot3", BASE);
    board.flash(ib.code);
    board.boot();
    // Start-up done (the last probe), then one sample past the moment Wi-Fi would have joined.
    const limit = Date.now() + 20_000;
    while (!lastAt && Date.now() < limit && !/^E vboard:/m.test(board.output)) await sleep(50);
    if (!lastAt) {
      return { failed: `the instrumented firmware printed ${values.size} of ${ib.probes} probes: it stopped during start-up`, trouble: troubleLines(board.output) };
    }
    const cut = lastAt + JOIN_DELAY_MS - 50;
    while (!s.from(cut).length && Date.now() < cut + 5 * SAMPLE_MS) await sleep(50);
    const booted = s.lastIn(0, cut);
    if (booted === undefined || s.base === undefined) return { failed: "the instrumented board printed no memory sample before the join", trouble: troubleLines(board.output) };
    return { breakdown: breakdown(ib, values, s.base, booted), trouble: troubleLines(board.output) };
  } catch (e) {
    return { failed: (e as Error).message, trouble: troubleLines(board.output) };
  } finally {
    if (process.env.RAM_DEBUG) writeFileSync(join(process.env.RAM_DEBUG, "parts.log"), board.output);
    await board.stop();
  }
}

export async function runRamBench(print: (line: string) => void, opts: BenchOptions = {}): Promise<void> {
  const found = ramBenchInterpreter();
  let bin: string;
  try {
    if (!found) throw new Error(ESPRUINO_HOWTO);
    bin = espruinoBinary(found);
  } catch (e) {
    console.error(`bench ram: no Espruino interpreter to measure on: ${(e as Error).message.replace(/^the espruino engine needs the real interpreter: /, "")}`);
    process.exit(1);
  }
  const publishes = opts.publishes;
  if (publishes !== undefined && !(Number.isInteger(publishes) && publishes >= PUBLISHES_MIN && publishes <= PUBLISHES_MAX)) {
    throw new Error(`publishes must be an integer ${PUBLISHES_MIN}-${PUBLISHES_MAX}, got ${publishes}`);
  }
  const seconds = Number(process.env.RAM_SECONDS ?? 30);
  if (publishes === undefined && !(seconds >= 3 && seconds <= 600)) throw new Error(`RAM_SECONDS must be 3-600, got ${process.env.RAM_SECONDS}`);

  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "tb-ram-"));
  const boards: EspruinoBoard[] = [];
  const relays: Relay[] = [];
  let ep: TbEndpoint | undefined;
  let parts: PartsRun | undefined;
  try {
    const cert = generateSelfSigned({ host: "localhost", outDir: dir });
    // No idle limit within a run (ThingsBoard's 10 min would close the bare link, which sends nothing
    // after its PUBLISH, in a long --publishes run).
    ep = await TbEndpoint.start({
      devices: [{ name: "fw", token: FW_TOKEN }, { name: "link", token: LINK_TOKEN }], tls: cert, http: false, idleTimeoutMs: IDLE_MS,
    });
    const tlsPort = ep.ports.tls!;
    const fwRelay = await startRelay(tlsPort, HOLD_MS);
    relays.push(fwRelay);
    const linkRelay = await startRelay(tlsPort, HOLD_MS);
    relays.push(linkRelay);

    // The real bundle, built as test/helpers/firmware.ts builds it, for esp32 and this endpoint.
    const configFile = join(dir, "device.config.json");
    writeFileSync(configFile, JSON.stringify({
      board: "esp32", wifiSsid: SSID, wifiPassword: PASSWORD, host: "localhost", port: fwRelay.port,
      accessToken: FW_TOKEN, telemetryIntervalMs: 1000, logLevel: "info", serverCert: cert.certPath,
    }));
    const fw = await buildFirmware({ configFile, env: {}, outFile: join(dir, "firmware.js") });
    const der = checkServerCert({ path: cert.certPath, host: "localhost", skipCnCheck: false }).derBase64;
    const link = linkProgram({ port: linkRelay.port, token: LINK_TOKEN, caBase64: der });

    // First the breakdown, on its own board (it never reaches the relay: no access point).
    parts = await runParts(bin, dir, fw.code, fw.map);

    const make = (name: string, code: string) => {
      const b = createBoard({
        engine: "espruino", espruinoBin: bin, board: "esp32", storageDir: join(dir, name),
        ap: { ssid: SSID, password: PASSWORD, joinDelayMs: JOIN_DELAY_MS }, timeScale: 1, timeServer: true,
      }) as EspruinoBoard;
      boards.push(b);
      b.writeFile(".boot1", SAMPLER);
      b.writeFile(".boot3", BASE);
      b.flash(code);
      return b;
    };
    const fwBoard = make("fw", fw.code);
    const linkBoard = make("link", link);
    const fwS = new Samples(fwBoard, { wifi: / wifi: Connected to /, up: / tb_mqtt: Connected to ThingsBoard$/ });
    const linkS = new Samples(linkBoard, { wifi: /^link: wifi$/, up: /^link: connack$/ });
    // Each telemetry publish the endpoint acknowledges, with how much firmware output there was then.
    const acked: Array<{ t: number; out: number }> = [];
    ep.on("telemetry", (name: string) => { if (name === "fw") acked.push({ t: Date.now(), out: fwBoard.output.length }); });
    fwBoard.boot();
    linkBoard.boot();

    const fwUp = later(fwBoard.waitFor(/ tb_mqtt: Connected to ThingsBoard$/, 30000));
    const linkUp = later(linkBoard.waitFor(/^link: connack$/, 30000));
    await Promise.all([fwUp, linkUp]);
    const connectedAt = Math.max(fwS.mark("up"), linkS.mark("up"));
    const fwTelemetryBefore = ep.telemetry("fw").length;

    // The firmware's last line that is not a memory sample.
    let fwLineAt = 0;
    fwBoard.on("line", (line: string) => { if (!line.startsWith("ram: ")) fwLineAt = Date.now(); });
    /** Usage once the endpoint has acknowledged `n` publishes (1-based) and the firmware has then
     *  been quiet for QUIET_MS (PUBACK taken, no backlog in flight, the next reading not yet due):
     *  process.memory() over the control channel, which collects first. */
    const afterPublish = async (n: number): Promise<{ v: number; t: number; acked: number }> => {
      for (let last = acked.length, since = Date.now(); acked.length < n;) {
        if (acked.length > last) [last, since] = [acked.length, Date.now()];
        if (Date.now() - since > PUBLISH_STALL_MS) {
          throw new Error(`telemetry stopped: the endpoint acknowledged ${acked.length} of ${n} publishes, none in the last ${PUBLISH_STALL_MS / 1000} s`);
        }
        await sleep(20);
      }
      const limit = Date.now() + PUBLISH_STALL_MS;
      while (Date.now() - Math.max(fwLineAt, acked[acked.length - 1]!.t) < QUIET_MS) {
        if (Date.now() > limit) throw new Error(`the firmware was never quiet for ${QUIET_MS} ms after publish ${n}: no moment to read its memory`);
        await sleep(10);
      }
      const at = acked.length;
      const m = await fwBoard.memory();
      return { v: m.usage, t: Date.now(), acked: at };
    };

    let end: number;
    let pub: { first: { v: number; t: number; acked: number }; last: { v: number; t: number; acked: number } } | undefined;
    if (publishes !== undefined) {
      const first = await afterPublish(1);
      const last = await afterPublish(publishes);
      pub = { first, last };
      end = Date.now();
    } else {
      end = connectedAt + seconds * 1000;
      await sleep(Math.max(0, end - Date.now()));
    }
    // STEADY_SAMPLES more samples on each board.
    const steadyEnd = Date.now() + (STEADY_SAMPLES + 1) * SAMPLE_MS + 5000;
    while ((fwS.from(end).length < STEADY_SAMPLES || linkS.from(end).length < STEADY_SAMPLES) && Date.now() < steadyEnd) await sleep(100);

    const readings = ep.telemetry("fw").length - fwTelemetryBefore;
    const runSeconds = (Date.now() - connectedAt) / 1000;
    const linkReadings = ep.telemetry("link").length;
    const linkLost = linkBoard.output.split("\n").find((l) => /^link: (error|closed)/.test(l));
    if (linkLost) throw new Error(`the bare link lost its connection ("${linkLost}"): the figures would compare the firmware with no link`);
    if (readings < runSeconds / 2 || linkReadings < 1) {
      throw new Error(`telemetry did not arrive at the endpoint (firmware ${readings} readings in ${runSeconds.toFixed(0)} s, ` +
        `bare link ${linkReadings}): the figures would measure a broken link`);
    }
    const info = fwS.info ?? linkS.info;
    const steadyFw = fwS.from(end, STEADY_SAMPLES).map((s) => s.v);
    const steadyLink = linkS.from(end, STEADY_SAMPLES).map((s) => s.v);
    if (!info || steadyFw.length < STEADY_SAMPLES || steadyLink.length < STEADY_SAMPLES) {
      throw new Error(`the boards stopped reporting memory (firmware ${steadyFw.length}, link ${steadyLink.length} steady samples)`);
    }

    // The stages: booted (waiting for the access point), Wi-Fi up with the handshake held by the relay,
    // connected (SETTLE_MS after CONNACK), steady state.
    const stage = (s: Samples, relay: Relay, which: "booted" | "wifi" | "connected"): number | undefined => {
      if (which == "booted") return s.lastIn(0, s.mark("wifi"));
      if (which == "wifi") return relay.acceptedAt ? s.lastIn(relay.acceptedAt + 100, relay.acceptedAt + HOLD_MS) : undefined;
      return s.from(s.mark("up") + SETTLE_MS, 1)[0]?.v;
    };
    const runLabel = publishes === undefined ? `${seconds} s` : `${publishes} publishes`;
    const stages: Array<{ label: string; fw?: number; link?: number }> = [
      { label: "booted, before Wi-Fi", fw: stage(fwS, fwRelay, "booted"), link: stage(linkS, linkRelay, "booted") },
      { label: "Wi-Fi up, TLS handshake pending", fw: stage(fwS, fwRelay, "wifi"), link: stage(linkS, linkRelay, "wifi") },
      { label: `connected (CONNACK + ${SETTLE_MS / 1000} s)`, fw: stage(fwS, fwRelay, "connected"), link: stage(linkS, linkRelay, "connected") },
      { label: `steady (${runLabel}, median of ${STEADY_SAMPLES})`, fw: median(steadyFw), link: median(steadyLink) },
    ];

    // --- report -------------------------------------------------------------------------------------
    const bs = info.blocksize;
    const num = (v: number | undefined, w: number) => (v === undefined ? "-" : String(Math.round(v))).padStart(w);
    const pair = (v: number | undefined) => `${num(v, 6)} ${num(v === undefined ? v : v * bs, 7)}`;
    const W = 34;
    print(`Espruino 2v29 Linux build (${relative(process.cwd(), bin) || bin}): ${info.total} JsVars of ${bs} bytes; ` +
      `RSA-2048 certificate, TLS 1.2 on 127.0.0.1; time scale 1`);
    print(`firmware:  ${fw.bytes}-byte bundle for esp32 run from Storage, telemetry every 1 s (logLevel info)`);
    print(`bare link: ${Buffer.byteLength(link)}-byte program run from Storage: Wi-Fi, tls.connect, MQTT CONNECT, one QoS 0 PUBLISH`);
    print("");
    print(`${"".padEnd(W)} ${"firmware".padStart(14)}   ${"bare TLS link".padStart(14)}   ${"difference".padStart(14)}`);
    print(`${"".padEnd(W)} ${"JsVars".padStart(6)} ${"bytes".padStart(7)}   ${"JsVars".padStart(6)} ${"bytes".padStart(7)}   ${"JsVars".padStart(6)} ${"bytes".padStart(7)}`);
    for (const s of stages) {
      const d = s.fw === undefined || s.link === undefined ? undefined : s.fw - s.link;
      print(`${s.label.padEnd(W)} ${pair(s.fw)}   ${pair(s.link)}   ${pair(d)}`);
    }
    print("");
    const own = median(steadyFw) - median(steadyLink);
    print(`${"firmware's own RAM (steady diff.)".padEnd(W)} ${pair(own)}`);
    print(`${"Espruino MQTT module, same job".padEnd(W)} ${pair(ESPRUINO_MQTT_MODULE_JSVARS)}` +
      "   quoted, not measured here: an earlier run on the same interpreter build, QoS 0 only");
    print("");
    const run = fwS.from(fwS.mark("up") + SETTLE_MS).filter((s) => s.t < end + STEADY_SAMPLES * SAMPLE_MS);
    const first = run[0]!;
    const last = run[run.length - 1]!;
    const vs = run.map((s) => s.v);
    const grew = last.v - first.v;
    print(`firmware over the run: first ${first.v} (CONNACK + ${((first.t - fwS.mark("up")) / 1000).toFixed(1)} s), ` +
      `last ${last.v} (+${((last.t - fwS.mark("up")) / 1000).toFixed(1)} s): ${grew >= 0 ? "+" : ""}${grew} JsVars; ` +
      `min ${Math.min(...vs)}, max ${Math.max(...vs)} over ${vs.length} samples: ${grew > 20 ? "GROWS" : "no growth"}`);
    print(`telemetry at the endpoint: firmware ${readings} readings in ${runSeconds.toFixed(0)} s after CONNACK; bare link ${linkReadings} publish`);
    print(`steady samples: firmware ${steadyFw.join(" ")}; bare link ${steadyLink.join(" ")}; wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    // --- where it goes ----------------------------------------------------------------------------
    print("");
    const fwBooted = stages[0]!.fw;
    const linkBooted = stages[0]!.link;
    const bootFw = fwBooted === undefined || fwS.base === undefined ? undefined : fwBooted - fwS.base;
    const bootLink = linkBooted === undefined || linkS.base === undefined ? undefined : linkBooted - linkS.base;
    const b = parts.breakdown;
    if (!b) {
      print(`where the firmware's JsVars go: no breakdown (${parts.failed})`);
    } else {
      const P = 48;
      const row = (label: string, v: number | undefined, note = "") => print(`  ${label.padEnd(P)} ${num(v, 6)}${note ? "   " + note : ""}`);
      print(`where the firmware's JsVars go at boot: the same bundle with a probe after each top-level statement, run alone ` +
        `(no access point); each probe's own ${b.probeCost} JsVars subtracted`);
      print(`  ${"part".padEnd(P)} ${"JsVars".padStart(6)}`);
      row(b.wrapperLabel, b.wrapper);
      for (const r of b.rows) row(r.label, r.jsvars);
      row("start-up's timers and callbacks, until booted", b.afterStart);
      row("at boot, sum of the parts", b.total);
      row("at boot, un-instrumented (comparison run)", bootFw,
        bootFw === undefined ? "" : `booted minus the base before .bootcde; parts differ by ${b.total - bootFw >= 0 ? "+" : ""}${b.total - bootFw}`);
      const sessionFw = fwBooted === undefined ? undefined : median(steadyFw) - fwBooted;
      const sessionLink = linkBooted === undefined ? undefined : median(steadyLink) - linkBooted;
      const beyond = sessionFw === undefined || sessionLink === undefined ? undefined : sessionFw - sessionLink;
      row("added once connected (booted -> steady)", sessionFw, `socket, subscriptions, in-flight data; bare TLS link ${num(sessionLink, 0)}`);
      row("  of which beyond the bare TLS link", beyond);
      if (bootFw !== undefined && bootLink !== undefined && beyond !== undefined && fwS.base !== undefined && linkS.base !== undefined) {
        const baseDiff = fwS.base - linkS.base;
        print(`  firmware's own RAM ${own} = at boot ${bootFw} + beyond the bare link once connected ${beyond} ` +
          `- the bare link's program at boot ${bootLink}${baseDiff ? ` + base difference ${baseDiff}` : ""}`);
      }
    }

    if (pub) {
      print("");
      const d = pub.last.v - pub.first.v;
      const verdict = Math.abs(d) <= GROWTH_TOLERANCE ? `within ${GROWTH_TOLERANCE} JsVars`
        : d > 0 ? `GROWS by ${d}` : `SHRINKS by ${-d}`;
      print(`publishes: the endpoint acknowledged ${pub.last.acked} telemetry publishes from the firmware, one a second; ` +
        `usage read over the control channel (its handler's own JsVars included alike) once the firmware was quiet ` +
        `${QUIET_MS} ms after the publish`);
      print(`usage after the first publish: ${pub.first.v} JsVars (${pub.first.acked} acknowledged by then); ` +
        `after publish ${publishes}: ${pub.last.v} JsVars (${pub.last.acked}, ${((pub.last.t - pub.first.t) / 1000).toFixed(0)} s later); ` +
        `difference ${d >= 0 ? "+" : ""}${d}: ${verdict}`);
    }
  } finally {
    // Whatever happened, what the interpreters said about it is shown, not hidden.
    const [fwOut, linkOut] = boards.map((bd) => bd.output);
    for (const l of parts?.trouble ?? []) print(`! instrumented firmware board: ${l.slice(0, 200)}`);
    for (const l of troubleLines(fwOut ?? "")) print(`! firmware board: ${l.slice(0, 200)}`);
    for (const l of troubleLines(linkOut ?? "")) print(`! bare link board: ${l.slice(0, 200)}`);
    if (process.env.RAM_DEBUG) boards.forEach((bd, i) => writeFileSync(join(process.env.RAM_DEBUG!, `board${i}.log`), bd.output));
    for (const bd of boards) await bd.stop();
    for (const r of relays) await r.close();
    await ep?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
