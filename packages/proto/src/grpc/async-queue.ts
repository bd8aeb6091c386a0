// A push-based AsyncIterable: producers push values (for example commands for an agent arriving
// from BullMQ) and one consumer iterates them (for example a stream handler's response
// generator). Unbounded: producers that can outrun the consumer must bound themselves.

/** A single-consumer queue that is also an AsyncIterable of its values. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly values: T[] = [];
  private waiter: { resolve: () => void } | undefined;
  private closed = false;
  private failure: { error: unknown } | undefined;

  /** Appends a value; ignored once the queue is closed or failed. Returns whether it was kept. */
  push(value: T): boolean {
    if (this.closed || this.failure !== undefined) return false;
    this.values.push(value);
    this.wake();
    return true;
  }

  /** Ends the iteration after the values already pushed. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Ends the iteration with an error, after the values already pushed. */
  fail(error: unknown): void {
    if (this.closed || this.failure !== undefined) return;
    this.failure = { error };
    this.wake();
  }

  /** The number of values waiting to be consumed. */
  get size(): number {
    return this.values.length;
  }

  /** Whether close() or fail() was called. */
  get isEnded(): boolean {
    return this.closed || this.failure !== undefined;
  }

  /** Iterates the values; a consumer that stops early closes the queue (later pushes drop). */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    try {
      for (;;) {
        if (this.values.length > 0) {
          yield this.values.shift() as T;
          continue;
        }
        if (this.failure !== undefined) throw this.failure.error;
        if (this.closed) return;
        await new Promise<void>((resolve) => {
          this.waiter = { resolve };
        });
      }
    } finally {
      this.closed = true;
      this.values.length = 0;
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve();
  }
}
