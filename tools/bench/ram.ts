// `npm run bench -- ram`: the firmware's RAM on the real interpreter (Espruino 2v29's Linux build,
// ESPRUINO_BIN). That build takes mbedTLS buffers from JsVars where an ESP32 takes them from native
// heap (docs/espruino.md §3.4), so an absolute figure says little: this suite runs the real bundle
// from Storage and, beside it on the same build with the same certificate, a bare TLS link (a tiny
// program that joins Wi-Fi, sends a hand-written MQTT CONNECT and one QoS 0 PUBLISH and keeps the
// socket open), both against the local ThingsBoard endpoint over TLS, reads process.memory() at the
// same stages and at the same time, and prints the difference: the firmware's own RAM.
//
// How it samples: every board gets the same Storage `.boot2`, which prints process.memory().usage every
// SAMPLE_MS; the host picks the samples by the time they arrive. (`.boot2`, not `.boot1`: an update's
// rollback guard is `.boot1`, which the firmware built with "ota": true erases at every CONNACK.)
// Nothing is typed into the REPL while a socket is open, because that build can stop with
// `ASSERT(len <= 64) FAILED AT src/jsdevices.c:591` when a REPL line arrives while a TLS socket is open
// (seen with the firmware and with the bare link). The sampler's own few JsVars are on every board, so
// they cancel in the difference.
// Each board reaches the endpoint through its own TCP relay that holds a new connection for HOLD_MS,
// which makes "Wi-Fi up, TLS handshake pending" a quiet stage to sample.
// Where the firmware's JsVars go at boot (ram-parts.ts): before the comparison, a separate short run
// of the same bundle with a probe after each top-level statement, on a board whose access point is
// absent (so TLS never opens), printed per src/ module and main.ts start-up step beside the
// un-instrumented boot figure of the comparison run, and the part added once connected.
// `--publishes N` runs the comparison until the endpoint has acknowledged N telemetry publishes from
// the firmware (one a second) and reads process.memory().usage after the first and after the last,
// through the virtual board's control channel (tools/vboard/espruino/board.ts), not the REPL.
// `--ota` measures the bundle built with "ota": true (docs/ota.md; its board holds `.tbkey`) the same
// way, with the bundle built without it on a third board beside it, and then updates it: a second
// bundle of another firmwareVersion, signed with tools/ota/package.ts, assigned through the endpoint.
// From just before the assignment to the reboot the sampler runs every UPDATE_SAMPLE_MS (the control
// channel sets its period), and on the boards of an --ota run it also samples inside every call of
// Storage.read, Storage.write and crypto.SHA256 (hooks in `.boot2`, their own cost measured at boot and
// subtracted): the update's checks run in one function, which no timer can interrupt. Then the new
// version's steady figure, once it has reported UPDATED.
// Last, each sensor driver's JsVars (ram-sensors.ts; not with --publishes or --ota).
// RAM_SECONDS sets the run after CONNACK without --publishes (default 30); ESPRUINO_BIN the
// interpreter (default ../shared/espruino/espruino-linux-x64 from the repository root, when it
// exists); RAM_DEBUG=<dir> keeps the boards' console output there.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as tcpConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { buildFirmware, type BuildResult } from "../bundler/build.ts";
import { FIRMWARE_TITLE } from "../bundler/inputs.ts";
import { ROOT } from "../common/index.ts";
import { checkServerCert } from "../bundler/cert.ts";
import { generateSelfSigned } from "../certs/generate.ts";
import { makePackage } from "../ota/package.ts";
import { TbEndpoint } from "../tb-endpoint/index.ts";
import { createBoard } from "../vboard/index.ts";
import type { EspruinoBoard } from "../vboard/espruino/board.ts";
import { ESPRUINO_HOWTO, espruinoBinary } from "../vboard/espruino/native.ts";
import { PUBLISHES_MAX, PUBLISHES_MIN, type BenchOptions } from "./options.ts";
import { runSensorRamBench } from "./ram-sensors.ts";
import { breakdown, instrumentBundle, PROBE_DEFINITION, PROBE_LINE, type Breakdown, type InstrumentedBundle } from "./ram-parts.ts";

/** Espruino's MQTT module doing the same job, above a bare TLS link (docs/espruino.md §3.4:
 *  3,019 blocks in steady state against 2,659 for TLS plus a bare CONNECT, same interpreter build). */
export const ESPRUINO_MQTT_MODULE_JSVARS = 360;
const FW_TOKEN = "RAM_BENCH_FW_TOKEN01";
const LINK_TOKEN = "RAM_BENCH_LINKTOKEN1";
const OTA_TOKEN = "RAM_BENCH_OTA_TOKEN1";
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
/** The budget of issue 10 for the firmware's own RAM (the steady difference), in JsVars. */
export const RAM_BUDGET_JSVARS = 600;
/** --ota: the version the "ota": true board runs, and the one the endpoint offers it. */
export const OTA_FROM = "bench-a";
export const OTA_TO = "bench-b";
/** --ota: the sampler's period on the updating board, from just before the assignment to the reboot. */
export const UPDATE_SAMPLE_MS = 100;
/** --ota: the new version's steady figure is taken once the endpoint has this many of its telemetry readings. */
const AFTER_READINGS = 3;
/** --ota: the longest the update may take, from the assignment to UPDATED and the new version's readings. */
const UPDATE_LIMIT_MS = 120_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ESPRUINO_BIN, else the workplace's copy; undefined when there is none. */
export function ramBenchInterpreter(): string | undefined {
  if (process.env.ESPRUINO_BIN) return process.env.ESPRUINO_BIN;
  const local = join(ROOT, "..", "shared", "espruino", "espruino-linux-x64");
  return existsSync(local) ? local : undefined;
}

/** Storage `.boot2` on every board: the memory figures as console lines, with no REPL input. Chained
 *  timeouts, not setInterval, which runs back to back after the SNTP clock step (docs/espruino.md §3.2).
 *  With `hooks` (an --ota run): the period is the global `__ramMs`, which the host can change over the
 *  control channel, each sample carries the board's clock in ms (`ram: <usage> @<ms>`), and
 *  Storage.read, Storage.write and crypto.SHA256 print `ram: in <name> <usage>` before they run; one
 *  call at once measures what the hook itself holds while it samples (`ram: hook <usage before the
 *  call>`, after the call's own `ram: in` line). */
function sampler(hooks: boolean): string {
  const period = hooks ? "__ramMs" : String(SAMPLE_MS);
  return `(function(){var m=process.memory();print("ram: total "+m.total+" blocksize "+m.blocksize);` +
    (hooks
      ? `global.__ramMs=${SAMPLE_MS};function t(){var u=process.memory().usage;print("ram: "+u+" @"+Math.round(getTime()*1000));setTimeout(t,__ramMs);}`
      : `function t(){print("ram: "+process.memory().usage);setTimeout(t,${period});}`) +
    `setTimeout(t,${period});` +
    (hooks
      ? `var S=require("Storage"),C=require("crypto");` +
        `function h(o,k){var f=o[k];o[k]=function(){var u=process.memory().usage;print("ram: in "+k+" "+u);return f.apply(o,arguments);};}` +
        `h(S,"read");h(S,"write");h(C,"SHA256");var c=process.memory().usage;S.read(".boot2",0,1);print("ram: hook "+c);`
      : "") +
    `})();\n` +
    // Defined on every board, called only by the instrumented bundle: all runs start from the same base.
    PROBE_DEFINITION;
}
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
  /** The sampler's timer: host time, usage and (an --ota run) board time in ms. */
  readonly usage: Array<{ t: number; v: number; bt?: number }> = [];
  /** The hooks' samples (an --ota run): inside a call of `fn`, before it runs. */
  readonly inCalls: Array<{ t: number; v: number; fn: string }> = [];
  /** JsVars a hook holds while it samples (its calibration call at boot), when hooked. */
  hookCost?: number;
  /** Of the first boot (an update reboots the board). */
  info?: { total: number; blocksize: number };
  /** Usage before `.bootcde` ran (BASE), at the first boot. */
  base?: number;
  private marks = new Map<string, number>();

  constructor(board: EspruinoBoard, private readonly watch: Record<string, RegExp>) {
    board.on("line", (line: string) => {
      const now = Date.now();
      const u = SAMPLE_LINE.exec(line);
      if (u) return void this.usage.push({ t: now, v: Number(u[1]), bt: u[2] === undefined ? undefined : Number(u[2]) });
      const c = /^ram: in (\w+) (\d+)$/.exec(line);
      if (c) return void this.inCalls.push({ t: now, v: Number(c[2]), fn: c[1]! });
      const h = /^ram: hook (\d+)$/.exec(line);
      if (h) return void (this.hookCost ??= (this.inCalls[this.inCalls.length - 1]?.v ?? NaN) - Number(h[1]));
      const i = /^ram: total (\d+) blocksize (\d+)$/.exec(line);
      if (i) return void (this.info ??= { total: Number(i[1]), blocksize: Number(i[2]) });
      const b = /^ram: base (\d+)$/.exec(line);
      if (b) return void (this.base ??= Number(b[1]));
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

/** A sample of the sampler's timer: usage, and in an --ota run the board's clock in ms. */
const SAMPLE_LINE = /^ram: (\d+)(?: @(\d+))?$/;

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
async function runParts(bin: string, dir: string, name: string, code: string, map: object, boot2: string): Promise<PartsRun> {
  let ib: InstrumentedBundle;
  try {
    ib = instrumentBundle(code, map);
  } catch (e) {
    return { failed: (e as Error).message, trouble: [] };
  }
  const board = createBoard({
    engine: "espruino", espruinoBin: bin, board: "esp32", storageDir: join(dir, name),
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
    board.writeFile(".boot2", boot2);
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
    if (process.env.RAM_DEBUG) writeFileSync(join(process.env.RAM_DEBUG, `${name}.log`), board.output);
    await board.stop();
  }
}

/** One firmware under measurement: its device at the endpoint, its relay, its board and its samples. */
interface Fw {
  /** The endpoint's device name and the board's Storage folder. */
  name: string;
  build: BuildResult;
  relay: Relay;
  board: EspruinoBoard;
  s: Samples;
  /** Each telemetry publish the endpoint acknowledged, with how much output the board had then. */
  acked: Array<{ t: number; out: number }>;
  parts: PartsRun;
}

/** One sample of the update: the sampler's timer (with the board's clock), or a hook inside a call of
 *  `fn` (less the hook's own cost). */
interface UpdateSample { t: number; v: number; bt?: number; fn?: string }

/** What the update came to (an --ota run). */
interface UpdateResult {
  packageBytes: number;
  chunks: number;
  /** The download; the checks and the install (one function, from its first Storage.read to the timer's
   *  next sample); the wait for the reboot it scheduled. */
  phases: Array<{ label: string; ms?: number; samples: UpdateSample[] }>;
  /** The timer's samples from the assignment to the reboot; the largest gap of board time between two
   *  of them (from the last one before the assignment) outside the checks, and the gap across them. */
  timerSamples: number;
  largestGapMs: number;
  checksGapMs: number;
  hookCost: number;
  rebootMs: number;
  updatedMs: number;
  /** The new version's steady figure and the bare link's at the same time. */
  after: number;
  linkAfter: number;
  /** fw_state values the endpoint got, in order. */
  states: string[];
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
  const ota = opts.ota === true;

  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "tb-ram-"));
  const boards: Array<{ label: string; board: EspruinoBoard }> = [];
  const relays: Relay[] = [];
  let ep: TbEndpoint | undefined;
  const parts: Array<{ label: string; run?: PartsRun }> = [];
  try {
    const cert = generateSelfSigned({ host: "localhost", outDir: dir });
    // No idle limit within a run (ThingsBoard's 10 min would close the bare link, which sends nothing
    // after its PUBLISH, in a long --publishes run).
    const devices = [{ name: "fw", token: FW_TOKEN }, { name: "link", token: LINK_TOKEN }];
    if (ota) devices.push({ name: "ota", token: OTA_TOKEN });
    ep = await TbEndpoint.start({ devices, tls: cert, http: false, idleTimeoutMs: IDLE_MS });
    const tlsPort = ep.ports.tls!;
    const relay = async () => {
      const r = await startRelay(tlsPort, HOLD_MS);
      relays.push(r);
      return r;
    };
    const fwRelay = await relay();
    const linkRelay = await relay();
    const otaRelay = ota ? await relay() : undefined;

    // The real bundles, built as test/helpers/firmware.ts builds them, for esp32 and this endpoint.
    const build = (name: string, port: number, token: string, extra: object = {}) => {
      const configFile = join(dir, `${name}.config.json`);
      writeFileSync(configFile, JSON.stringify({
        board: "esp32", wifiSsid: SSID, wifiPassword: PASSWORD, host: "localhost", port,
        accessToken: token, telemetryIntervalMs: 1000, logLevel: "info", serverCert: cert.certPath, ...extra,
      }));
      return buildFirmware({ configFile, env: {}, outFile: join(dir, `${name}.js`) });
    };
    const fwBuild = await build("fw", fwRelay.port, FW_TOKEN);
    const otaBuild = otaRelay && await build("ota", otaRelay.port, OTA_TOKEN, { ota: true, firmwareVersion: OTA_FROM });
    // The update: the same bundle but for its version.
    const nextBuild = otaRelay && await build("ota-next", otaRelay.port, OTA_TOKEN, { ota: true, firmwareVersion: OTA_TO });
    const der = checkServerCert({ path: cert.certPath, host: "localhost", skipCnCheck: false }).derBase64;
    const link = linkProgram({ port: linkRelay.port, token: LINK_TOKEN, caBase64: der });
    const boot2 = sampler(ota);

    // First the breakdowns, each on its own board (they never reach a relay: no access point).
    const [fwParts, otaParts] = await Promise.all([
      runParts(bin, dir, "parts-fw", fwBuild.code, fwBuild.map, boot2),
      otaBuild && runParts(bin, dir, "parts-ota", otaBuild.code, otaBuild.map, boot2),
    ]);
    const make = (name: string, label: string, code: string, files: Record<string, string> = {}) => {
      const b = createBoard({
        engine: "espruino", espruinoBin: bin, board: "esp32", storageDir: join(dir, name),
        ap: { ssid: SSID, password: PASSWORD, joinDelayMs: JOIN_DELAY_MS }, timeScale: 1, timeServer: true,
      }) as EspruinoBoard;
      boards.push({ label, board: b });
      b.writeFile(".boot2", boot2);
      b.writeFile(".boot3", BASE);
      for (const [file, data] of Object.entries(files)) b.writeFile(file, data);
      b.flash(code);
      return b;
    };
    const UP = / tb_mqtt: Connected to ThingsBoard$/;
    const firmware = (name: string, label: string, bd: BuildResult, r: Relay, p: PartsRun, files?: Record<string, string>): Fw => {
      const board = make(name, label, bd.code, files);
      parts.push({ label: `instrumented ${label}`, run: p });
      return { name, build: bd, relay: r, board, s: new Samples(board, { wifi: / wifi: Connected to /, up: UP }), acked: [], parts: p };
    };
    // The device's update key, as `npm run flash` leaves it (docs/ota.md §1).
    const key = randomBytes(32);
    const withOta = otaBuild && firmware("ota", "firmware board (\"ota\": true)", otaBuild, otaRelay!, otaParts!, { ".tbkey": key.toString("hex") + "\n" });
    const plain = firmware("fw", ota ? "firmware board without OTA" : "firmware board", fwBuild, fwRelay, fwParts);
    const linkBoard = make("link", "bare link board", link);
    // The firmware every figure is of; in an --ota run the one without OTA is beside it.
    const main = withOta ?? plain;
    const fws = withOta ? [withOta, plain] : [plain];
    const linkS = new Samples(linkBoard, { wifi: /^link: wifi$/, up: /^link: connack$/ });
    ep.on("telemetry", (name: string) => {
      const f = fws.find((x) => x.name === name);
      if (f) f.acked.push({ t: Date.now(), out: f.board.output.length });
    });
    for (const f of fws) f.board.boot();
    linkBoard.boot();

    await Promise.all([...fws.map((f) => f.board.waitFor(UP, 30000)), linkBoard.waitFor(/^link: connack$/, 30000)]);
    const connectedAt = Math.max(...fws.map((f) => f.s.mark("up")), linkS.mark("up"));
    const telemetryBefore = new Map(fws.map((f) => [f.name, ep!.telemetry(f.name).length]));

    // The firmware's last line that is not a memory sample.
    let fwLineAt = 0;
    main.board.on("line", (line: string) => { if (!line.startsWith("ram: ")) fwLineAt = Date.now(); });
    /** Usage once the endpoint has acknowledged `n` publishes (1-based) and the firmware has then
     *  been quiet for QUIET_MS (PUBACK taken, no backlog in flight, the next reading not yet due):
     *  process.memory() over the control channel, which collects first. */
    const afterPublish = async (n: number): Promise<{ v: number; t: number; acked: number }> => {
      const acked = main.acked;
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
      const m = await main.board.memory();
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
    const all = [...fws.map((f) => f.s), linkS];
    const steadyEnd = Date.now() + (STEADY_SAMPLES + 1) * SAMPLE_MS + 5000;
    while (all.some((s) => s.from(end).length < STEADY_SAMPLES) && Date.now() < steadyEnd) await sleep(100);

    const runSeconds = (Date.now() - connectedAt) / 1000;
    const readings = new Map(fws.map((f) => [f.name, ep!.telemetry(f.name).length - telemetryBefore.get(f.name)!]));
    const linkReadings = ep.telemetry("link").length;
    const linkLost = () => linkBoard.output.split("\n").find((l) => /^link: (error|closed)/.test(l));
    if (linkLost()) throw new Error(`the bare link lost its connection ("${linkLost()}"): the figures would compare the firmware with no link`);
    if (fws.some((f) => readings.get(f.name)! < runSeconds / 2) || linkReadings < 1) {
      throw new Error(`telemetry did not arrive at the endpoint (${fws.map((f) => `${f.name} ${readings.get(f.name)} readings`).join(", ")} in ` +
        `${runSeconds.toFixed(0)} s, bare link ${linkReadings}): the figures would measure a broken link`);
    }
    const info = main.s.info ?? linkS.info;
    const steady = new Map(all.map((s) => [s, s.from(end, STEADY_SAMPLES).map((x) => x.v)]));
    if (!info || [...steady.values()].some((v) => v.length < STEADY_SAMPLES)) {
      throw new Error(`the boards stopped reporting memory (${fws.map((f) => `${f.name} ${steady.get(f.s)!.length}`).join(", ")}, ` +
        `link ${steady.get(linkS)!.length} steady samples)`);
    }
    const steadyOf = (s: Samples) => median(steady.get(s)!);

    // The stages: booted (waiting for the access point), Wi-Fi up with the handshake held by the relay,
    // connected (SETTLE_MS after CONNACK), steady state.
    const stage = (s: Samples, r: Relay, which: "booted" | "wifi" | "connected"): number | undefined => {
      if (which == "booted") return s.lastIn(0, s.mark("wifi"));
      if (which == "wifi") return r.acceptedAt ? s.lastIn(r.acceptedAt + 100, r.acceptedAt + HOLD_MS) : undefined;
      return s.from(s.mark("up") + SETTLE_MS, 1)[0]?.v;
    };
    const runLabel = publishes === undefined ? `${seconds} s` : `${publishes} publishes`;
    const stageRow = (label: string, which: "booted" | "wifi" | "connected") =>
      ({ label, fw: stage(main.s, main.relay, which), link: stage(linkS, linkRelay, which), plain: stage(plain.s, plain.relay, which) });
    const stages: Array<{ label: string; fw?: number; link?: number; plain?: number }> = [
      stageRow("booted, before Wi-Fi", "booted"),
      stageRow("Wi-Fi up, TLS handshake pending", "wifi"),
      stageRow(`connected (CONNACK + ${SETTLE_MS / 1000} s)`, "connected"),
      { label: `steady (${runLabel}, median of ${STEADY_SAMPLES})`, fw: steadyOf(main.s), link: steadyOf(linkS), plain: steadyOf(plain.s) },
    ];

    // --- report -------------------------------------------------------------------------------------
    const bs = info.blocksize;
    const num = (v: number | undefined, w: number) => (v === undefined ? "-" : String(Math.round(v))).padStart(w);
    const pair = (v: number | undefined) => `${num(v, 6)} ${num(v === undefined ? v : v * bs, 7)}`;
    const minus = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
    const signed = (v: number) => `${v >= 0 ? "+" : ""}${v}`;
    const W = 34;
    print(`Espruino 2v29 Linux build (${relative(process.cwd(), bin) || bin}): ${info.total} JsVars of ${bs} bytes; ` +
      `RSA-2048 certificate, TLS 1.2 on 127.0.0.1; time scale 1`);
    if (ota) {
      print(`firmware:  ${main.build.bytes}-byte bundle for esp32 built with "ota": true (version ${OTA_FROM}, the update code in, ` +
        `no update running; .tbkey in Storage) run from Storage, telemetry every 1 s (logLevel info)`);
      print(`without OTA: ${plain.build.bytes}-byte bundle of the same config without "ota", on a third board beside them at the same time`);
    } else {
      print(`firmware:  ${main.build.bytes}-byte bundle for esp32 run from Storage, telemetry every 1 s (logLevel info)`);
    }
    print(`bare link: ${Buffer.byteLength(link)}-byte program run from Storage: Wi-Fi, tls.connect, MQTT CONNECT, one QoS 0 PUBLISH`);
    print("");
    print(`${"".padEnd(W)} ${"firmware".padStart(14)}   ${"bare TLS link".padStart(14)}   ${"difference".padStart(14)}` +
      (ota ? `   ${"without OTA".padStart(15)}` : ""));
    print(`${"".padEnd(W)} ${"JsVars".padStart(6)} ${"bytes".padStart(7)}   ${"JsVars".padStart(6)} ${"bytes".padStart(7)}   ${"JsVars".padStart(6)} ${"bytes".padStart(7)}` +
      (ota ? `   ${"firmware".padStart(8)} ${"diff.".padStart(6)}` : ""));
    for (const s of stages) {
      print(`${s.label.padEnd(W)} ${pair(s.fw)}   ${pair(s.link)}   ${pair(minus(s.fw, s.link))}` +
        (ota ? `   ${num(s.plain, 8)} ${num(minus(s.plain, s.link), 6)}` : ""));
    }
    print("");
    const own = steadyOf(main.s) - steadyOf(linkS);
    const ownPlain = steadyOf(plain.s) - steadyOf(linkS);
    const budget = (v: number) => (v <= RAM_BUDGET_JSVARS ? `within it, ${RAM_BUDGET_JSVARS - v} to spare` : `OVER by ${v - RAM_BUDGET_JSVARS}`);
    print(`${"firmware's own RAM (steady diff.)".padEnd(W)} ${pair(own)}`);
    if (ota) {
      print(`${"  without OTA (same time)".padEnd(W)} ${pair(ownPlain)}   the update code, no update running, adds ${signed(own - ownPlain)} JsVars (${signed((own - ownPlain) * bs)} bytes)`);
      print(`${"issue 10's budget".padEnd(W)} ${pair(RAM_BUDGET_JSVARS)}   "ota": true ${own}: ${budget(own)}; without OTA ${ownPlain}: ${budget(ownPlain)}`);
    } else {
      print(`${"issue 10's budget".padEnd(W)} ${pair(RAM_BUDGET_JSVARS)}   ${budget(own)}`);
    }
    print(`${"Espruino MQTT module, same job".padEnd(W)} ${pair(ESPRUINO_MQTT_MODULE_JSVARS)}` +
      "   quoted, not measured here: an earlier run on the same interpreter build, QoS 0 only");
    print("");
    const run = main.s.from(main.s.mark("up") + SETTLE_MS).filter((s) => s.t < end + STEADY_SAMPLES * SAMPLE_MS);
    const first = run[0]!;
    const last = run[run.length - 1]!;
    const vs = run.map((s) => s.v);
    const grew = last.v - first.v;
    print(`firmware over the run: first ${first.v} (CONNACK + ${((first.t - main.s.mark("up")) / 1000).toFixed(1)} s), ` +
      `last ${last.v} (+${((last.t - main.s.mark("up")) / 1000).toFixed(1)} s): ${grew >= 0 ? "+" : ""}${grew} JsVars; ` +
      `min ${Math.min(...vs)}, max ${Math.max(...vs)} over ${vs.length} samples: ${grew > 20 ? "GROWS" : "no growth"}`);
    print(`telemetry at the endpoint: firmware ${readings.get(main.name)} readings in ${runSeconds.toFixed(0)} s after CONNACK; ` +
      (ota ? `without OTA ${readings.get(plain.name)} readings; ` : "") + `bare link ${linkReadings} publish`);
    print(`steady samples: firmware ${steady.get(main.s)!.join(" ")}; ` + (ota ? `without OTA ${steady.get(plain.s)!.join(" ")}; ` : "") +
      `bare link ${steady.get(linkS)!.join(" ")}; wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    // --- where it goes ----------------------------------------------------------------------------
    print("");
    /** A firmware's figures at boot and once connected, from its un-instrumented run. */
    const accounts = (f: Fw) => {
      const booted = stage(f.s, f.relay, "booted");
      const linkBooted = stage(linkS, linkRelay, "booted");
      const boot = minus(booted, f.s.base);
      const session = minus(steadyOf(f.s), booted);
      const linkSession = minus(steadyOf(linkS), linkBooted);
      return { boot, session, linkSession, beyond: minus(session, linkSession), linkBoot: minus(linkBooted, linkS.base) };
    };
    const a = accounts(main);
    const ap = accounts(plain);
    const b = main.parts.breakdown;
    const bp = ota ? plain.parts.breakdown : undefined;
    if (!b) {
      print(`where the firmware's JsVars go: no breakdown (${main.parts.failed})`);
    } else {
      const P = 48;
      const other = (v: number | undefined) => (ota ? ` ${num(v, 11)}` : "");
      const row = (label: string, v: number | undefined, note = "", vPlain?: number) =>
        print(`  ${label.padEnd(P)} ${num(v, 6)}${other(vPlain)}${note ? "   " + note : ""}`);
      print(`where the firmware's JsVars go at boot: the same bundle with a probe after each top-level statement, run alone ` +
        `(no access point); each probe's own ${b.probeCost} JsVars subtracted` +
        (ota ? `; beside it the bundle without OTA, the same way${bp ? "" : ` (no breakdown: ${plain.parts.failed})`}` : ""));
      print(`  ${"part".padEnd(P)} ${"JsVars".padStart(6)}${ota ? ` ${"without OTA".padStart(11)}` : ""}`);
      const plainRows = new Map(bp?.rows.map((r) => [r.label, r.jsvars]));
      row(b.wrapperLabel, b.wrapper, "", bp?.wrapper);
      for (const r of b.rows) row(r.label, r.jsvars, "", bp ? plainRows.get(r.label) ?? 0 : undefined);
      for (const r of bp?.rows ?? []) if (!b.rows.some((x) => x.label === r.label)) row(r.label, 0, "", r.jsvars);
      row("start-up's timers and callbacks, until booted", b.afterStart, "", bp?.afterStart);
      row("at boot, sum of the parts", b.total, "", bp?.total);
      row("at boot, un-instrumented (comparison run)", a.boot,
        a.boot === undefined ? "" : `booted minus the base before .bootcde; parts differ by ${b.total - a.boot >= 0 ? "+" : ""}${b.total - a.boot}`, ap.boot);
      row("added once connected (booted -> steady)", a.session, `socket, subscriptions, in-flight data; bare TLS link ${num(a.linkSession, 0)}`, ap.session);
      row("  of which beyond the bare TLS link", a.beyond, "", ap.beyond);
      if (a.boot !== undefined && a.linkBoot !== undefined && a.beyond !== undefined && main.s.base !== undefined && linkS.base !== undefined) {
        const baseDiff = main.s.base - linkS.base;
        print(`  firmware's own RAM ${own} = at boot ${a.boot} + beyond the bare link once connected ${a.beyond} ` +
          `- the bare link's program at boot ${a.linkBoot}${baseDiff ? ` + base difference ${baseDiff}` : ""}`);
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

    // --- an update ----------------------------------------------------------------------------------
    if (withOta && nextBuild) {
      print("");
      const before = steadyOf(withOta.s);
      const u = await measureUpdate(ep, withOta, linkS, nextBuild, key);
      if (linkLost()) throw new Error(`the bare link lost its connection during the update ("${linkLost()}")`);
      const L = 44;
      const samples = u.phases.flatMap((p) => p.samples.map((x) => ({ ...x, phase: p.label })));
      const peak = samples.reduce((m, x) => (x.v > m.v ? x : m));
      const FN: Record<string, string> = { read: "Storage.read", write: "Storage.write", SHA256: "crypto.SHA256" };
      const where = (x: UpdateSample) => (x.fn ? `inside ${FN[x.fn] ?? x.fn}` : "the timer's");
      const urow = (label: string, v: number | undefined, note = "") =>
        print(`${label.padEnd(L)} ${pair(v)}   ${v === undefined ? "".padStart(12) : signed(v - before).padStart(12)}${note ? "   " + note : ""}`);
      const inCalls = samples.filter((x) => x.fn).length;
      print(`update: the "ota": true board from ${OTA_FROM} to ${OTA_TO}: a ${u.packageBytes}-byte package (the ${nextBuild.bytes}-byte ` +
        `bundle under its signed header line, tools/ota/package.ts) assigned through the endpoint, served in ${u.chunks} chunks`);
      print(`sampled every ${UPDATE_SAMPLE_MS} ms of board time by the sampler's timer (every ${SAMPLE_MS} ms otherwise): ` +
        `${u.timerSamples} samples from the assignment to the reboot, at most ${u.largestGapMs} ms of board time apart outside the ` +
        `checks (${u.checksGapMs} ms across them: one function, which no timer interrupts); and ${inCalls} samples inside the firmware's ` +
        `calls to Storage.read, Storage.write and crypto.SHA256, each less the hook's own ${u.hookCost} JsVars`);
      print(`${"".padEnd(L)} ${"JsVars".padStart(6)} ${"bytes".padStart(7)}   ${"above steady".padStart(12)}`);
      urow(`steady before (${OTA_FROM}, no update running)`, before);
      urow("peak during the update", peak.v, `${where(peak)}, in the ${peak.phase.replace(/ \(.*$/, "")}`);
      for (const p of u.phases) {
        const max = (xs: UpdateSample[]) => xs.reduce<UpdateSample | undefined>((m, x) => (!m || x.v > m.v ? x : m), undefined);
        const tm = max(p.samples.filter((x) => !x.fn));
        const cm = max(p.samples.filter((x) => x.fn));
        const n = (xs: UpdateSample[]) => xs.length;
        urow(`  ${p.label}`, max(p.samples)?.v,
          `${p.ms === undefined ? "" : `${(p.ms / 1000).toFixed(1)} s; `}` +
          `timer ${n(p.samples.filter((x) => !x.fn))}${tm ? ` (max ${tm.v})` : ""}, in calls ${n(p.samples.filter((x) => x.fn))}` +
          `${cm ? ` (max ${cm.v}, ${FN[cm.fn!] ?? cm.fn})` : ""}`);
      }
      urow(`steady after UPDATED (${OTA_TO}, median of ${STEADY_SAMPLES})`, u.after, `once ${AFTER_READINGS} readings of ${OTA_TO} arrived`);
      const ownAfter = u.after - u.linkAfter;
      print(`own RAM above the bare link: before ${own}, at the peak ${peak.v - steadyOf(linkS)}, after ${ownAfter}; ` +
        `issue 10's budget ${RAM_BUDGET_JSVARS}: before ${budget(own)}, after ${budget(ownAfter)}`);
      print(`fw_state at the endpoint: ${u.states.join(" ")}; the reboot ${(u.rebootMs / 1000).toFixed(1)} s after the assignment, ` +
        `UPDATED ${(u.updatedMs / 1000).toFixed(1)} s after it; wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    // Whatever happened, what the interpreters said about it is shown, not hidden.
    for (const p of parts) for (const l of p.run?.trouble ?? []) print(`! ${p.label}: ${l.slice(0, 200)}`);
    for (const { label, board } of boards) for (const l of troubleLines(board.output)) print(`! ${label}: ${l.slice(0, 200)}`);
    if (process.env.RAM_DEBUG) for (const { board } of boards) writeFileSync(join(process.env.RAM_DEBUG!, `${boards.findIndex((x) => x.board === board)}.log`), board.output);
    for (const { board } of boards) await board.stop();
    for (const r of relays) await r.close();
    await ep?.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  // Each sensor driver's JsVars (ram-sensors.ts), on boards of their own once these are gone.
  print("");
  if (publishes === undefined && !ota) await runSensorRamBench(print, bin);
  else print(`sensor drivers' JsVars: not measured with ${ota ? "--ota" : "--publishes"}; npm run bench -- ram measures them`);
}

/**
 * The update of an --ota run: the sampler to UPDATE_SAMPLE_MS (over the control channel), a package of
 * `next` signed with the board's key assigned through the endpoint, every sample from the assignment to
 * the reboot by phase, then UPDATED and AFTER_READINGS readings of the new version, and STEADY_SAMPLES
 * more on it and the bare link.
 */
async function measureUpdate(ep: TbEndpoint, fw: Fw, linkS: Samples, next: BuildResult, key: Buffer): Promise<UpdateResult> {
  const b = fw.board;
  const hookCost = fw.s.hookCost;
  if (hookCost === undefined || !(hookCost >= 0)) throw new Error(`the sampler's hooks did not calibrate (${hookCost}): no samples inside the firmware's calls`);
  const data = makePackage({ bundle: next.code, board: "esp32", title: FIRMWARE_TITLE, version: OTA_TO, key });
  await b.evaluate(`__ramMs=${UPDATE_SAMPLE_MS}`);
  // The timeout the sampler had set before fires once more, then every UPDATE_SAMPLE_MS.
  await sleep(SAMPLE_MS + 2 * UPDATE_SAMPLE_MS);

  // Phases: the download, until the first Storage.read (the checks' first call); the checks and the
  // install, one function run by the last chunk's handler, until the timer's next sample; the wait for
  // the reboot it scheduled.
  const phases: Array<{ label: string; from: number; samples: UpdateSample[] }> = [
    { label: "download", from: 0, samples: [] },
    { label: "checks and install (one function)", from: 0, samples: [] },
    { label: "wait for the reboot", from: 0, samples: [] },
  ];
  let at = -1;
  let rebootAt = 0;
  let refused: string | undefined;
  const enter = (i: number) => { at = i; phases[i]!.from = Date.now(); };
  const onLine = (line: string) => {
    if (at < 0 || rebootAt) return;
    const u = SAMPLE_LINE.exec(line);
    if (u) {
      if (at === 1) enter(2);
      return void phases[at]!.samples.push({ t: Date.now(), v: Number(u[1]), bt: Number(u[2]) });
    }
    const c = /^ram: in (\w+) (\d+)$/.exec(line);
    if (c) {
      if (at === 0 && c[1] === "read") enter(1);
      return void phases[at]!.samples.push({ t: Date.now(), v: Number(c[2]) - hookCost, fn: c[1] });
    }
    const r = / ota: update \S+ refused: (.*)$/.exec(line);
    if (r) refused = r[1];
  };
  let chunks = 0;
  const onChunk = (name: string) => { if (name === fw.name) chunks++; };
  b.on("line", onLine);
  b.once("reboot", () => { rebootAt = Date.now(); });
  ep.on("firmwareChunk", onChunk);
  const mark = b.output.length;
  const fromTelemetry = ep.telemetry(fw.name).length;
  try {
    enter(0);
    const assignedAt = phases[0]!.from;
    ep.assignFirmware(fw.name, { title: FIRMWARE_TITLE, version: OTA_TO, data });
    const limit = assignedAt + UPDATE_LIMIT_MS;
    while (!rebootAt && !refused && Date.now() < limit && !/^E vboard:/m.test(b.output.slice(mark))) await sleep(20);
    if (refused) throw new Error(`the firmware refused the update: ${refused}`);
    if (!rebootAt) throw new Error(`no reboot within ${UPDATE_LIMIT_MS / 1000} s of the assignment (in the ${phases[at]!.label.replace(/ \(.*$/, "")})`);
    const done = await b.waitFor(new RegExp(` ota: update to ${OTA_TO}: (UPDATED|FAILED.*)$`), Math.max(1000, limit - Date.now()), mark);
    if (!/UPDATED$/.test(done)) throw new Error(`the update ended with "${done}"`);
    const updatedAt = Date.now();
    const readings = () => ep.telemetry(fw.name).slice(fromTelemetry).filter((e) => e.ts >= updatedAt - 1000 && typeof e.values.temperature === "number").length;
    while ((readings() < AFTER_READINGS || ep.firmwareState(fw.name)?.fw_state !== "UPDATED") && Date.now() < limit) await sleep(50);
    const state = ep.firmwareState(fw.name);
    if (state?.fw_state !== "UPDATED" || state.current_fw_version !== OTA_TO) {
      throw new Error(`the endpoint has fw_state ${state?.fw_state} and version ${state?.current_fw_version}, not UPDATED and ${OTA_TO}`);
    }
    if (readings() < AFTER_READINGS) throw new Error(`${OTA_TO} sent ${readings()} of ${AFTER_READINGS} readings after UPDATED`);
    const end = Date.now();
    const steadyEnd = end + (STEADY_SAMPLES + 1) * SAMPLE_MS + 5000;
    while ((fw.s.from(end).length < STEADY_SAMPLES || linkS.from(end).length < STEADY_SAMPLES) && Date.now() < steadyEnd) await sleep(100);
    const after = fw.s.from(end, STEADY_SAMPLES).map((x) => x.v);
    const linkAfter = linkS.from(end, STEADY_SAMPLES).map((x) => x.v);
    if (after.length < STEADY_SAMPLES || linkAfter.length < STEADY_SAMPLES) throw new Error(`the boards stopped reporting memory after the update`);

    // The timer's rhythm in board time, from its last sample before the assignment: the gaps between
    // its samples, and the one that holds the checks.
    const timer = phases.map((p) => p.samples.filter((x) => !x.fn));
    const lastBefore = fw.s.usage.filter((x) => x.t < assignedAt).pop();
    const times = [lastBefore?.bt, ...timer.flat().map((x) => x.bt)].filter((x): x is number => x !== undefined);
    const checksAfter = timer[0]!.length + (lastBefore ? 1 : 0);
    let largestGapMs = 0;
    let checksGapMs = 0;
    for (let i = 1; i < times.length; i++) {
      const gap = times[i]! - times[i - 1]!;
      if (phases[1]!.from && i === checksAfter) checksGapMs = gap;
      else largestGapMs = Math.max(largestGapMs, gap);
    }
    const ends = [phases[1]!.from || rebootAt, phases[2]!.from || rebootAt, rebootAt];
    return {
      packageBytes: data.length,
      chunks,
      phases: phases.map((p, i) => ({
        label: i === 0 ? `download (${chunks} chunks)` : p.label, samples: p.samples,
        // The checks run inside one task: the host cannot time them apart from the last chunk's arrival.
        ms: i === 1 || !p.from ? undefined : ends[i]! - p.from,
      })),
      timerSamples: timer.flat().length,
      largestGapMs,
      checksGapMs,
      hookCost,
      rebootMs: rebootAt - assignedAt,
      updatedMs: updatedAt - assignedAt,
      after: median(after),
      linkAfter: median(linkAfter),
      states: ep.telemetry(fw.name).slice(fromTelemetry).map((e) => e.values.fw_state).filter((s): s is string => typeof s === "string"),
    };
  } finally {
    b.off("line", onLine);
    ep.off("firmwareChunk", onChunk);
  }
}
