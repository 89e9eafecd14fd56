// Exponential back-off with "equal jitter": the wait doubles from 1 s up to the 60 s cap and a random
// half of it is added, so a fleet that lost the same access point does not come back in lock step.

export interface Backoff {
  /** The next wait in ms; each call doubles the base until the cap. */
  _next(): number;
  _reset(): void;
}

export function backoff(): Backoff {
  // `d` is twice the base of the wait last given, 1000 after a reset: doubling it before use, with
  // the cap doubled too, gives the same waits as doubling the base after use, without a copy.
  let d = 1000;
  return {
    // Whole ms; |0 is safe below 2^31 (the cap is 60 s).
    _next: () => (((1 + Math.random()) * (d = Math.min(d * 2, 120000))) / 4) | 0,
    _reset: () => (d = 1000),
  };
}
