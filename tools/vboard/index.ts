// The virtual board: runs a firmware bundle as an ESP32-family board with Espruino 2v29 would,
// with real sockets (loopback only), a file-backed Storage and a simulated access point.
// docs/espruino.md §2-3 has the behaviour it reproduces.
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { BoardClock } from "./clock.ts";
import { BoardConsole } from "./console.ts";
import { NativeHeap } from "./heap.ts";
import { boardOf } from "./options.ts";
import { EspruinoBoard } from "./espruino/board.ts";
import type { BoardJson, BoardName } from "../common/index.ts";
import type { InterruptGuard } from "./interrupt.ts";
import { Program } from "./runtime.ts";
import { isLoopback } from "./sockets.ts";
import { BoardStorage } from "./storage.ts";
import { SimAccessPoint, WifiStation } from "./wifi.ts";
import { SensorHost, type SensorControl, type SensorOptions } from "./sensors/index.ts";

export { BOARDS, isBoardName, loadBoard, type BoardName } from "../common/index.ts";
export { SENSOR_KINDS, type SensorControl, type SensorKind, type SensorOptions, type SensorRaw, type SensorValues, type Bme280Calibration } from "./sensors/index.ts";

export interface VirtualBoardOptions {
  board: BoardName;
  storageDir: string;
  ap?: { ssid?: string; password?: string; present?: boolean; joinDelayMs?: number; ip?: string };
  hosts?: Record<string, string>;
  timeScale?: number;
  /**
   * A time server on the simulated network: after Wifi.setSNTP, once Wi-Fi is up, the board's clock
   * is set to the host's wall time, as an SNTP answer would. Default off: the clock stays at uptime.
   */
  timeServer?: boolean;
  /** Also write serial output to process.stdout. */
  echo?: boolean;
  /** How a refused connection shows: "throw" like the Linux build (default) or "events" (error -9). */
  refused?: "throw" | "events";
  /** Real ms a socket with unsent data survives a dead link before error -3 (default 60000). */
  stallTimeoutMs?: number;
  /** Which of the board definition's memory variants (module kind × interpreter build, e.g.
   *  "wroom-2v29") the board has; default its device.virtualVariant. Sets the JsVars, the native
   *  heap ESP32.getState() reports, and whether TLS fits. */
  memoryVariant?: string;
  /** E.getTemperature() on esp32 (raw, unconverted). Default 128, what ESP32 chips without the
   *  internal sensor return from the ROM reading. C3/S3 always give NaN. */
  temperatureRaw?: number;
  /** A sensor wired to the board, modelled at the bus level behind Espruino's I2C, OneWire or pin
   *  API (tools/vboard/sensors/, docs/espruino.md §3.6); board.sensor controls it. Without it the
   *  board has no sensor and none of that API is replaced. */
  sensor?: SensorOptions;
}

const BOOT_FILES = [".boot0", ".boot1", ".boot2", ".boot3"];

export class VirtualBoard extends BoardConsole {
  readonly engine = "node" as const;
  readonly boardName: BoardName;
  readonly json: BoardJson;
  readonly storage: BoardStorage;
  readonly clock: BoardClock;
  private station: WifiStation;
  private accessPoint: SimAccessPoint;
  readonly heap: NativeHeap;
  private program?: Program;
  private pins = new Map<string, boolean>();
  private pendingRestart?: NodeJS.Immediate | NodeJS.Timeout;
  private interrupts?: InterruptGuard;

  readonly ap: { setPassword(p: string): void; setPresent(p: boolean): void; dropLink(reason?: string): void; restoreLink(): void };
  /** The sensor's control, when the options name one. */
  readonly sensor?: SensorControl;
  private sensorHost?: SensorHost;

  constructor(private o: VirtualBoardOptions) {
    super();
    this.json = boardOf(o);
    if (o.sensor) {
      this.sensorHost = new SensorHost(o.sensor, this.json);
      this.sensor = this.sensorHost.control(async (expr) => {
        const r = this.evaluate(expr);
        // Values made in the program's realm come back as the host's own.
        return r.ran && r.value !== undefined ? JSON.parse(JSON.stringify(r.value)) : undefined;
      });
    }
    this.boardName = o.board;
    for (const [name, addr] of Object.entries(o.hosts ?? {})) {
      if (!isLoopback(addr)) {
        throw new Error(`VirtualBoard: hosts["${name}"] = "${addr}" is not a loopback address; map names to 127.x.x.x or ::1`);
      }
    }
    this.heap = new NativeHeap(this.json, o.memoryVariant);
    this.clock = new BoardClock(o.timeScale ?? 1);
    this.storage = new BoardStorage(o.storageDir, this.json.chip.saved_code.flash_available * 1024);
    this.accessPoint = new SimAccessPoint(o.ap);
    const id = createHash("sha256").update(resolve(o.storageDir)).digest();
    // A locally administered MAC, stable per storage directory (one directory = one board).
    const mac = [0x02, ...id.subarray(0, 5)].map((b) => b.toString(16).padStart(2, "0"));
    this.station = new WifiStation(this.accessPoint, mac.join(":"),
      o.timeServer ? () => this.clock.setTime(Date.now() / 1000) : undefined);
    this.station.onChange((up) => this.heap.wifi(up));
    const serial = mac.join("");
    this.serial = serial;
    this.ap = {
      setPassword: (p: string) => { this.accessPoint.password = p; },
      setPresent: (p: boolean) => {
        if (p) this.accessPoint.present = true;
        else this.station.dropLink("no_ap_found");
      },
      dropLink: (reason?: string) => this.station.dropLink(reason),
      restoreLink: () => { this.accessPoint.present = true; },
    };
  }

  private serial: string;

  /** Writes the program to Storage `.bootcde`, as the CLI's SAVE_ON_SEND upload does. */
  flash(code: string): void {
    if (typeof code !== "string") throw new Error("flash(code) needs the bundle as a string");
    this.storage.write(".bootcde", code);
  }

  /** Power on: runs .boot0-.boot3, .bootcde, then E.on('init') handlers. */
  boot(): void {
    if (this.stopped) throw new Error("This VirtualBoard was stopped; create a new one on the same storageDir");
    this.start("power-on");
  }

  /** Hardware reset, as E.reboot() or the reset button. */
  reboot(): void {
    if (this.stopped) return;
    this.start("reboot");
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clearPendingRestart();
    this.program?.teardown();
    this.program = undefined;
    this.station.reset();
    this.rejectWaiters();
    // Let destroyed sockets finish closing before the caller closes its servers.
    await new Promise((r) => setImmediate(r));
  }

  /** What an SNTP answer does to the board's clock: it jumps to `epochSeconds` (default: the host's
   *  wall time) without the timers being told (docs/espruino.md §3.2). */
  stepClock(epochSeconds = Date.now() / 1000): void {
    this.clock.setTime(epochSeconds);
  }

  /** Writes a Storage file. */
  writeFile(name: string, data: string): void {
    this.storage.write(name, data);
  }

  /** A Storage file's contents, or undefined when there is none. */
  async readFile(name: string): Promise<string | undefined> {
    return this.storage.read(name);
  }

  /** Runs one line typed at the REPL in the running program's context (tools/vboard/repl.ts).
   *  ran is false while no program runs (between reset() and the next start). */
  evaluate(code: string): { ran: boolean; value?: unknown; threw?: boolean; interrupted?: boolean } {
    const p = this.program;
    if (!p || !p.alive || this.stopped) return { ran: false };
    return { ran: true, ...p.evaluate(code) };
  }

  /** Lets Ctrl-C interrupt the program's code (the REPL's worker sends it; interrupt.ts). Returns
   *  what takes it back. */
  acceptInterrupts(guard: InterruptGuard): () => void {
    this.interrupts = guard;
    return () => { if (this.interrupts === guard) this.interrupts = undefined; };
  }

  // --- internals -----------------------------------------------------------------------------------

  private clearPendingRestart(): void {
    if (this.pendingRestart) {
      clearTimeout(this.pendingRestart as NodeJS.Timeout);
      clearImmediate(this.pendingRestart as NodeJS.Immediate);
    }
    this.pendingRestart = undefined;
  }

  /** A program asked to restart: it stops at once, the new run starts on a later turn. */
  private request(kind: "reboot" | "load" | "reset", arg?: string | boolean): void {
    const p = this.program;
    if (!p || !p.alive || this.stopped) return;
    if (kind === "load" || kind === "reset") p.runKill();
    p.teardown();
    this.clearPendingRestart();
    this.pendingRestart = setImmediate(() => {
      this.pendingRestart = undefined;
      if (kind === "reset" && arg === true) this.storage.eraseAll();
      this.start(kind, typeof arg === "string" ? arg : undefined);
    });
  }

  private deepSleep(us: number): void {
    const p = this.program;
    if (!p || !p.alive) return;
    p.teardown();
    this.station.reset();
    this.clearPendingRestart();
    // Waking from deep sleep is a reset; without a time it sleeps until stopped.
    if (us > 0) this.pendingRestart = setTimeout(() => this.start("reboot"), this.clock.realMs(us / 1000));
  }

  private start(kind: "power-on" | "reboot" | "load" | "reset", file?: string): void {
    if (this.stopped) return;
    this.clearPendingRestart();
    this.program?.teardown();
    const hardware = kind === "power-on" || kind === "reboot";
    if (hardware) {
      this.clock.restart();
      this.station.reset();
      this.heap.reset();
      this.pins.clear();
    }
    if (kind !== "power-on") this.emit("reboot", kind);
    const p = new Program({
      json: this.json,
      clock: this.clock,
      storage: this.storage,
      station: this.station,
      heap: this.heap,
      serial: this.serial,
      pins: this.pins,
      temperatureRaw: this.o.temperatureRaw ?? 128,
      socketEnv: { hosts: this.o.hosts, refused: this.o.refused, stallTimeoutMs: this.o.stallTimeoutMs },
      write: (t) => this.write(t, this.o.echo),
      request: (k, a) => this.request(k, a),
      deepSleep: (us) => this.deepSleep(us),
      interrupts: () => this.interrupts,
    });
    this.program = p;
    p.print(`Espruino ${this.json.info.binary_version} ${this.json.info.id} (virtual board)`);
    if (hardware) this.restoreWifi();
    if (kind !== "reset") {
      // The sensor's model is hardware: installed before the boot files, as the espruino engine's .boot0 does.
      if (this.sensorHost) p.run(this.sensorHost.script(), "vbsensor.js");
      for (const f of BOOT_FILES) this.runFile(p, f);
      this.runFile(p, file ?? ".bootcde");
    } else {
      this.runFile(p, ".bootrst");
    }
    if (p.alive) p.runInit();
  }

  private runFile(p: Program, name: string): void {
    let code: string | undefined;
    try {
      code = this.storage.read(name);
    } catch (e) {
      p.print(`Uncaught Error: ${(e as Error).message}`);
      return;
    }
    if (code !== undefined) p.run(code, name);
  }

  /** Espruino on ESP32 rejoins the network saved with Wifi.save() at power-on. */
  private restoreWifi(): void {
    const text = this.storage.read(".wificfg");
    if (!text) return;
    try {
      const cfg = JSON.parse(text) as { ssid?: string; password?: string; hostname?: string };
      if (cfg.hostname) this.station.hostname = cfg.hostname;
      if (cfg.ssid) this.station.connect(cfg.ssid, cfg.password);
    } catch {
      /* an unreadable .wificfg is ignored, as a corrupt one would be */
    }
  }
}

export { espruinoSocketModule } from "./sockets.ts";
export type { EspruinoSocketLike, SocketEnv } from "./sockets.ts";

export type EngineName = "node" | "espruino";
export const ENGINE_NAMES: readonly EngineName[] = ["node", "espruino"];
/** A board on either engine; what is not common (the node engine's clock, evaluate) needs a check of `engine`. */
export type Board = VirtualBoard | EspruinoBoard;

/** A board on the chosen engine: "node" (this vm imitation, the default) or "espruino" (the real
 *  interpreter's Linux build: `espruinoBin` or ESPRUINO_BIN; `telnet` serves its REPL on port 2323
 *  for the CLI). Both have the same surface. */
export function createBoard(o: VirtualBoardOptions & { engine?: EngineName; espruinoBin?: string; telnet?: boolean }): Board {
  const engine = o.engine ?? "node";
  if (engine === "node") return new VirtualBoard(o);
  if (engine === "espruino") return new EspruinoBoard(o);
  throw new Error(`Unknown engine "${engine as string}": use node or espruino`);
}
