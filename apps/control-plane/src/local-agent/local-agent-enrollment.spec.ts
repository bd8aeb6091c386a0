import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority } from '../agents/certificate-authority.js';
import { caPinOf, decideEnrollment } from './local-agent-enrollment.js';

describe('local agent enrollment decision', () => {
  let dir: string;
  let ours: CertificateAuthority;
  let other: CertificateAuthority;
  const now = new Date('2026-03-01T12:00:00Z');
  const record = (notAfter: string): string =>
    JSON.stringify({ agent_id: 'a-1', server_address: '127.0.0.1:8444', not_after: notAfter });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tmcp-local-agent-spec-'));
    ours = await CertificateAuthority.loadOrCreate(path.join(dir, 'ours'));
    other = await CertificateAuthority.loadOrCreate(path.join(dir, 'other'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('computes the same pin as the CA announces', () => {
    assert.equal(caPinOf(ours.certificatePem), ours.pin);
    assert.equal(caPinOf('not a certificate'), undefined);
  });

  it('enrolls a fresh data dir without replacing anything', () => {
    assert.deepEqual(decideEnrollment({ recordText: undefined, caPem: undefined }, ours.pin, now), {
      enroll: true,
      reason: 'not enrolled yet',
      replace: false,
    });
  });

  it('keeps a valid identity from this CA (pin compared in any accepted spelling)', () => {
    const upper = `SHA256:${ours.pin.slice('sha256:'.length).toUpperCase()}`;
    for (const pin of [ours.pin, upper]) {
      assert.deepEqual(
        decideEnrollment(
          { recordText: record('2026-03-02T00:00:00.000Z'), caPem: ours.certificatePem },
          pin,
          now,
        ),
        { enroll: false },
      );
    }
  });

  const replaced: [string, () => { recordText?: string; caPem?: string }, RegExp][] = [
    [
      'another CA',
      () => ({ recordText: record('2026-03-02T00:00:00Z'), caPem: other.certificatePem }),
      /another control plane CA/,
    ],
    [
      'an expired certificate',
      () => ({ recordText: record('2026-03-01T11:59:59Z'), caPem: ours.certificatePem }),
      /expired/,
    ],
    ['a missing ca.crt', () => ({ recordText: record('2026-03-02T00:00:00Z') }), /ca\.crt/],
    [
      'a damaged agent.json',
      () => ({ recordText: '{"agent_id":', caPem: ours.certificatePem }),
      /agent\.json/,
    ],
    [
      'an agent.json without not_after',
      () => ({ recordText: '{"agent_id":"a"}', caPem: ours.certificatePem }),
      /agent\.json/,
    ],
  ];
  for (const [name, stored, reason] of replaced) {
    it(`enrolls again, replacing the identity, after ${name}`, () => {
      const { recordText, caPem } = stored();
      const decision = decideEnrollment({ recordText, caPem }, ours.pin, now);
      assert.equal(decision.enroll, true);
      assert.ok(decision.enroll);
      assert.equal(decision.replace, true);
      assert.match(decision.reason, reason);
    });
  }
});
