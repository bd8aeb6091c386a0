// Retries of idempotent admin reads: only when the server could not be reached or asked us to
// come back later, with full-jitter exponential backoff, never past the caller's signal.
import { AppError, toAppError } from '@tmcp/errors';

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  attempts: number;
  /** Backoff before the second attempt; doubles each time, capped by maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
};

/** Waits `ms`, or rejects with `cancelled` when the signal fires. Injectable for tests. */
export type Sleep = (ms: number, signal: AbortSignal | undefined) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new AppError('cancelled', 'cancelled'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AppError('cancelled', 'cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Whether a failed idempotent read is worth another attempt. */
export function isRetryableRead(error: AppError): boolean {
  return (
    error.code === 'unavailable' || error.code === 'unreachable' || error.code === 'rate_limited'
  );
}

/** The delay before attempt `attempt + 1` (attempt counts from 1): a server hint wins. */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  error: AppError,
  random: () => number = Math.random,
): number {
  if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

export async function withRetries<T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  sleep: Sleep,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const error = toAppError(err);
      if (attempt >= policy.attempts || !isRetryableRead(error) || signal?.aborted === true) {
        throw error;
      }
      await sleep(retryDelayMs(policy, attempt, error), signal);
    }
  }
}
