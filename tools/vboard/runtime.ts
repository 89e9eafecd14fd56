// One run of a program on the board: a fresh node:vm context holding only Espruino's API (one module
// per surface in api/), with its own timers, sockets and listeners, all torn down together by
// reboot(), load() or reset(). Every entry into the program's code passes through here, so that an
// exception it does not catch is printed as Espruino prints it, and Ctrl-C can interrupt it.
import * as vm from "node:vm";
import { BoardTimers } from "./clock.ts";
import { formatArgs } from "./format.ts";
import { chipGlobals, eObject, esp32Object, processObject, Watchdog } from "./api/esp32.ts";
import { describe, Emitter, type BoardServices, type Fn, type ProgramHost } from "./api/host.ts";
import { socketModule } from "./api/net.ts";
import { pinGlobals } from "./api/pins.ts";
import { installPrelude } from "./api/prelude.ts";
import { cryptoModule } from "./api/crypto.ts";
import { storageModule } from "./api/storage.ts";
import { timerGlobals } from "./api/timers.ts";
import { wifiModule } from "./api/wifi.ts";
import type { EspruinoSocket } from "./sockets.ts";
import { StorageError } from "./storage.ts";

export type { BoardServices } from "./api/host.ts";
export { REMOVED_GLOBALS, REMOVED_STATICS } from "./api/prelude.ts";
export { SECOND_SNTP } from "./api/wifi.ts";

/** What Espruino prints when Ctrl-C stops a REPL line, and when it stops a callback. */
export const INTERRUPTED_LINE = "Execution Interrupted";
export const INTERRUPTED_EVENT = "Execution Interrupted during event processing.";

export class Program implements ProgramHost {
  alive = true;
  readonly context: vm.Context;
  readonly timers: BoardTimers;
  readonly sockets = new Set<EspruinoSocket>();
  readonly boardJSON: JSON;
  private eEvents = new Emitter();
  private processEvents = new Emitter();
  private wifiEvents = new Emitter();
  private watchdog = new Watchdog(this);
  private moduleCache = new Map<string, unknown>();

  constructor(readonly s: BoardServices) {
    this.timers = new BoardTimers(s.clock, (fn) => this.invoke(fn, []));
    this.context = vm.createContext({}, { name: `virtual ${s.json.info.id}`, codeGeneration: { strings: true, wasm: false } });
    const handled = new WeakSet<object>();
    const rejected = (p: object, reason: unknown) => setImmediate(() => {
      if (!handled.has(p)) this.uncaught(this.makeError("Error", `Unhandled promise rejection: ${describe(reason)}`));
    });
    installPrelude(this.context, () => Math.floor(s.clock.now() * 1000), rejected, handled);
    this.boardJSON = vm.runInContext("JSON", this.context) as JSON;
    Object.assign(this.context, this.globals());
    s.station.events = {
      emit: (ev, details) => this.emitTo(this.wifiEvents, ev, [this.toBoard(details)]),
      callback: (fn, args) => this.invoke(fn, args),
    };
  }

  // --- running code --------------------------------------------------------------------------------
  /** Runs a Storage file's code (boot). */
  run(code: string, filename: string): void {
    if (!this.alive) return;
    this.enter(INTERRUPTED_LINE, () => vm.runInContext(code, this.context, { filename }));
  }

  /** Runs a line typed at the REPL; `interrupted` when Ctrl-C stopped it. */
  evaluate(code: string): { value?: unknown; threw?: boolean; interrupted?: boolean } {
    let threw = false;
    const r = this.enter(INTERRUPTED_LINE, () => {
      try {
        return vm.runInContext(code, this.context, { filename: "REPL" });
      } catch (e) {
        threw = true;
        this.uncaught(e);
        return undefined;
      }
    });
    return { value: r.value, threw: threw || r.interrupted, interrupted: r.interrupted };
  }

  runInit(): void {
    this.emitTo(this.eEvents, "init", []);
  }

  runKill(): void {
    this.emitTo(this.eEvents, "kill", []);
  }

  invoke(fn: Fn, args: unknown[]): void {
    if (!this.alive) return;
    this.enter(INTERRUPTED_EVENT, () => fn(...args));
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
    this.watchdog.stop();
    this.s.station.events = undefined;
  }

  /** One entry into the program's code: what it throws is uncaught; Ctrl-C stops it with `message`
   *  (and the board goes on: timers, sockets and listeners stay, as on Espruino 2v29). */
  private enter<T>(message: string, fn: () => T): { value?: T; interrupted: boolean } {
    const body = () => {
      try {
        return fn();
      } catch (e) {
        this.uncaught(e);
        return undefined;
      }
    };
    const guard = this.s.interrupts();
    if (!guard) return { value: body(), interrupted: false };
    const r = guard.run(body);
    if (r.interrupted) this.print(message);
    return r;
  }

  // --- helpers -------------------------------------------------------------------------------------
  private emitTo(em: Emitter, ev: string, args: unknown[]): void {
    for (const fn of em.get(ev)) this.invoke(fn, args);
  }

  toBoard<T>(v: T): T {
    return v === undefined ? v : (this.boardJSON.parse(JSON.stringify(v)) as T);
  }

  makeError(type: "InternalError" | "Error" | "TypeError", message: string): unknown {
    const C = vm.runInContext(type, this.context) as new (m: string) => unknown;
    return new C(message);
  }

  guard<A extends unknown[], R>(fn: (...a: A) => R): (...a: A) => R {
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

  halted<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
    return (...a: A) => {
      if (this.alive) fn(...a);
    };
  }

  // --- the global object and modules ---------------------------------------------------------------
  private globals(): Record<string, unknown> {
    const log = (...a: unknown[]) => this.print(formatArgs(a));
    return {
      console: { log },
      print: log,
      ...timerGlobals(this, this.timers),
      ...chipGlobals(this),
      ...pinGlobals(this),
      require: (name: unknown) => this.require(String(name)),
      Modules: {
        addCached: (id: string, m: unknown) => void this.moduleCache.set(String(id), typeof m === "function" ? (m as Fn)() : m),
        removeCached: (id: string) => void this.moduleCache.delete(String(id)),
        removeAllCached: () => this.moduleCache.clear(),
        getCached: () => [...this.moduleCache.keys()],
      },
      E: eObject(this, this.eEvents, this.watchdog),
      process: processObject(this, this.processEvents),
      ESP32: esp32Object(this),
    };
  }

  private require(name: string): unknown {
    if (this.moduleCache.has(name)) return this.moduleCache.get(name);
    if (!this.s.json.info.builtin_modules.includes(name)) throw this.makeError("Error", `Module "${name}" not found`);
    let m: unknown;
    switch (name) {
      case "Storage": m = storageModule(this); break;
      case "Wifi": m = wifiModule(this, this.wifiEvents); break;
      case "net": case "tls": m = socketModule(this, name, this.sockets); break;
      case "crypto": m = cryptoModule(this); break;
      default: m = this.notSimulated(name);
    }
    this.moduleCache.set(name, m);
    return m;
  }

  private notSimulated(name: string): unknown {
    return new Proxy({}, {
      get: (_t, prop) => typeof prop === "symbol" ? undefined : () => {
        throw this.makeError("Error", `require("${name}").${String(prop)} is not simulated by the virtual board`);
      },
    });
  }
}
