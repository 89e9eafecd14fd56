// What each of the program's API surfaces (this folder) needs from the program that runs it: the
// board's services, printing, calling the program's functions, and making values in its realm.
import type { BoardJson } from "../../common/index.ts";
import type { BoardClock } from "../clock.ts";
import type { NativeHeap } from "../heap.ts";
import type { InterruptGuard } from "../interrupt.ts";
import type { SocketEnv } from "../sockets.ts";
import type { BoardStorage } from "../storage.ts";
import type { WifiStation } from "../wifi.ts";

// Program functions and listeners are whatever the program passes.
export type Fn = (...a: any[]) => unknown;

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
  /** Ctrl-C from the REPL (interrupt.ts), while a REPL is served. */
  interrupts(): InterruptGuard | undefined;
}

export interface ProgramHost {
  readonly s: BoardServices;
  readonly alive: boolean;
  /** The program's own JSON (values it parses belong to its realm). */
  readonly boardJSON: JSON;
  print(text: string): void;
  /** Calls a program function; what it throws is the program's uncaught exception. */
  invoke(fn: Fn, args: unknown[]): void;
  uncaught(e: unknown): void;
  makeError(type: "InternalError" | "Error" | "TypeError", message: string): unknown;
  /** Plain data re-created in the program's realm, so `instanceof Array`/`Object` hold there. */
  toBoard<T>(v: T): T;
  /** Host errors (bad arguments, Storage limits) reach the program as its own Error. */
  guard<A extends unknown[], R>(fn: (...a: A) => R): (...a: A) => R;
  /** A function that does nothing once the program has stopped (restart requests). */
  halted<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void;
}

/** Listeners by event name, as Espruino's `on`/`removeListener`/`removeAllListeners` keep them. */
export class Emitter {
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
  /** The program-facing methods on an object that emits (E, process, Wifi). */
  methods(): Record<string, unknown> {
    return {
      on: (ev: string, fn: Fn) => this.on(String(ev), fn),
      removeListener: (ev: string, fn: Fn) => this.off(String(ev), fn),
      removeAllListeners: (ev?: string) => this.off(ev),
    };
  }
}

/** How a thrown value prints (`Uncaught …`), even one whose toString throws. */
export function describe(e: unknown): string {
  try {
    return String(e);
  } catch {
    return Object.prototype.toString.call(e);
  }
}
