import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkReadiness, type ReadinessCheck } from './readiness.js';

const ok = (name: string): ReadinessCheck => ({ name, run: () => Promise.resolve() });
const failing = (name: string, message: string): ReadinessCheck => ({
  name,
  run: () => Promise.reject(new Error(message)),
});
const hanging = (name: string): ReadinessCheck => ({
  name,
  run: () => new Promise<void>(() => undefined),
});

describe('checkReadiness', () => {
  const cases: {
    title: string;
    checks: ReadinessCheck[];
    status: 'ready' | 'not_ready';
    failed: Record<string, string>;
  }[] = [
    {
      title: 'all checks pass',
      checks: [ok('postgres'), ok('redis')],
      status: 'ready',
      failed: {},
    },
    { title: 'no checks', checks: [], status: 'ready', failed: {} },
    {
      title: 'one check fails',
      checks: [ok('postgres'), failing('redis', 'connection refused')],
      status: 'not_ready',
      failed: { redis: 'connection refused' },
    },
    {
      title: 'a hanging check times out',
      checks: [hanging('postgres'), ok('redis')],
      status: 'not_ready',
      failed: { postgres: 'timed out after 20 ms' },
    },
    {
      title: 'every failure is reported',
      checks: [failing('postgres', 'down'), failing('migrations', '1 pending migration(s)')],
      status: 'not_ready',
      failed: { postgres: 'down', migrations: '1 pending migration(s)' },
    },
  ];

  for (const { title, checks, status, failed } of cases) {
    it(title, async () => {
      const report = await checkReadiness(checks, 20);
      assert.equal(report.status, status);
      assert.deepEqual(Object.keys(report.checks).sort(), checks.map((c) => c.name).sort());
      for (const [name, outcome] of Object.entries(report.checks)) {
        const expected = failed[name];
        assert.deepEqual(
          outcome,
          expected === undefined ? { status: 'ok' } : { status: 'failed', error: expected },
        );
      }
    });
  }

  it('a check failing with a non-Error still reports a reason', async () => {
    const report = await checkReadiness(
      [{ name: 'redis', run: () => Promise.reject(new Error('')) }],
      20,
    );
    assert.deepEqual(report.checks.redis, { status: 'failed', error: 'check failed' });
  });
});
