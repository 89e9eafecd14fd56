// One run of a program on the board: a fresh node:vm context holding only Espruino's API, with its
// own timers, sockets and listeners, all torn down together by reboot(), load() or reset().
import * as vm from "node:vm";
import { BoardTimers, type BoardClock } from "./clock.ts";
import { atob8, btoa8, eToString, formatArgs } from "./format.ts";
import type { NativeHeap } from "./heap.ts";
import { espruinoSocketModule, type EspruinoSocket, type SocketEnv } from "./sockets.ts";
import { StorageError, type BoardStorage } from "./storage.ts";
import type { WifiStation } from "./wifi.ts";
import type { BoardJson } from "../common/index.ts";


/** What a program needs from the board it runs on. */
export interface BoardServices {
  json: BoardJson;
  clock: BoardClock;
  storage: BoardStorage;
  station: WifiStation;
  heap: NativeHeap;
  serial: string;
  pins: Map<string, boolean>;
  temperatureRaw: number;
  socketEnv: Pick<SocketEnv, "hosts" | "refused" | "stallTimeoutMs">;
  write(text: string): void;
  /** Restart requests; the board runs them on a later turn, after this program has stopped. */
  request(kind: "reboot" | "load" | "reset", arg?: string | boolean): void;
  deepSleep(us: number): void;
}

/** Globals V8 has and Espruino 2v29 lacks: measured absent (platform doc §1), or not in Espruino's reference. */
export const REMOVED_GLOBALS = ["Map", "Set", "WeakMap", "WeakSet", "Symbol", "Reflect", "Proxy", "WeakRef",
  "FinalizationRegistry", "BigInt", "BigInt64Array", "BigUint64Array", "SharedArrayBuffer", "Atomics",
  "WebAssembly", "Intl", "AggregateError", "console"];
export const REMOVED_STATICS = ["Object.freeze", "Array.from", "Number.isInteger", "Math.trunc", "Date.UTC"];

// Runs inside the context: removes what Espruino lacks, adds InternalError, and makes Date follow the
// board's clock (Espruino's Date reads the same clock as getTime()).
const PRELUDE = `(function (g, nowMs, rejected, handled) {
  // Promises report a rejection nobody handles themselves, as Espruino does, instead of leaving it
  // to Node's process-wide unhandledRejection (which would fail the host's own tests).
  var HostPromise = Promise, internal = false;
  class BoardPromise extends HostPromise {
    constructor(executor) {
      super(executor);
      if (internal) return;
      internal = true;
      var self = this;
      try { HostPromise.prototype.then.call(this, undefined, function (r) { rejected(self, r); }); }
      finally { internal = false; }
    }
    then(onFulfilled, onRejected) {
      handled.add(this);
      return super.then(onFulfilled, onRejected);
    }
  }
  g.Promise = BoardPromise;
  ${JSON.stringify(REMOVED_GLOBALS)}.forEach(function (n) { delete g[n]; });
  ${JSON.stringify(REMOVED_STATICS)}.forEach(function (p) { var s = p.split("."); delete g[s[0]][s[1]]; });
  function InternalError(message) {
    if (!(this instanceof InternalError)) return new InternalError(message);
    this.message = message === undefined ? "" : String(message);
  }
  InternalError.prototype.toString = function () { return "InternalError: " + this.message; };
  g.InternalError = InternalError;
  var HostDate = Date;
  function BoardDate(a, b, c, d, e, f, h) {
    if (!(this instanceof BoardDate)) return new HostDate(nowMs()).toString();
    switch (arguments.length) {
      case 0: return new HostDate(nowMs());
      case 1: return new HostDate(a);
      default: return new HostDate(a, b, c === undefined ? 1 : c, d || 0, e || 0, f || 0, h || 0);
    }
  }
  BoardDate.prototype = HostDate.prototype;
  BoardDate.now = function () { return nowMs(); };
  BoardDate.parse = HostDate.parse;
  g.Date = BoardDate;
  g.global = g;
})`;

type Fn = (...a: any[]) => unknown;

/** What the board says when a program calls Wifi.setSNTP twice in one boot (platform doc §3: it sets
 *  SNTP's operating mode while SNTP runs, which lwIP asserts against; read from source, not run). */
export const SECOND_SNTP = "vboard: Wifi.setSNTP called again while SNTP runs: an IDF 4 build (ESP32-C3/S3) most likely panics and reboots here";

class Emitter {
  private l = new Map<string, Fn[]>();
  on(ev: string, fn: Fn): void {
    this.l.set(ev, [...(this.l.get(ev) ?? []), fn]);
  }
  off(ev?: string, fn?: Fn): void {
    if (ev === undefined) this.l.clear();
    else if (!fn) this.l.delete(ev);
    else this.l.set(ev, (this.l.get(ev) ?? []).filter((x) => x !== fn));
  }
  get(ev: string): Fn[] {
    return [...(this.l.get(ev) ?? [])];
  }
}

export class Program {
  alive = true;
  readonly context: vm.Context;
  readonly timers: BoardTimers;
  readonly sockets = new Set<EspruinoSocket>();
  private eEvents = new Emitter();
  private processEvents = new Emitter();
  private wifiEvents = new Emitter();
  private watchdog?: { timer: NodeJS.Timeout; ms: number };
  private moduleCache = new Map<string, unknown>();
  private boardJSON: JSON;

  constructor(private s: BoardServices) {
    this.timers = new BoardTimers(s.clock, (fn) => this.invoke(fn, []));
    this.context = vm.createContext({}, { name: `virtual ${s.json.info.id}`, codeGeneration: { strings: true, wasm: false } });
    const prelude = vm.runInContext(PRELUDE, this.context) as
      (g: unknown, now: () => number, rejected: (p: object, r: unknown) => void, handled: WeakSet<object>) => void;
    const handled = new WeakSet<object>();
    const rejected = (p: object, reason: unknown) => setImmediate(() => {
      if (!handled.has(p)) this.uncaught(this.makeError("Error", `Unhandled promise rejection: ${describe(reason)}`));
    });
    prelude(vm.runInContext("globalThis", this.context), () => Math.floor(s.clock.now() * 1000), rejected, handled);
    this.boardJSON = vm.runInContext("JSON", this.context) as JSON;
    Object.assign(this.context, this.globals());
    s.station.events = {
      emit: (ev, details) => this.emitTo(this.wifiEvents, ev, [this.toBoard(details)]),
      callback: (fn, args) => this.invoke(fn, args),
    };
  }

  // --- running code --------------------------------------------------------------------------------
  run(code: string, filename: string): void {
    if (!this.alive) return;
    try {
      vm.runInContext(code, this.context, { filename });
    } catch (e) {
      this.uncaught(e);
    }
  }

  runInit(): void {
    this.emitTo(this.eEvents, "init", []);
  }

  runKill(): void {
    this.emitTo(this.eEvents, "kill", []);
  }

  invoke(fn: Fn, args: unknown[]): void {
    if (!this.alive) return;
    try {
      fn(...args);
    } catch (e) {
      this.uncaught(e);
    }
  }

  /** Espruino hands an uncaught exception to process.on('uncaughtException'), else prints it. */
  uncaught(e: unknown): void {
    if (!this.alive) return;
    const handlers = this.processEvents.get("uncaughtException");
    if (handlers.length === 0) return this.print(`Uncaught ${describe(e)}`);
    for (const h of handlers) {
      try {
        h(e);
      } catch (e2) {
        this.print(`Uncaught ${describe(e2)}`);
      }
    }
  }

  print(text: string): void {
    if (this.alive) this.s.write(text + "\n");
  }

  /** Stops everything this program started; no callback of it runs afterwards. */
  teardown(): void {
    this.alive = false;
    this.timers.clearAll();
    for (const sock of [...this.sockets]) sock.destroy();
    this.sockets.clear();
    if (this.watchdog) clearTimeout(this.watchdog.timer);
    this.watchdog = undefined;
    this.s.station.events = undefined;
  }

  // --- helpers -------------------------------------------------------------------------------------
  private emitTo(em: Emitter, ev: string, args: unknown[]): void {
    for (const fn of em.get(ev)) this.invoke(fn, args);
  }

  /** Plain data re-created in the program's realm, so `instanceof Array`/`Object` hold there. */
  private toBoard<T>(v: T): T {
    return v === undefined ? v : (this.boardJSON.parse(JSON.stringify(v)) as T);
  }

  makeError(type: "InternalError" | "Error" | "TypeError", message: string): unknown {
    const C = vm.runInContext(type, this.context) as new (m: string) => unknown;
    return new C(message);
  }

  /** Host errors (bad arguments, Storage limits) reach the program as its own Error. */
  private guard<A extends unknown[], R>(fn: (...a: A) => R): (...a: A) => R {
    return (...a: A) => {
      try {
        return fn(...a);
      } catch (e) {
        if (e instanceof StorageError || e instanceof TypeError || e instanceof RangeError) {
          throw this.makeError(e instanceof TypeError ? "TypeError" : "Error", e.message);
        }
        throw e;
      }
    };
  }

  private halted<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
    return (...a: A) => {
      if (this.alive) fn(...a);
    };
  }

  // --- the global object ---------------------------------------------------------------------------
  private globals(): Record<string, unknown> {
    const s = this.s;
    const t = this.timers;
    const log = (...a: unknown[]) => this.print(formatArgs(a));
    const pin = (name: string) => makePin(name, s.pins);
    const led = pin(s.json.device.ledPin);
    return {
      console: { log },
      print: log,
      setTimeout: this.guard((fn: unknown, ms?: unknown, ...a: unknown[]) => (this.alive ? t.set(fn, ms, a, false) : 0)),
      setInterval: this.guard((fn: unknown, ms?: unknown, ...a: unknown[]) => (this.alive ? t.set(fn, ms, a, true) : 0)),
      clearTimeout: (id?: unknown) => t.clear(id, "Timeout"),
      clearInterval: (id?: unknown) => t.clear(id, "Interval"),
      getTime: () => s.clock.now(),
      setTime: (sec: unknown) => s.clock.setTime(Number(sec)),
      getSerial: () => s.serial,
      atob: atob8,
      btoa: btoa8,
      LED1: led,
      [s.json.device.ledPin]: led,
      digitalWrite: this.guard((p: unknown, v: unknown) => pinOf(p, s.pins).write(v)),
      digitalRead: this.guard((p: unknown) => pinOf(p, s.pins).read()),
      pinMode: this.guard((p: unknown) => void pinOf(p, s.pins)),
      load: this.halted((file?: unknown) => s.request("load", file === undefined ? undefined : String(file))),
      reset: this.halted((clearFlash?: unknown) => s.request("reset", !!clearFlash)),
      require: (name: unknown) => this.require(String(name)),
      Modules: {
        addCached: (id: string, m: unknown) => void this.moduleCache.set(String(id), typeof m === "function" ? (m as Fn)() : m),
        removeCached: (id: string) => void this.moduleCache.delete(String(id)),
        removeAllCached: () => this.moduleCache.clear(),
        getCached: () => [...this.moduleCache.keys()],
      },
      E: this.eObject(),
      process: this.processObject(),
      ESP32: {
        // The board definition's figures for the modelled module and interpreter (heap.ts).
        getState: () => this.toBoard(s.heap.state()),
        deepSleep: this.halted((us: unknown) => s.deepSleep(Number(us))),
        reboot: this.halted(() => s.request("reboot")),
      },
    };
  }

  private eObject(): Record<string, unknown> {
    const s = this.s;
    return {
      reboot: this.halted(() => s.request("reboot")),
      getTemperature: () => (s.json.device.chip === "esp32" ? s.temperatureRaw : NaN),
      toString: (...a: unknown[]) => eToString(a),
      on: (ev: string, fn: Fn) => this.eEvents.on(String(ev), fn),
      removeListener: (ev: string, fn: Fn) => this.eEvents.off(String(ev), fn),
      removeAllListeners: (ev?: string) => this.eEvents.off(ev),
      emit: (ev: string, ...a: unknown[]) => this.emitTo(this.eEvents, String(ev), a),
      enableWatchdog: (seconds: unknown, isAuto?: unknown) => this.enableWatchdog(Number(seconds), isAuto !== false),
      kickWatchdog: () => this.kickWatchdog(),
      // Nothing here ever overflows a buffer or runs out of JsVars, so there is no flag to report.
      getErrorFlags: () => this.toBoard([] as string[]),
      setBootCode: this.guard((code: unknown, alwaysExec?: unknown) => {
        s.storage.write(".bootcde", String(code ?? ""));
        if (alwaysExec) s.storage.write(".bootrst", String(code ?? ""));
        else s.storage.erase(".bootrst");
      }),
    };
  }

  private processObject(): Record<string, unknown> {
    const j = this.s.json;
    return {
      version: j.info.binary_version,
      env: this.toBoard({
        VERSION: j.info.binary_version,
        BOARD: j.info.id,
        SERIAL: this.s.serial,
        CONSOLE: j.device.console === "usb-serial-jtag" ? "USBSerial" : "Serial1",
        STORAGE: j.chip.saved_code.flash_available * 1024,
        MODULES: j.info.builtin_modules.join(","),
      }),
      // Only what the board file says; free/usage/history would be invented figures.
      memory: () => this.toBoard({ total: this.s.heap.variant.jsVars, blocksize: j.device.jsVarBytes }),
      on: (ev: string, fn: Fn) => this.processEvents.on(String(ev), fn),
      removeListener: (ev: string, fn: Fn) => this.processEvents.off(String(ev), fn),
      removeAllListeners: (ev?: string) => this.processEvents.off(ev),
    };
  }

  private enableWatchdog(seconds: number, auto: boolean): void {
    if (!(seconds > 0)) throw this.makeError("Error", `E.enableWatchdog needs a timeout in seconds > 0, got ${seconds}`);
    if (this.watchdog) clearTimeout(this.watchdog.timer);
    this.watchdog = undefined;
    // An automatic watchdog is kicked by the idle loop, which never stalls here.
    if (auto) return;
    const ms = this.s.clock.realMs(seconds * 1000);
    this.watchdog = { ms, timer: setTimeout(() => this.s.request("reboot", "watchdog"), ms) };
  }

  private kickWatchdog(): void {
    if (!this.watchdog) return;
    this.watchdog.timer.refresh();
  }

  // --- modules -------------------------------------------------------------------------------------
  private require(name: string): unknown {
    if (this.moduleCache.has(name)) return this.moduleCache.get(name);
    if (!this.s.json.info.builtin_modules.includes(name)) throw this.makeError("Error", `Module "${name}" not found`);
    let m: unknown;
    switch (name) {
      case "Storage": m = this.storageModule(); break;
      case "Wifi": m = this.wifiModule(); break;
      case "net": case "tls": m = espruinoSocketModule(name, this.socketEnv()); break;
      default: m = this.notSimulated(name);
    }
    this.moduleCache.set(name, m);
    return m;
  }

  private socketEnv(): SocketEnv {
    return {
      ...this.s.socketEnv,
      print: (l) => this.print(l),
      invoke: (fn, args) => this.invoke(fn, args),
      uncaught: (e) => this.uncaught(e),
      makeError: (type, msg) => this.makeError(type, msg),
      readFile: (n) => this.s.storage.read(n),
      link: this.s.station,
      heap: this.s.heap,
      track: (x) => this.alive ? this.sockets.add(x) : x.destroy(),
      untrack: (x) => this.sockets.delete(x),
    };
  }

  private notSimulated(name: string): unknown {
    return new Proxy({}, {
      get: (_t, prop) => typeof prop === "symbol" ? undefined : () => {
        throw this.makeError("Error", `require("${name}").${String(prop)} is not simulated by the virtual board`);
      },
    });
  }

  private storageModule(): Record<string, unknown> {
    const st = this.s.storage;
    return {
      write: this.guard((name: unknown, data: unknown, offset?: unknown, size?: unknown) =>
        st.write(String(name), eToString([data === undefined ? "" : typeof data === "object" ? data : String(data)]),
          offset === undefined ? 0 : Number(offset), size === undefined ? undefined : Number(size))),
      read: this.guard((name: unknown, offset?: unknown, length?: unknown) =>
        st.read(String(name), offset === undefined ? 0 : Number(offset), length === undefined ? undefined : Number(length))),
      readJSON: this.guard((name: unknown, noExceptions?: unknown) => {
        const text = st.read(String(name));
        if (text === undefined) return undefined;
        try {
          return this.boardJSON.parse(text);
        } catch (e) {
          if (noExceptions) return undefined;
          throw e;
        }
      }),
      writeJSON: this.guard((name: unknown, data: unknown) => st.write(String(name), JSON.stringify(data) ?? "undefined")),
      list: this.guard((pattern?: unknown) => this.toBoard(st.list(pattern instanceof RegExp || isRegExp(pattern) ? pattern as RegExp : undefined))),
      erase: this.guard((name: unknown) => st.erase(String(name))),
      eraseAll: () => st.eraseAll(),
      getFree: () => st.getFree(),
      compact: () => undefined,
    };
  }

  private wifiModule(): Record<string, unknown> {
    const st = this.s.station;
    const details = () => this.toBoard(st.details());
    const ipInfo = () => this.toBoard({
      ip: st.isUp() ? st.ap.ip : "0.0.0.0",
      netmask: st.isUp() ? st.ap.netmask : "0.0.0.0",
      gw: st.isUp() ? st.ap.gw : "0.0.0.0",
      mac: st.mac,
    });
    return {
      connect: this.guard((ssid: unknown, opts?: { password?: unknown }, cb?: Fn) => {
        if (typeof ssid !== "string") throw new TypeError(`Wifi.connect: ssid must be a string, got ${typeof ssid}`);
        if (typeof opts === "function") { cb = opts as Fn; opts = undefined; }
        const pw = opts && opts.password !== undefined ? String(opts.password) : undefined;
        st.connect(ssid, pw, typeof cb === "function" ? cb : undefined);
      }),
      disconnect: (cb?: Fn) => {
        st.disconnect();
        if (typeof cb === "function") setImmediate(() => this.invoke(cb, []));
      },
      on: (ev: string, fn: Fn) => this.wifiEvents.on(String(ev), fn),
      removeListener: (ev: string, fn: Fn) => this.wifiEvents.off(String(ev), fn),
      removeAllListeners: (ev?: string) => this.wifiEvents.off(ev),
      getIP: (cb?: Fn) => {
        const info = ipInfo();
        if (typeof cb === "function") setImmediate(() => this.invoke(cb, [null, info]));
        return info;
      },
      // rssi is left out: the simulated radio has no signal strength to report.
      getDetails: (cb?: Fn) => {
        const d = details();
        if (typeof cb === "function") setImmediate(() => this.invoke(cb, [d]));
        return d;
      },
      getStatus: () => this.toBoard({ station: st.isUp() ? "connected" : "disconnected", mode: "sta", powersave: "none" }),
      setHostname: (name: unknown) => { st.hostname = String(name); },
      getHostname: (cb?: Fn) => {
        if (typeof cb === "function") setImmediate(() => this.invoke(cb, [st.hostname]));
        return st.hostname;
      },
      // Sets the clock only when the board was given a time server (option timeServer). Both
      // arguments must be strings, as in Espruino's ESP32 jswrap_wifi_setSNTP (the zone is a POSIX
      // TZ string such as "UTC0"; a number is refused there and SNTP never starts).
      setSNTP: (server: unknown, tz: unknown) => {
        if (typeof tz !== "string") throw this.makeError("Error", "Zone is not a string");
        if (typeof server !== "string") throw this.makeError("Error", "Server is not a string");
        if (st.sntp) this.print(SECOND_SNTP);
        st.setSntp(server, tz);
      },
      save: this.guard((what?: unknown) => {
        if (what === "clear") return st && this.s.storage.erase(".wificfg");
        this.s.storage.write(".wificfg", JSON.stringify({ mode: "sta", ...st.savedConfig() }));
      }),
    };
  }
}

function isRegExp(v: unknown): boolean {
  return Object.prototype.toString.call(v) === "[object RegExp]";
}

function describe(e: unknown): string {
  try {
    return String(e);
  } catch {
    return Object.prototype.toString.call(e);
  }
}

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
