// Small flow-control helpers shared by the server and client adapters: wait for a writable to
// drain, and stop waiting for a promise when a call is aborted.
import type { EventEmitter } from 'node:events';

/** The value untilAborted resolves with when the signal fires first. */
export const ABORTED = Symbol('aborted');

/** Resolves with the promise's value, or with ABORTED as soon as the signal fires. */
export function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal,
): Promise<T | typeof ABORTED> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => undefined);
      resolve(ABORTED);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Resolves when the stream emits one of the events (default: drain or close) or the signal fires. */
export function drained(
  stream: EventEmitter,
  signal: AbortSignal | undefined,
  events: readonly string[] = ['drain', 'close'],
): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const event of events) stream.off(event, done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    for (const event of events) stream.once(event, done);
    if (signal?.aborted === true) done();
    else signal?.addEventListener('abort', done, { once: true });
  });
}
