import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDurationSeconds, parseLabels } from './tokens-create.command.js';

describe('tokens create arguments', () => {
  const durations: [string, number][] = [
    ['900', 900],
    ['90s', 90],
    ['15m', 900],
    ['2h', 7200],
    ['1h30m', 5400],
    ['1d', 86_400],
  ];
  for (const [text, seconds] of durations) {
    it(`--ttl ${text} is ${seconds} s`, () =>
      assert.equal(parseDurationSeconds(text, '--ttl'), seconds));
  }
  for (const bad of ['', '15x', '-5m', '0m', 'm']) {
    it(`--ttl "${bad}" is refused`, () =>
      assert.throws(() => parseDurationSeconds(bad, '--ttl'), { code: 'bad_parameter' }));
  }
  it('parses labels', () => {
    assert.deepEqual(parseLabels('site=lab, env=dev'), { site: 'lab', env: 'dev' });
    assert.throws(() => parseLabels('novalue'), { code: 'bad_parameter' });
  });
});
