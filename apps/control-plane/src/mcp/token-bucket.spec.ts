import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { takeToken, type BucketState } from './token-bucket.js';

const limit = { perMinute: 60, burst: 3 };

describe('takeToken', () => {
  it('allows a full burst, then refuses with the time to the next token', () => {
    let state: BucketState | undefined;
    const allowed: boolean[] = [];
    let retry = 0;
    for (let i = 0; i < 4; i++) {
      const d = takeToken(state, 0, limit);
      allowed.push(d.allowed);
      state = d.state;
      retry = d.retryAfterMs;
    }
    assert.deepEqual(allowed, [true, true, true, false]);
    assert.equal(retry, 1000);
  });

  it('refills at the per-minute rate, up to the burst', () => {
    const empty = { tokens: 0, atMs: 0 };
    assert.equal(takeToken(empty, 999, limit).allowed, false);
    assert.equal(takeToken(empty, 1000, limit).allowed, true);
    assert.equal(takeToken(empty, 3_600_000, limit).state.tokens, 2);
  });

  it('reports a partial wait', () => {
    assert.equal(takeToken({ tokens: 0.25, atMs: 0 }, 0, limit).retryAfterMs, 750);
  });

  it('does not refill when the clock goes backwards', () => {
    const d = takeToken({ tokens: 0, atMs: 10_000 }, 5_000, limit);
    assert.equal(d.allowed, false);
    assert.equal(d.state.atMs, 10_000);
  });
});
