// Bounded waits for tests: nothing here polls longer than asked or more than 10,000 times.
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with fn()'s first truthy value, polled every 20 ms; rejects naming `what` after ms. */
export async function until<T>(what: string, fn: () => T | undefined | false, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (let i = 0; i < 10_000; i++) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) break;
    await sleep(20);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
