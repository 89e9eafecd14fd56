// Exponential back-off with "equal jitter": the base doubles from 0.5 s up to 30 s and a random part
// of up to the base again is added, so waits run 0.5-1 s, 1-2 s, ... 30-60 s, and a fleet that lost
// the same access point does not come back in lock step. A pure function of the attempt count: the
// caller keeps one number, not an object.

/** The wait in whole ms before retry `attempt` (0 for the first failure after a success). */
export function backoffMs(attempt: number): number {
  return ((1 + Math.random()) * Math.min(500 << Math.min(attempt, 6), 30000)) | 0;
}
