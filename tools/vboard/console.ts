// The serial console both engines of the virtual board share: all output so far, a "line" event
// per complete line, and waitFor() for tests and tools.
import { EventEmitter } from "node:events";

export class BoardConsole extends EventEmitter {
  protected stopped = false;
  private out = "";
  private partialLine = "";
  private waiters = new Set<(err: Error) => void>();

  /** All serial output so far. */
  get output(): string {
    return this.out;
  }

  /** Resolves with the first output line matching pattern, from fromOffset in output. */
  waitFor(pattern: RegExp, timeoutMs: number, fromOffset = 0): Promise<string> {
    const test = (line: string) => { pattern.lastIndex = 0; return pattern.test(line); };
    const done = this.out.slice(fromOffset).split("\n").slice(0, -1).find(test);
    if (done !== undefined) return Promise.resolve(done);
    return new Promise((resolvePromise, reject) => {
      const finish = (err: Error | undefined, line?: string) => {
        clearTimeout(timer);
        this.off("line", onLine);
        this.waiters.delete(fail);
        if (err) reject(err);
        else resolvePromise(line!);
      };
      const fail = (err: Error) => finish(err);
      const onLine = (line: string) => { if (test(line)) finish(undefined, line); };
      const timer = setTimeout(() => {
        const tail = this.out.split("\n").slice(-15).join("\n");
        finish(new Error(`waitFor ${pattern} timed out after ${timeoutMs} ms; last output:\n${tail}`));
      }, timeoutMs);
      this.waiters.add(fail);
      this.on("line", onLine);
      if (this.stopped) fail(new Error("the virtual board was stopped"));
    });
  }

  protected write(text: string, echo = false): void {
    if (this.stopped) return;
    this.out += text;
    if (echo) process.stdout.write(text);
    this.emit("output", text);
    const parts = (this.partialLine + text).split("\n");
    this.partialLine = parts.pop()!;
    for (const line of parts) this.emit("line", line);
  }

  /** Fails every pending waitFor: the board stopped. */
  protected rejectWaiters(): void {
    for (const reject of [...this.waiters]) reject(new Error("the virtual board was stopped"));
  }
}
