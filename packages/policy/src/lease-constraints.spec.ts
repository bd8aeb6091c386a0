import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkLease,
  matchTarget,
  type EffectiveConstraints,
  type LeaseConstraint,
  type LeaseRequest,
  type LeaseTarget,
} from './lease-constraints.js';

const base: EffectiveConstraints = {
  maxTtlSeconds: 3600,
  maxConcurrentLeases: 3,
  allowedLeaseKinds: ['proxy_db', 'proxy_app', 'vnet'],
  allowedTargets: ['dev-*', 'env=staging', 'team=*', 'env=prod,tier=db'],
  federatedTools: { allow: [], deny: [] },
  rateLimit: { perMinute: 60, burst: 10 },
  leaseScope: 'own',
};

describe('allowedTargets', () => {
  const cases: [name: string, target: LeaseTarget, expected: boolean][] = [
    ['name glob matches', { name: 'dev-postgres' }, true],
    ['name glob is anchored', { name: 'prod-dev-postgres' }, false],
    ['k=v selector matches the label', { name: 'pg', labels: { env: 'staging' } }, true],
    ['k=v selector needs the exact value', { name: 'pg', labels: { env: 'staging2' } }, false],
    ['k=* selector needs only the key', { name: 'pg', labels: { team: 'payments' } }, true],
    ['k=* selector fails without the key', { name: 'pg', labels: { owner: 'x' } }, false],
    [
      'all terms of a selector must match',
      { name: 'pg', labels: { env: 'prod', tier: 'db' } },
      true,
    ],
    ['one missing term fails the selector', { name: 'pg', labels: { env: 'prod' } }, false],
    ['no labels, no selector match', { name: 'pg' }, false],
    ['selector is not a name glob', { name: 'env=staging' }, false],
  ];
  for (const [name, target, expected] of cases) {
    it(name, () => assert.equal(matchTarget(base.allowedTargets, target), expected));
  }

  it('inherited object properties are not labels', () => {
    assert.equal(matchTarget(['constructor=*'], { name: 'pg', labels: {} }), false);
  });

  it('"*" admits any name, an empty list admits nothing', () => {
    assert.equal(matchTarget(['*'], { name: 'anything' }), true);
    assert.equal(matchTarget([], { name: 'anything' }), false);
  });
});

describe('checkLease', () => {
  // prettier-ignore
  const cases: [
    name: string,
    lease: LeaseRequest,
    active: number | undefined,
    expected: LeaseConstraint[],
  ][] = [
    ['within every limit', { kind: 'proxy_db', target: { name: 'dev-pg' }, ttlSeconds: 3600 }, 2, []],
    ['no TTL requested: the service picks one', { kind: 'proxy_db', target: { name: 'dev-pg' } }, 0, []],
    ['TTL over the maximum', { kind: 'proxy_db', target: { name: 'dev-pg' }, ttlSeconds: 3601 }, 0, ['ttl']],
    ['zero TTL', { kind: 'proxy_db', target: { name: 'dev-pg' }, ttlSeconds: 0 }, 0, ['ttl']],
    ['NaN TTL', { kind: 'proxy_db', target: { name: 'dev-pg' }, ttlSeconds: Number.NaN }, 0, ['ttl']],
    ['kind not allowed', { kind: 'proxy_ssh', target: { name: 'dev-node' } }, 0, ['kind']],
    ['target not allowed', { kind: 'proxy_app', target: { name: 'grafana' } }, 0, ['target']],
    ['target allowed by label', { kind: 'proxy_app', target: { name: 'grafana', labels: { env: 'staging' } } }, 0, []],
    ['missing target', { kind: 'proxy_db' }, 0, ['target']],
    ['vnet needs no target', { kind: 'vnet' }, 0, []],
    ['at the concurrency limit', { kind: 'proxy_db', target: { name: 'dev-pg' } }, 3, ['concurrency']],
    ['count unknown: concurrency not checked', { kind: 'proxy_db', target: { name: 'dev-pg' } }, undefined, []],
    ['every violation is reported', { kind: 'proxy_kube', target: { name: 'prod' }, ttlSeconds: 7200 }, 5, ['ttl', 'kind', 'target', 'concurrency']],
  ];
  for (const [name, lease, active, expected] of cases) {
    it(name, () => {
      assert.deepEqual(
        checkLease(base, lease, active).map((v) => v.constraint),
        expected,
      );
    });
  }

  it('says what would be accepted', () => {
    const [ttl, kind] = checkLease(base, {
      kind: 'proxy_ssh',
      target: { name: 'dev-x' },
      ttlSeconds: 9000,
    });
    assert.match(ttl?.message ?? '', /9000 exceeds the maximum of 3600/);
    assert.match(kind?.message ?? '', /allow proxy_db, proxy_app, vnet/);
  });

  it('a target refused by a label selector shows the labels it was judged by', () => {
    const [known] = checkLease(base, {
      kind: 'proxy_app',
      target: { name: 'grafana', labels: { env: 'prod', tier: 'web' } },
    });
    assert.match(known?.message ?? '', /grafana \(labels: env=prod,tier=web\) is not allowed/);
    const [unknown] = checkLease(base, { kind: 'proxy_app', target: { name: 'grafana' } });
    assert.match(unknown?.message ?? '', /grafana \(its labels are not known\) is not allowed/);
  });
});
