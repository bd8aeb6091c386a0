import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionTokenCodec } from './session-token.js';

const key = Buffer.alloc(32, 7);

describe('SessionTokenCodec', () => {
  it('verifies what it minted, on any instance with the same key', () => {
    const a = new SessionTokenCodec(key, 60);
    const b = new SessionTokenCodec(Buffer.from(key), 60);
    const { token, claims } = a.mint('ci-bot', '2025-11-25');
    assert.deepEqual(b.verify(token), claims);
    assert.match(token, /^s1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('refuses a token signed with another key', () => {
    const { token } = new SessionTokenCodec(Buffer.alloc(32, 8), 60).mint('x', '2025-11-25');
    assert.equal(new SessionTokenCodec(key, 60).verify(token), undefined);
  });

  it('refuses a token whose claims were changed', () => {
    const codec = new SessionTokenCodec(key, 60);
    const [v, body, mac] = codec.mint('alice', '2025-11-25').token.split('.') as [
      string,
      string,
      string,
    ];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url');
    assert.equal(codec.verify(`${v}.${forged}.${mac}`), undefined);
  });

  it('refuses an expired token', () => {
    let now = 1_000;
    const codec = new SessionTokenCodec(key, 60, () => now);
    const { token } = codec.mint('x', '2025-11-25');
    now = 1_059;
    assert.ok(codec.verify(token));
    now = 1_060;
    assert.equal(codec.verify(token), undefined);
  });

  for (const bad of ['', 's1', 's1..', 'x.y.z', 's2.e30.abc', 'a'.repeat(2000)]) {
    it(`refuses malformed ${JSON.stringify(bad.slice(0, 12))}`, () => {
      assert.equal(new SessionTokenCodec(key, 60).verify(bad), undefined);
    });
  }

  it('needs a key of at least 32 bytes', () => {
    assert.throws(() => new SessionTokenCodec(Buffer.alloc(16), 60), RangeError);
  });
});
