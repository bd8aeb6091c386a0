import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LeaseKind } from '../database/entities/index.js';
import { connectHint, leaseTargetName, parseLeaseTarget, specTargetOf } from './lease-target.js';

describe('lease targets', () => {
  const valid: [LeaseKind, Record<string, unknown>, Record<string, unknown>, string | undefined][] =
    [
      [
        'proxy_db',
        { db: 'pg-main', db_user: 'alice', db_name: 'app' },
        { db: 'pg-main', db_user: 'alice', db_name: 'app' },
        'pg-main',
      ],
      ['proxy_db', { db: 'pg-main' }, { db: 'pg-main' }, 'pg-main'],
      ['proxy_app', { app: 'grafana', port: 8080 }, { app: 'grafana', port: 8080 }, 'grafana'],
      ['proxy_kube', { kube_cluster: 'prod' }, { kube_cluster: 'prod' }, 'prod'],
      ['proxy_ssh', { node: 'web-1', login: 'root' }, { node: 'web-1', login: 'root' }, 'web-1'],
      ['proxy_mcp', { app: 'mcp-everything' }, { app: 'mcp-everything' }, 'mcp-everything'],
      [
        'mcp_db',
        { db: 'pg', db_user: 'ro', db_name: 'app' },
        { db: 'pg', db_user: 'ro', db_name: 'app' },
        'pg',
      ],
      ['vnet', {}, {}, undefined],
    ];
  for (const [kind, input, normalized, name] of valid) {
    it(`accepts ${kind} ${JSON.stringify(input)}`, () => {
      const target = parseLeaseTarget(kind, input);
      assert.deepEqual(target, normalized);
      assert.equal(leaseTargetName(kind, target), name);
      assert.ok(specTargetOf(kind, target).case);
    });
  }

  const invalid: [LeaseKind, unknown, RegExp][] = [
    ['proxy_db', { db: '--exec=x' }, /target\.db.*must not start with "-"/],
    ['proxy_db', {}, /target\.db/],
    ['proxy_db', { db: 'pg', dbuser: 'x' }, /unknown field\(s\) dbuser/],
    ['mcp_db', { db: 'pg' }, /target\.db_user/],
    ['proxy_app', { app: 'a b' }, /whitespace/],
    ['proxy_app', { app: 'x', port: 70000 }, /target\.port/],
    ['proxy_ssh', { node: 'n', login: 'r\u0000' }, /target\.login/],
    ['vnet', { anything: 1 }, /unknown field/],
    ['proxy_kube', 'prod', /must be an object/],
  ];
  for (const [kind, input, message] of invalid) {
    it(`refuses ${kind} ${JSON.stringify(input)}`, () => {
      assert.throws(() => parseLeaseTarget(kind, input), { code: 'bad_parameter', message });
    });
  }

  it('tells a database user how to connect with psql', () => {
    const hint = connectHint(
      'proxy_db',
      { db: 'pg', db_user: 'alice', db_name: 'app' },
      '127.0.0.1:54321',
    );
    assert.equal(
      hint,
      'Connect with: psql "host=127.0.0.1 port=54321 user=alice dbname=app" (or any client of that database at 127.0.0.1:54321).',
    );
  });

  it('tells an HTTP app from a port of a multi-port TCP app', () => {
    assert.equal(
      connectHint('proxy_app', { app: 'grafana' }, '127.0.0.1:4000'),
      'The app is reachable at http://127.0.0.1:4000/ (plain HTTP, tunnelled to the app).',
    );
    assert.equal(
      connectHint('proxy_app', { app: 'pg-tcp', port: 5432 }, '127.0.0.1:4001'),
      'Port 5432 of the TCP app is reachable at 127.0.0.1:4001 (any client of that service).',
    );
  });
});
