import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LOST_LEASE_MESSAGE,
  reconcileInventory,
  type DbLeaseView,
  type InventoryItem,
  type ReapedItem,
  type ReconcileAction,
} from './lease-reconciler.js';

const running = (
  leaseId: string,
  generation = 1,
  state: InventoryItem['state'] = 'running',
): InventoryItem => ({
  leaseId,
  generation,
  state,
  pid: 42,
  listenAddr: '127.0.0.1:5000',
});
const DEADLINE = new Date('2030-01-01T00:10:00Z');
const db = (leaseId: string, status: DbLeaseView['status'], generation = 1): DbLeaseView => ({
  leaseId,
  status,
  generation,
  expiresAt: DEADLINE,
});

interface Case {
  name: string;
  dbLeases: DbLeaseView[];
  inventory: InventoryItem[];
  reaped?: ReapedItem[];
  expected: ReconcileAction[];
}

const cases: Case[] = [
  {
    name: 'in sync: nothing to do',
    dbLeases: [db('a', 'active')],
    inventory: [running('a')],
    expected: [],
  },
  {
    name: 'agent runs a lease that already expired → stop it',
    dbLeases: [db('a', 'expired', 2)],
    inventory: [running('a', 2)],
    expected: [{ type: 'stop', leaseId: 'a', generation: 2 }],
  },
  {
    name: 'agent runs a lease the control plane never heard of → stop it',
    dbLeases: [],
    inventory: [running('x', 3)],
    expected: [{ type: 'stop', leaseId: 'x', generation: 3 }],
  },
  {
    name: 'an unknown lease already stopping is left alone',
    dbLeases: [],
    inventory: [running('x', 1, 'stopping')],
    expected: [],
  },
  {
    name: 'agent lost an active lease → failed with the reason',
    dbLeases: [db('a', 'active')],
    inventory: [],
    expected: [{ type: 'fail', leaseId: 'a', generation: 1, message: LOST_LEASE_MESSAGE }],
  },
  {
    name: 'a heartbeat also catches a lost active lease',
    dbLeases: [db('a', 'active')],
    inventory: [],
    expected: [{ type: 'fail', leaseId: 'a', generation: 1, message: LOST_LEASE_MESSAGE }],
  },
  {
    name: 'a starting lease missing from the inventory waits (the start may be in flight)',
    dbLeases: [db('a', 'starting'), db('b', 'pending')],
    inventory: [],
    expected: [],
  },
  {
    name: 'a starting lease the agent runs → activate (the LeaseStarted was lost)',
    dbLeases: [db('a', 'starting')],
    inventory: [running('a')],
    expected: [
      { type: 'activate', leaseId: 'a', generation: 1, pid: 42, listenAddr: '127.0.0.1:5000' },
    ],
  },
  {
    name: 'a stopping lease whose process is gone → stopped',
    dbLeases: [db('a', 'stopping')],
    inventory: [],
    expected: [{ type: 'stopped', leaseId: 'a', generation: 1 }],
  },
  {
    name: 'a stopping lease the agent still runs → stop again (the stop was lost)',
    dbLeases: [db('a', 'stopping', 2)],
    inventory: [running('a', 2)],
    expected: [{ type: 'stop', leaseId: 'a', generation: 2 }],
  },
  {
    name: 'agent runs an older generation of an active lease → send the extend again',
    dbLeases: [db('a', 'active', 3)],
    inventory: [running('a', 2)],
    expected: [{ type: 'extend', leaseId: 'a', generation: 3, expiresAt: DEADLINE }],
  },
  {
    name: 'an older generation the agent is already stopping is left alone',
    dbLeases: [db('a', 'active', 3)],
    inventory: [running('a', 2, 'stopping')],
    expected: [],
  },
  {
    name: 'a stale generation of a stopping lease is stopped, not extended',
    dbLeases: [db('a', 'stopping', 3)],
    inventory: [running('a', 2)],
    expected: [{ type: 'stop', leaseId: 'a', generation: 3 }],
  },
  {
    name: 'reaped at its deadline while the agent was down → expired',
    dbLeases: [db('a', 'active')],
    inventory: [],
    reaped: [{ leaseId: 'a', generation: 1, kind: 'deadline_passed', message: '' }],
    expected: [{ type: 'expire', leaseId: 'a', generation: 1 }],
  },
  {
    name: 'reaped because it was gone → failed with the agent message',
    dbLeases: [db('a', 'active')],
    inventory: [],
    reaped: [{ leaseId: 'a', generation: 1, kind: 'process_gone', message: 'pid 42 not found' }],
    expected: [
      {
        type: 'fail',
        leaseId: 'a',
        generation: 1,
        message:
          'the agent reaped this lease (after a restart or while disconnected): pid 42 not found',
      },
    ],
  },
  {
    name: 'reaped leftovers of ended leases change nothing',
    dbLeases: [db('a', 'stopped')],
    inventory: [],
    reaped: [{ leaseId: 'a', generation: 1, kind: 'deadline_passed', message: '' }],
    expected: [],
  },
];

describe('reconcileInventory', () => {
  for (const c of cases) {
    it(c.name, () => {
      const actions = reconcileInventory({
        dbLeases: c.dbLeases,
        inventory: c.inventory,
        reaped: c.reaped ?? [],
      });
      assert.deepEqual(actions, c.expected);
    });
  }
});
