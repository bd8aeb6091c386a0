import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRelative, formatSpan, formatWhen } from './time-format.js';

const now = new Date('2026-11-21T19:43:10Z');
const at = (deltaMs: number): Date => new Date(now.getTime() + deltaMs);

describe('formatWhen', () => {
  const cases: [Date | undefined, string][] = [
    [at(-3 * 60_000), '3m ago (2026-11-21 19:40Z)'],
    [at(58 * 60_000), 'in 58m (2026-11-21 20:41Z)'],
    [at(-200), 'now (2026-11-21 19:43Z)'],
    [at(30 * 86_400_000 - 1500), 'in 30d (2026-12-21 19:43Z)'],
    [undefined, '-'],
  ];
  for (const [date, expected] of cases) {
    it(expected, () => assert.equal(formatWhen(date, now), expected));
  }
  it('relative only', () => assert.equal(formatRelative(at(-45_000), now), '45s ago'));
});

describe('formatSpan', () => {
  const cases: [number, string][] = [
    [45_000, '45s'],
    [3 * 60_000, '3m'],
    [80 * 60_000, '1h20m'],
    [5 * 3_600_000, '5h'],
    [26 * 3_600_000, '26h'],
    [3 * 86_400_000, '3d'],
  ];
  for (const [ms, expected] of cases) {
    it(`${ms} ms -> ${expected}`, () => assert.equal(formatSpan(ms), expected));
  }
});
