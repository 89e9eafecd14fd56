// Exponential back-off with "equal jitter": the wait doubles from 1 s up to the 60 s cap and a random
// half of it is added, so a fleet that lost the same access point does not come back in lock step.

export interface Backoff {
  /** The next wait in ms; each call doubles the base until the cap. */
  _next(): number;
  _reset(): void;
}

export function backoff(): Backoff {
  let base = 1000;
  return {
    _next: () => {
      const b = base;
      base = Math.min(base * 2, 60000);
      // Whole ms; |0 is safe below 2^31 (the cap is 60 s).
      return (b / 2 + (Math.random() * b) / 2) | 0;
    },
    _reset: () => {
      base = 1000;
    },
  };
}
