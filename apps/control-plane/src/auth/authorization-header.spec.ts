import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuthorizationHeader } from './authorization-header.js';

describe('parseAuthorizationHeader', () => {
  const cases: [string, string | string[] | undefined, string][] = [
    ['absent', undefined, 'none'],
    ['empty', '', 'none'],
    ['bearer', 'Bearer tmcp_abc', 'bearer:tmcp_abc'],
    ['scheme is case-insensitive', 'bearer abc.def.ghi', 'bearer:abc.def.ghi'],
    ['extra spaces between scheme and token', 'Bearer   abc', 'bearer:abc'],
    ['basic is refused', 'Basic dXNlcjpwYXNz', 'malformed'],
    ['no token', 'Bearer', 'malformed'],
    ['two tokens', 'Bearer a b', 'malformed'],
    ['control characters', 'Bearer a\u0000b', 'malformed'],
    ['quotes', 'Bearer "abc"', 'malformed'],
    ['two headers', ['Bearer a', 'Bearer b'], 'malformed'],
    ['one header in a list', ['Bearer a'], 'bearer:a'],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      const got = parseAuthorizationHeader(input);
      assert.equal(got.kind === 'bearer' ? `bearer:${got.token}` : got.kind, want);
    });
  }
});
