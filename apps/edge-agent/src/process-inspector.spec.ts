import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseProcStatStartTime,
  probeLeftover,
  procProcessInspector,
  type ProcessInspector,
} from './process-inspector.js';

describe('parseProcStatStartTime', () => {
  it('reads field 22 even when the command name has spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    const stat = `1234 (tsh (proxy) db) ${fields.join(' ')}`;
    assert.equal(parseProcStatStartTime(stat), '22');
  });
  it('reads this process', () => {
    if (!procProcessInspector.canVerify) return;
    assert.match(procProcessInspector.startTime(process.pid) ?? '', /^\d+$/);
  });
});

describe('probeLeftover', () => {
  const inspector = (startTime: string | undefined, alive: boolean): ProcessInspector => ({
    canVerify: true,
    startTime: () => startTime,
    groupAlive: () => alive,
    signalGroup: () => alive,
  });
  const cases: [string, ProcessInspector, string | undefined, string][] = [
    ['the same process', inspector('777', true), '777', 'same-process'],
    ['a recycled pid', inspector('999', true), '777', 'other-process'],
    ['a gone leader', inspector(undefined, false), '777', 'gone'],
    ['no recorded start time', inspector('777', true), undefined, 'unverifiable'],
  ];
  for (const [name, insp, recorded, leader] of cases) {
    it(`${name} → ${leader}`, () => {
      assert.equal(probeLeftover(insp, { pid: 1, pgid: 1, startTime: recorded }).leader, leader);
    });
  }
});
