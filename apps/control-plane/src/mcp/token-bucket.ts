// Token-bucket arithmetic (pure). The Redis limiter runs the same rule in Lua; this copy is
// the reference the unit tests pin down.

export interface BucketLimit {
  /** Refill rate. */
  perMinute: number;
  /** Capacity: calls allowed back to back after a quiet period. */
  burst: number;
}

export interface BucketState {
  tokens: number;
  /** When `tokens` was computed, ms. */
  atMs: number;
}

export interface BucketDecision {
  allowed: boolean;
  state: BucketState;
  /** When refused: how long until one token is available. */
  retryAfterMs: number;
}

export function takeToken(
  previous: BucketState | undefined,
  nowMs: number,
  limit: BucketLimit,
): BucketDecision {
  const perMs = limit.perMinute / 60_000;
  let tokens = previous?.tokens ?? limit.burst;
  let atMs = previous?.atMs ?? nowMs;
  // A clock behind the stored one refills nothing (never negative time).
  if (nowMs > atMs) {
    tokens = Math.min(limit.burst, tokens + (nowMs - atMs) * perMs);
    atMs = nowMs;
  }
  if (tokens >= 1) return { allowed: true, state: { tokens: tokens - 1, atMs }, retryAfterMs: 0 };
  return { allowed: false, state: { tokens, atMs }, retryAfterMs: Math.ceil((1 - tokens) / perMs) };
}
