import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LEASE_STATUSES, type LeaseStatus } from '../database/entities/index.js';
import { assertTransition, canTransition, isTerminal, sourcesOf } from './lease-state-machine.js';

// [from, to, allowed]: the full 7×7 table, so a change to the machine is a change to this test.
const ALLOWED: Record<LeaseStatus, LeaseStatus[]> = {
  pending: ['starting', 'stopped', 'expired', 'failed'],
  starting: ['active', 'stopping', 'expired', 'failed'],
  active: ['stopping', 'stopped', 'expired', 'failed'],
  stopping: ['stopped', 'expired', 'failed'],
  stopped: [],
  expired: [],
  failed: [],
};

describe('lease state machine', () => {
  for (const from of LEASE_STATUSES) {
    for (const to of LEASE_STATUSES) {
      const allowed = ALLOWED[from].includes(to);
      it(`${from} → ${to} is ${allowed ? 'allowed' : 'refused'}`, () => {
        assert.equal(canTransition(from, to), allowed);
        if (allowed) assertTransition(from, to);
        else assert.throws(() => assertTransition(from, to), { code: 'precondition_failed' });
      });
    }
  }

  it('no status can go back to pending, and terminal statuses are final', () => {
    assert.deepEqual(sourcesOf('pending'), []);
    for (const status of ['stopped', 'expired', 'failed'] as const) {
      assert.ok(isTerminal(status));
      assert.ok(LEASE_STATUSES.every((to) => !canTransition(status, to)));
    }
  });

  it('sourcesOf is the guard the UPDATEs use', () => {
    assert.deepEqual(sourcesOf('active'), ['starting']);
    assert.deepEqual(sourcesOf('expired'), ['pending', 'starting', 'active', 'stopping']);
  });
});
