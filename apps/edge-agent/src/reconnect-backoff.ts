// Full-jitter exponential backoff for reconnecting to the control plane (1 s → 30 s cap): each
// wait is uniform in [0, min(cap, base·2^attempt)], so a fleet that lost the server together
// does not come back in lockstep. A connection that stayed healthy resets the sequence.

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** A connection that lasted at least this long after Welcome resets the attempts. */
  healthyAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 1_000,
  capMs: 30_000,
  healthyAfterMs: 10_000,
};

/** The upper bound of the wait before attempt `attempt` (0-based). */
export function backoffCeiling(
  attempt: number,
  policy: Pick<BackoffPolicy, 'baseMs' | 'capMs'>,
): number {
  // 2^attempt overflows to Infinity harmlessly, but keep the exponent small anyway.
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
}

/** A full-jitter wait for `attempt`; `random` returns a number in [0, 1). */
export function fullJitterDelay(
  attempt: number,
  policy: Pick<BackoffPolicy, 'baseMs' | 'capMs'>,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * backoffCeiling(attempt, policy));
}

export class ReconnectBackoff {
  private attempt = 0;

  constructor(
    private readonly policy: BackoffPolicy = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The wait before the next attempt; each call counts one more failure. */
  nextDelay(): number {
    const delay = fullJitterDelay(this.attempt, this.policy, this.random);
    this.attempt += 1;
    return delay;
  }

  /** Reports how long the last connection was healthy (after Welcome); 0 if never. */
  connectionEnded(healthyMs: number): void {
    if (healthyMs >= this.policy.healthyAfterMs) this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
