import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffCeiling, fullJitterDelay, ReconnectBackoff } from './reconnect-backoff.js';

const policy = { baseMs: 1_000, capMs: 30_000, healthyAfterMs: 10_000 };

describe('full-jitter backoff', () => {
  const ceilings = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000];
  ceilings.forEach((ceiling, attempt) => {
    it(`attempt ${attempt} waits within [0, ${ceiling}) ms`, () => {
      assert.equal(backoffCeiling(attempt, policy), ceiling);
      assert.equal(
        fullJitterDelay(attempt, policy, () => 0),
        0,
      );
      assert.equal(
        fullJitterDelay(attempt, policy, () => 0.999999),
        ceiling - 1,
      );
      for (let i = 0; i < 200; i++) {
        const d = fullJitterDelay(attempt, policy);
        assert.ok(d >= 0 && d < ceiling, `${d} out of bounds`);
      }
    });
  });

  it('never exceeds the cap, however many attempts', () => {
    assert.equal(backoffCeiling(10_000, policy), 30_000);
  });

  it('grows with each failure and resets only after a healthy connection', () => {
    const backoff = new ReconnectBackoff(policy, () => 0.5);
    assert.deepEqual(
      [backoff.nextDelay(), backoff.nextDelay(), backoff.nextDelay()],
      [500, 1_000, 2_000],
    );
    backoff.connectionEnded(3_000); // welcomed, then dropped quickly: keep backing off
    assert.equal(backoff.nextDelay(), 4_000);
    backoff.connectionEnded(10_000);
    assert.equal(backoff.nextDelay(), 500);
  });
});
