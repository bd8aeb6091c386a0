import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changesOf, fingerprintOf } from './lease-watcher.js';
import type { LeaseRecord } from './lease.repository.js';

const base: LeaseRecord = {
  leaseId: '00000000-0000-4000-8000-000000000001',
  kind: 'proxy_db',
  actor: 'alice',
  cluster: '',
  target: { db: 'orders' },
  listenAddr: null,
  pid: null,
  agentId: '00000000-0000-4000-8000-0000000000aa',
  createdAt: new Date('2025-01-01T00:00:00Z'),
  expiresAt: new Date('2025-01-01T01:00:00Z'),
  endedAt: null,
  lastHeartbeatAt: null,
  status: 'active',
  generation: 1,
  exitCode: null,
  error: null,
  reason: null,
  ticket: null,
};

describe('changesOf', () => {
  const cases: [string, LeaseRecord, string | undefined][] = [
    ['an unknown lease is created', base, undefined],
    ['a lease seen as it is is no change', base, 'same'],
    ['a new status is an update', { ...base, status: 'stopping' }, 'updated'],
    ['an extension is an update', { ...base, generation: 2 }, 'updated'],
    ['a new expiry alone is an update', { ...base, expiresAt: new Date(0) }, 'updated'],
  ];
  for (const [name, row, expected] of cases) {
    it(name, () => {
      const known = new Map<string, string>();
      if (expected !== undefined) known.set(base.leaseId, fingerprintOf(base));
      const changes = changesOf(known, [row]);
      if (expected === 'same') assert.deepEqual(changes, []);
      else
        assert.deepEqual(
          changes.map((c) => c.type),
          [expected ?? 'created'],
        );
      // Whatever was reported is remembered: the same row again is no change.
      assert.deepEqual(changesOf(known, [row]), []);
    });
  }
});
