// Enrollment through the real binaries: `tmcp-server tokens create` issues a one-time token and
// the CA pin; `tmcp-agent enroll` with only that pin succeeds once; bad, reused and expired
// tokens and a wrong pin are refused with one clear line; `run` needs an enrollment.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { delay, LeaseWorld } from './lease-world.js';

describe('agent enrollment end to end', { timeout: 240_000 }, () => {
  let world: LeaseWorld;
  before(async () => {
    world = await LeaseWorld.create();
    await world.start();
  });
  after(async () => {
    await world?.close();
  });

  const enroll = (server: string, token: string, pin: string, dir: string) =>
    world.agentCli([
      'enroll',
      '--server',
      server,
      '--token',
      token,
      '--ca-pin',
      pin,
      '--data-dir',
      path.join(world.dir, dir),
    ]);

  it('accepts a token once with only the printed CA pin, and refuses it when reused', async () => {
    const t = await world.createToken();
    assert.match(t.ca_pin, /^sha256:[0-9a-f]{64}$/);
    const ok = await enroll(t.server, t.token, t.ca_pin, 'a1');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout.trim(), /^[0-9a-f-]{36}$/);
    const reused = await enroll(t.server, t.token, t.ca_pin, 'a2');
    assert.equal(reused.code, 1);
    assert.equal(reused.stderr.trim().split('\n').length, 1, reused.stderr);
    assert.match(
      reused.stderr,
      /^tmcp-agent: enrollment refused by the control plane: .*(invalid|expired|used)/,
    );
  });

  it('refuses a bad token and an expired one with one clear line', async () => {
    const t = await world.createToken('1s');
    const bad = await enroll(t.server, 'tmcp_jt_not-a-token', t.ca_pin, 'b1');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^tmcp-agent: enrollment refused by the control plane: /);
    // Wait for the token's own expiry instant, then use it.
    await delay(Math.max(0, Date.parse(t.expires_at) - Date.now() + 200));
    const expired = await enroll(t.server, t.token, t.ca_pin, 'b2');
    assert.equal(expired.code, 1);
    assert.equal(expired.stderr.trim().split('\n').length, 1, expired.stderr);
    assert.match(expired.stderr, /enrollment refused by the control plane: .*expired/);
  });

  it('refuses a server whose chain does not hold the pinned CA, before sending the token', async () => {
    const t = await world.createToken();
    const wrong = await enroll(t.server, t.token, `sha256:${'ab'.repeat(32)}`, 'c1');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /presented no certificate matching the CA pin/);
    // The token was not spent on the wrong server.
    const right = await enroll(t.server, t.token, t.ca_pin, 'c2');
    assert.equal(right.code, 0, right.stderr);
  });

  it('run without an enrollment or an address says what to do', async () => {
    const out = await world.agentCli(['run', '--data-dir', path.join(world.dir, 'never-enrolled')]);
    assert.equal(out.code, 1);
    assert.match(
      out.stderr,
      /server\.address: is required: give --server HOST:PORT .* or enroll first/,
    );
  });
});
