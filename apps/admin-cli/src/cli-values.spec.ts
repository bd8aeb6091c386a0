import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import {
  parseDurationSeconds,
  parseExpiresSeconds,
  parseLabels,
  parseNonNegativeInt,
  parseSince,
} from './cli-values.js';

const now = new Date('2026-11-21T19:40:00Z');

describe('flag values', () => {
  const durations: [string, number][] = [
    ['90s', 90],
    ['15m', 900],
    ['1h30m', 5400],
    ['7d', 604_800],
  ];
  for (const [value, seconds] of durations) {
    it(`--ttl ${value} = ${seconds}s`, () => assert.equal(parseDurationSeconds(value), seconds));
  }

  const bad: [string, () => unknown][] = [
    ['--ttl 5x', () => parseDurationSeconds('5x')],
    ['--ttl 0s', () => parseDurationSeconds('0s')],
    ['--ttl empty', () => parseDurationSeconds('')],
    ['--since yesterday', () => parseSince('yesterday', now)],
    ['--expires in the past', () => parseExpiresSeconds('2020-01-01T00:00:00Z', now)],
    ['--tail -1', () => parseNonNegativeInt('-1')],
    ['--labels without =', () => parseLabels('env')],
    ['--labels with a space', () => parseLabels('env=a b')],
  ];
  for (const [title, parse] of bad) {
    it(`refuses ${title} as a usage error`, () => assert.throws(parse, InvalidArgumentError));
  }

  it('--since takes a duration back from now or an ISO time', () => {
    assert.equal(parseSince('2h', now).toISOString(), '2026-11-21T17:40:00.000Z');
    assert.equal(parseSince('2026-11-20T00:00:00Z', now).toISOString(), '2026-11-20T00:00:00.000Z');
  });

  it('--expires takes a duration or a future ISO time', () => {
    assert.equal(parseExpiresSeconds('90d', now), 90 * 86_400);
    assert.equal(parseExpiresSeconds('2026-11-21T20:40:00Z', now), 3600);
  });

  it('--labels env=prod,team=db', () => {
    assert.deepEqual(parseLabels('env=prod,team=db'), { env: 'prod', team: 'db' });
  });
});
