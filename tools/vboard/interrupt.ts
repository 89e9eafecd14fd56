// Ctrl-C on the node engine. The program runs on the host's main thread, so a busy loop there
// (`while(true){}` typed at the REPL) stops everything, the REPL's own socket included. The REPL is
// therefore read on a worker thread (repl-wire.mjs), which sees Ctrl-C even then; as Espruino does,
// it interrupts only code that is still running a moment after the key (EXEC_CTRL_C becomes
// EXEC_INTERRUPTED two SysTicks later), else the key goes to the line editor.
//
// The interruption is Node's vm `breakOnSigint`: each outermost entry into the program (a REPL line,
// a timer, a socket event) runs under a SIGINT watchdog, and the worker sends the process SIGINT.
// A SIGINT that arrived with no watchdog registered would end the host (or stop `npm run sim`), so
// the two threads agree through one shared word: the id of the entry that runs, 0 when none, -1 once
// the worker has claimed it. The worker signals only after claiming a running entry; an entry that
// finds itself claimed as it ends waits, still under its watchdog, for the signal on its way.
import * as vm from "node:vm";

/** How long the program may go on after Ctrl-C before it is interrupted (two SysTicks and more). */
export const INTERRUPT_GRACE_MS = 100;
/** Longest wait for a claimed SIGINT to arrive (it is sent right after the claim). */
const SIGNAL_WAIT_MS = 2000;
const INTERRUPTED = "ERR_SCRIPT_EXECUTION_INTERRUPTED";

export class InterruptGuard {
  /** [0]: the running entry's id, 0 when idle, -1 when the worker has claimed it and signals. */
  readonly state = new Int32Array(new SharedArrayBuffer(4));
  private depth = 0;
  private last = 0;
  // The trampoline under the watchdog: a script in a context of its own that calls `run`.
  private readonly trampoline = new vm.Script("run()", { filename: "vboard-interrupt" });
  private readonly holder: { run?: () => unknown } = vm.createContext({ run: undefined });

  /** Runs `fn` so that Ctrl-C can stop it; `interrupted` says it was stopped. Nested calls run as
   *  part of the outermost one. */
  run<T>(fn: () => T): { value?: T; interrupted: boolean } {
    if (this.depth > 0) return { value: fn(), interrupted: false };
    const id = this.last = this.last >= 0x3fffffff ? 1 : this.last + 1;
    const st = this.state;
    this.depth++;
    this.holder.run = () => {
      Atomics.store(st, 0, id);
      try {
        return fn();
      } finally {
        // Claimed as it ended: the SIGINT is on its way and must find this watchdog.
        if (Atomics.compareExchange(st, 0, id, 0) !== id) {
          const end = Date.now() + SIGNAL_WAIT_MS;
          while (Date.now() < end) { /* the signal ends this loop */ }
          Atomics.store(st, 0, 0);
        }
      }
    };
    try {
      return { value: this.trampoline.runInContext(this.holder, { breakOnSigint: true }) as T, interrupted: false };
    } catch (e) {
      if ((e as { code?: string }).code !== INTERRUPTED) throw e;
      Atomics.store(st, 0, 0);
      return { interrupted: true };
    } finally {
      this.holder.run = undefined;
      this.depth--;
    }
  }
}
