// The program's realm made Espruino's: what V8 has and Espruino 2v29 lacks is removed, InternalError
// added, Date follows the board's clock (Espruino's Date reads the same clock as getTime()), and
// promises report a rejection nobody handles themselves. Real code, run inside the context from its
// source, so that its classes extend the context's own Promise and Date.
import * as vm from "node:vm";

/** Globals V8 has and Espruino 2v29 lacks: measured absent (docs/espruino.md §1.2), or not in Espruino's reference. */
export const REMOVED_GLOBALS = ["Map", "Set", "WeakMap", "WeakSet", "Symbol", "Reflect", "Proxy", "WeakRef",
  "FinalizationRegistry", "BigInt", "BigInt64Array", "BigUint64Array", "SharedArrayBuffer", "Atomics",
  "WebAssembly", "Intl", "AggregateError", "console"];
export const REMOVED_STATICS = ["Object.freeze", "Array.from", "Number.isInteger", "Math.trunc", "Date.UTC"];

type Rejected = (p: object, reason: unknown) => void;

// Runs in the context: only its own parameters and the context's globals are in reach.
function prelude(g: Record<string, any>, nowMs: () => number, rejected: Rejected, handled: WeakSet<object>,
  removedGlobals: string[], removedStatics: string[]): void {
  // Promises report a rejection nobody handles themselves, as Espruino does, instead of leaving it
  // to Node's process-wide unhandledRejection (which would fail the host's own tests).
  const HostPromise = g.Promise as PromiseConstructor;
  let internal = false;
  class BoardPromise<T> extends HostPromise<T> {
    constructor(executor: (res: (v: T) => void, rej: (r?: unknown) => void) => void) {
      super(executor);
      if (internal) return;
      internal = true;
      const self = this;
      try { HostPromise.prototype.then.call(this, undefined, (r: unknown) => { rejected(self, r); }); }
      finally { internal = false; }
    }
    then<A = T, B = never>(onFulfilled?: ((v: T) => A | PromiseLike<A>) | null, onRejected?: ((r: any) => B | PromiseLike<B>) | null): Promise<A | B> {
      handled.add(this);
      return super.then(onFulfilled, onRejected);
    }
  }
  g.Promise = BoardPromise;
  removedGlobals.forEach((n) => { delete g[n]; });
  removedStatics.forEach((p) => { const s = p.split("."); delete g[s[0]!][s[1]!]; });
  function InternalError(this: { message: string }, message?: unknown): unknown {
    if (!(this instanceof InternalError)) return new (InternalError as any)(message);
    this.message = message === undefined ? "" : String(message);
    return undefined;
  }
  InternalError.prototype.toString = function (this: { message: string }) { return "InternalError: " + this.message; };
  g.InternalError = InternalError;
  const HostDate = g.Date as DateConstructor;
  function BoardDate(this: unknown, a?: any, b?: any, c?: any, d?: any, e?: any, f?: any, h?: any): unknown {
    if (!(this instanceof BoardDate)) return new HostDate(nowMs()).toString();
    switch (arguments.length) {
      case 0: return new HostDate(nowMs());
      case 1: return new HostDate(a);
      default: return new HostDate(a, b, c === undefined ? 1 : c, d || 0, e || 0, f || 0, h || 0);
    }
  }
  BoardDate.prototype = HostDate.prototype;
  BoardDate.now = () => nowMs();
  BoardDate.parse = HostDate.parse;
  g.Date = BoardDate;
  // Espruino's JSON.stringify writes every char from 0x7f up, and the control chars, as \u00XX in
  // capitals (its strings are bytes: a char above 0xff cannot exist there, so it stands for its low
  // byte); V8 writes them raw, or in lower case (docs/espruino.md §1.5).
  const hostStringify = g.JSON.stringify;
  g.JSON.stringify = function (v: unknown, r?: any, sp?: any): string | undefined {
    const t = hostStringify.call(g.JSON, v, r, sp);
    return typeof t !== "string" ? t : t.replace(/\\\\|\\u([0-9a-f]{4})|[\x7f-\uffff]/g, (m: string, hex?: string) =>
      m.length == 2 ? m : hex ? "\\u" + hex.toUpperCase() : "\\u00" + ("0" + (m.charCodeAt(0) & 255).toString(16)).slice(-2).toUpperCase());
  };
  // Espruino rounds halves away from zero, V8 towards +infinity: Math.round(-2.5) is -3 there, -2 here
  // (docs/espruino.md §1.5).
  g.Math.round = (x: number) => (x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5));
  g.global = g;
}

/** Makes the context's realm Espruino's (see above). */
export function installPrelude(context: vm.Context, nowMs: () => number, rejected: Rejected, handled: WeakSet<object>): void {
  // The host's TypeScript loader may wrap functions in a naming helper (`__name`); the wrapper gives
  // the source one that does nothing, in its own scope, so no global is added to the program's realm.
  const fn = vm.runInContext(`(function () { var __name = function (f) { return f; }; return (${prelude.toString()}); })()`, context) as typeof prelude;
  fn(vm.runInContext("globalThis", context) as Record<string, any>, nowMs, rejected, handled, REMOVED_GLOBALS, REMOVED_STATICS);
}
