// Exponential back-off with "equal jitter": the wait doubles from minMs up to maxMs and a random half
// of it is added, so a fleet that lost the same access point does not come back in lock step.

export class Backoff {
  private attempt: number;
  constructor(private minMs: number, private maxMs: number, private random: () => number) {
    this.attempt = 0;
  }

  /** The next wait in ms; each call doubles the base until the cap. */
  next(): number {
    let base = this.minMs * Math.pow(2, this.attempt);
    if (base >= this.maxMs) base = this.maxMs;
    else this.attempt++;
    return Math.round(base / 2 + (this.random() * base) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
