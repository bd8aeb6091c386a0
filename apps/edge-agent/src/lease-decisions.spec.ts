import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideExtend,
  decideLeftover,
  decideStart,
  decideStop,
  killPlan,
  type LeftoverProbe,
  type LeaseVersion,
} from './lease-decisions.js';

const now = 1_000_000;
const running: LeaseVersion = { generation: 3, specKey: 'db:pg', deadline: now + 60_000 };

describe('decideStart', () => {
  const cases: [string, LeaseVersion | undefined, LeaseVersion, boolean, string][] = [
    [
      'a new lease',
      undefined,
      { generation: 1, specKey: 'db:pg', deadline: now + 1 },
      false,
      'spawn',
    ],
    [
      'a new lease while draining',
      undefined,
      { generation: 1, specKey: 'db:pg', deadline: now + 1 },
      true,
      'refuse-draining',
    ],
    [
      'a new lease already expired',
      undefined,
      { generation: 1, specKey: 'db:pg', deadline: now },
      false,
      'refuse-expired',
    ],
    ['the same generation again', running, { ...running }, false, 'report-again'],
    ['the same generation while draining', running, { ...running }, true, 'report-again'],
    ['an older generation', running, { ...running, generation: 2 }, false, 'ignore-stale'],
    [
      'a newer generation, same spec',
      running,
      { ...running, generation: 4, deadline: now + 120_000 },
      false,
      'adopt-generation',
    ],
    [
      'a newer generation, other spec',
      running,
      { generation: 4, specKey: 'db:orders', deadline: now + 1 },
      false,
      'replace',
    ],
  ];
  for (const [name, current, incoming, draining, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      assert.equal(decideStart(current, incoming, { draining, now }).action, expected);
    });
  }
});

describe('decideStop', () => {
  const cases: [string, LeaseVersion | undefined, number, string][] = [
    ['an unknown lease', undefined, 1, 'already-stopped'],
    ['the running generation', running, 3, 'stop'],
    ['a newer generation (extend not seen yet)', running, 4, 'stop'],
    ['an older generation', running, 2, 'ignore-stale'],
  ];
  for (const [name, current, generation, expected] of cases) {
    it(`${name} → ${expected}`, () =>
      assert.equal(decideStop(current, generation).action, expected));
  }
});

describe('decideExtend', () => {
  const cases: [string, LeaseVersion | undefined, number, number, string][] = [
    ['an unknown lease', undefined, 4, now + 1, 'unknown-lease'],
    ['a newer generation', running, 4, now + 120_000, 'extend'],
    ['a newer generation in the past', running, 4, now - 1, 'refuse-expired'],
    ['the same extension again', running, 3, running.deadline, 'unchanged'],
    ['the same generation, other deadline', running, 3, now + 5, 'ignore-stale'],
    ['an older generation', running, 2, now + 120_000, 'ignore-stale'],
  ];
  for (const [name, current, generation, deadline, expected] of cases) {
    it(`${name} → ${expected}`, () =>
      assert.equal(decideExtend(current, generation, deadline, now).action, expected));
  }
});

describe('killPlan', () => {
  it('kills at the deadline while connected', () => {
    assert.deepEqual(killPlan(now + 60_000, undefined, 300_000), {
      at: now + 60_000,
      reason: 'expired',
    });
  });
  it('kills at the end of the grace when it comes first while disconnected', () => {
    assert.deepEqual(killPlan(now + 600_000, now, 300_000), {
      at: now + 300_000,
      reason: 'disconnect_grace',
    });
  });
  it('still kills at the deadline when it comes before the grace ends', () => {
    assert.deepEqual(killPlan(now + 60_000, now, 300_000), { at: now + 60_000, reason: 'expired' });
  });
});

describe('decideLeftover', () => {
  const alive: LeftoverProbe = { leader: 'same-process', groupAlive: true };
  const cases: [string, LeftoverProbe, number, 'kill-expired' | 'kill-all', string, string?][] = [
    ['alive, deadline ahead', alive, now + 1, 'kill-expired', 'adopt'],
    ['alive, deadline passed', alive, now, 'kill-expired', 'kill', 'deadline_passed'],
    ['alive, kill-all', alive, now + 1, 'kill-all', 'kill', 'not_adoptable'],
    [
      'gone',
      { leader: 'gone', groupAlive: false },
      now + 1,
      'kill-expired',
      'forget',
      'process_gone',
    ],
    [
      'pid recycled',
      { leader: 'other-process', groupAlive: true },
      now,
      'kill-all',
      'forget',
      'process_gone',
    ],
    [
      'leader gone, group members left',
      { leader: 'gone', groupAlive: true },
      now + 1,
      'kill-expired',
      'kill',
      'not_adoptable',
    ],
    [
      'unverifiable',
      { leader: 'unverifiable', groupAlive: true },
      now,
      'kill-all',
      'forget',
      'not_adoptable',
    ],
  ];
  for (const [name, probe, deadline, policy, action, reason] of cases) {
    it(`${name} (${policy}) → ${action}${reason ? ` (${reason})` : ''}`, () => {
      const decision = decideLeftover(probe, deadline, now, policy);
      assert.equal(decision.action, action);
      if (reason !== undefined)
        assert.equal('reason' in decision ? decision.reason : undefined, reason);
    });
  }
});
