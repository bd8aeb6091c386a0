import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePageToken, encodePageToken, pageScope, pageSizeOf } from './admin-page.js';

describe('pageSizeOf', () => {
  const cases: [number, number][] = [
    [0, 50],
    [1, 1],
    [120, 120],
    [500, 500],
    [10_000, 500],
  ];
  for (const [requested, expected] of cases) {
    it(`${requested} -> ${expected}`, () => assert.equal(pageSizeOf(requested), expected));
  }
  it('refuses a negative size', () => {
    assert.throws(() => pageSizeOf(-1), { code: 'bad_parameter', message: /^page_size: / });
  });
});

describe('page tokens', () => {
  const scope = pageScope('ListPrincipals', { includeRevoked: false });

  it('round-trip the keyset; an empty token is the first page', () => {
    const token = encodePageToken(scope, ['alice', '0b6c…']);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodePageToken(scope, token, 2), ['alice', '0b6c…']);
    assert.equal(decodePageToken(scope, '', 2), undefined);
  });

  it('refuse a token of another listing or other filters, and garbage', () => {
    const token = encodePageToken(scope, ['alice', 'x']);
    const others = [
      [pageScope('ListPrincipals', { includeRevoked: true }), token],
      [pageScope('ListRoles', {}), token],
      [scope, 'not-a-token'],
      [scope, Buffer.from('{"s":1}').toString('base64url')],
    ] as const;
    for (const [otherScope, value] of others) {
      assert.throws(() => decodePageToken(otherScope, value, 2), {
        code: 'bad_parameter',
        message: /^page_token: is not a token from a previous page/,
      });
    }
  });
});
