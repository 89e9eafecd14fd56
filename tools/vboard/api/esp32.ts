// The chip and the interpreter: `E` (events, reboot, watchdog, boot code, temperature), `ESP32`
// (the modelled heap, deep sleep), `process` (version, env, memory, uncaught exceptions), and the
// board's other globals (getSerial, load, reset, atob/btoa).
import { atob8, btoa8, eToString } from "../format.ts";
import type { Emitter, ProgramHost } from "./host.ts";

/** E.enableWatchdog(s, false): the program must kick it, or the board reboots. An automatic one is
 *  kicked by the idle loop, which never stalls here. */
export class Watchdog {
  private timer?: NodeJS.Timeout;

  constructor(private p: ProgramHost) {}

  enable(seconds: number, auto: boolean): void {
    if (!(seconds > 0)) throw this.p.makeError("Error", `E.enableWatchdog needs a timeout in seconds > 0, got ${seconds}`);
    this.stop();
    if (auto) return;
    this.timer = setTimeout(() => this.p.s.request("reboot", "watchdog"), this.p.s.clock.realMs(seconds * 1000));
  }

  kick(): void {
    this.timer?.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export function eObject(p: ProgramHost, events: Emitter, watchdog: Watchdog): Record<string, unknown> {
  const s = p.s;
  return {
    reboot: p.halted(() => s.request("reboot")),
    getTemperature: () => (s.json.device.chip === "esp32" ? s.temperatureRaw : NaN),
    toString: (...a: unknown[]) => eToString(a),
    ...events.methods(),
    emit: (ev: string, ...a: unknown[]) => { for (const fn of events.get(String(ev))) p.invoke(fn, a); },
    enableWatchdog: (seconds: unknown, isAuto?: unknown) => watchdog.enable(Number(seconds), isAuto !== false),
    kickWatchdog: () => watchdog.kick(),
    // Nothing here ever overflows a buffer or runs out of JsVars, so there is no flag to report.
    getErrorFlags: () => p.toBoard([] as string[]),
    setBootCode: p.guard((code: unknown, alwaysExec?: unknown) => {
      s.storage.write(".bootcde", String(code ?? ""));
      if (alwaysExec) s.storage.write(".bootrst", String(code ?? ""));
      else s.storage.erase(".bootrst");
    }),
  };
}

export function esp32Object(p: ProgramHost): Record<string, unknown> {
  const s = p.s;
  return {
    // The board definition's figures for the modelled module and interpreter (heap.ts).
    getState: () => p.toBoard(s.heap.state()),
    deepSleep: p.halted((us: unknown) => s.deepSleep(Number(us))),
    reboot: p.halted(() => s.request("reboot")),
  };
}

export function processObject(p: ProgramHost, events: Emitter): Record<string, unknown> {
  const j = p.s.json;
  return {
    version: j.info.binary_version,
    env: p.toBoard({
      VERSION: j.info.binary_version,
      BOARD: j.info.id,
      SERIAL: p.s.serial,
      CONSOLE: j.device.console === "usb-serial-jtag" ? "USBSerial" : "Serial1",
      STORAGE: j.chip.saved_code.flash_available * 1024,
      MODULES: j.info.builtin_modules.join(","),
    }),
    // Only what the board file says; free/usage/history would be invented figures.
    memory: () => p.toBoard({ total: p.s.heap.variant.jsVars, blocksize: j.device.jsVarBytes }),
    ...events.methods(),
  };
}

/** The rest of the global object that is the chip's: serial, base64, program restarts. */
export function chipGlobals(p: ProgramHost): Record<string, unknown> {
  const s = p.s;
  return {
    getSerial: () => s.serial,
    atob: atob8,
    btoa: btoa8,
    load: p.halted((file?: unknown) => s.request("load", file === undefined ? undefined : String(file))),
    reset: p.halted((clearFlash?: unknown) => s.request("reset", !!clearFlash)),
  };
}

