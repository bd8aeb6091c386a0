import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExpiry } from './parse-expiry.js';

const now = new Date('2025-06-01T12:00:00.000Z');

describe('parseExpiry', () => {
  const valid: [string, string][] = [
    ['30s', '2025-06-01T12:00:30.000Z'],
    ['90m', '2025-06-01T13:30:00.000Z'],
    ['12h', '2025-06-02T00:00:00.000Z'],
    ['1h30m', '2025-06-01T13:30:00.000Z'],
    ['90d', '2025-08-30T12:00:00.000Z'],
    ['2w', '2025-06-15T12:00:00.000Z'],
    ['2026-01-31T00:00:00Z', '2026-01-31T00:00:00.000Z'],
    ['2026-01-31T02:00:00+02:00', '2026-01-31T00:00:00.000Z'],
    ['2026-01-31', '2026-01-31T00:00:00.000Z'],
  ];
  for (const [input, expected] of valid) {
    it(`${input} -> ${expected}`, () => {
      assert.equal(parseExpiry(input, now).toISOString(), expected);
    });
  }

  const invalid: [string, RegExp][] = [
    ['', /neither an ISO 8601 time/],
    ['soon', /neither an ISO 8601 time/],
    ['10', /neither an ISO 8601 time/],
    ['-5d', /neither an ISO 8601 time/],
    ['1y', /neither an ISO 8601 time/],
    ['0d', /greater than zero/],
    ['2024-01-01T00:00:00Z', /in the past/],
    ['2026-13-45', /neither an ISO 8601 time/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseExpiry(input, now),
        (error: Error) => message.test(error.message) && error.message.startsWith('--expires: '),
      );
    });
  }
});
