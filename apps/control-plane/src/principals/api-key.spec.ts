import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  generateApiKey,
  hashApiKey,
  lookupPrefixOf,
  verifyApiKey,
  type ScryptParams,
} from './api-key.js';

// Cheap parameters keep the suite fast; the format and the comparison are what is under test.
const FAST: ScryptParams = { N: 1024, r: 8, p: 1 };

describe('generateApiKey', () => {
  it('makes tmcp_ keys of 43 base62 characters with an 8-character lookup prefix', () => {
    const { apiKey, lookupPrefix } = generateApiKey();
    assert.match(apiKey, /^tmcp_[0-9A-Za-z]{43}$/);
    assert.equal(lookupPrefix, apiKey.slice(5, 13));
    assert.equal(lookupPrefixOf(apiKey), lookupPrefix);
  });

  it('keeps the length fixed for extreme random values', () => {
    for (const fill of [0x00, 0xff]) {
      const { apiKey } = generateApiKey((size) => Buffer.alloc(size, fill));
      assert.match(apiKey, /^tmcp_[0-9A-Za-z]{43}$/);
    }
  });

  it('never repeats a key', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey().apiKey));
    assert.equal(keys.size, 200);
  });
});

describe('lookupPrefixOf', () => {
  const valid = generateApiKey().apiKey;
  const cases: [string, string | undefined][] = [
    [valid, valid.slice(5, 13)],
    ['', undefined],
    ['tmcp_', undefined],
    [valid.slice(0, -1), undefined],
    [`${valid}x`, undefined],
    [valid.replace('tmcp_', 'tmcx_'), undefined],
    [`tmcp_${'-'.repeat(43)}`, undefined],
    [`Bearer ${valid}`, undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input.slice(0, 20))}… -> ${String(expected)}`, () => {
      assert.equal(lookupPrefixOf(input), expected);
    });
  }
});

describe('hashApiKey / verifyApiKey', () => {
  it('stores the parameters and a salt with the hash, never the key', async () => {
    const { apiKey } = generateApiKey();
    const stored = await hashApiKey(apiKey, FAST);
    assert.match(stored, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    assert.ok(!stored.includes(apiKey.slice(5)));
  });

  it('salts: the same key hashes differently each time, and both verify', async () => {
    const { apiKey } = generateApiKey();
    const [a, b] = await Promise.all([hashApiKey(apiKey, FAST), hashApiKey(apiKey, FAST)]);
    assert.notEqual(a, b);
    assert.equal(await verifyApiKey(apiKey, a), true);
    assert.equal(await verifyApiKey(apiKey, b), true);
  });

  it('verifies with the parameters stored in the hash', async () => {
    const { apiKey } = generateApiKey();
    const stored = await hashApiKey(apiKey, { N: 2048, r: 4, p: 2 });
    assert.equal(await verifyApiKey(apiKey, stored), true);
  });

  it('rejects another key, even one sharing the lookup prefix', async () => {
    const { apiKey } = generateApiKey();
    const stored = await hashApiKey(apiKey, FAST);
    const last = apiKey.at(-1) === 'a' ? 'b' : 'a';
    const sibling = `${apiKey.slice(0, -1)}${last}`;
    assert.equal(lookupPrefixOf(sibling), lookupPrefixOf(apiKey));
    assert.equal(await verifyApiKey(sibling, stored), false);
    assert.equal(await verifyApiKey(generateApiKey().apiKey, stored), false);
  });

  it('rejects malformed or tampered stored hashes instead of throwing', async () => {
    const { apiKey } = generateApiKey();
    const stored = await hashApiKey(apiKey, FAST);
    const parts = stored.split('$');
    const tampered = [
      '',
      'plain',
      stored.replace('scrypt$', 'bcrypt$'),
      [...parts.slice(0, 1), '1000', ...parts.slice(2)].join('$'), // N not a power of two
      [...parts.slice(0, 1), '4194304', ...parts.slice(2)].join('$'), // N too large
      [...parts.slice(0, 5), 'AAAA'].join('$'), // truncated hash
      parts.slice(0, 5).join('$'),
    ];
    for (const value of tampered) {
      assert.equal(await verifyApiKey(apiKey, value), false, value);
    }
  });
});
