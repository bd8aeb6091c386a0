// Which configured cluster a lease spec runs against: the exact name the control plane sends,
// the first cluster for an empty name, and a clear refusal for a name the agent does not have.
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { describe, it } from 'node:test';
import type { AgentClusterConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { LeaseKind, LeaseSpecSchema } from '@tmcp/proto';
import { TshArgvBuilder } from '@tmcp/teleport';
import { leaseInvocation, parseLeaseSpec } from './lease-command.js';

const spec = (cluster: string) =>
  create(LeaseSpecSchema, {
    leaseId: 'lease-1',
    generation: 1,
    cluster,
    kind: LeaseKind.PROXY_DB,
    target: { case: 'db', value: { db: 'pg' } },
    expiresAt: timestampFromMs(Date.now() + 60_000),
  });

const main: AgentClusterConfig = { name: 'main', proxy: 'teleport.example.com:443' };
const edge: AgentClusterConfig = { name: 'edge', proxy: 'edge.example.com:443' };

describe('parseLeaseSpec: cluster', () => {
  const cases: {
    name: string;
    cluster: string;
    clusters: AgentClusterConfig[];
    expect: string | { code: string; message: RegExp };
  }[] = [
    { name: 'exact name', cluster: 'edge', clusters: [main, edge], expect: 'edge' },
    { name: 'empty name: the first cluster', cluster: '', clusters: [main, edge], expect: 'main' },
    {
      name: 'unknown name with one cluster: refused, not run against that one',
      cluster: 'default',
      clusters: [main],
      expect: {
        code: 'bad_parameter',
        message: /this agent has no Teleport cluster named "default"; configured: main/,
      },
    },
    {
      name: 'no cluster configured',
      cluster: 'main',
      clusters: [],
      expect: { code: 'precondition_failed', message: /no Teleport cluster configured/ },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { expect } = c;
      if (typeof expect === 'string') {
        assert.equal(parseLeaseSpec(spec(c.cluster), c.clusters).cluster.name, expect);
        return;
      }
      assert.throws(
        () => parseLeaseSpec(spec(c.cluster), c.clusters),
        (e: unknown) =>
          e instanceof AppError && e.code === expect.code && expect.message.test(e.message),
      );
    });
  }
});

describe('leaseInvocation: proxy_app target ports', () => {
  const appSpec = (port: number, listenAddr = '') =>
    create(LeaseSpecSchema, {
      leaseId: 'lease-app',
      generation: 1,
      kind: LeaseKind.PROXY_APP,
      target: { case: 'app', value: { app: 'pg-tcp', port } },
      listenAddr,
      expiresAt: timestampFromMs(Date.now() + 60_000),
    });
  const tsh = new TshArgvBuilder({ proxy: 'teleport.example.com:443', home: '/var/lib/tmcp/home' });
  const globals = tsh.globalFlags();
  const argvOf = (port: number, listenAddr?: string) =>
    leaseInvocation(tsh, parseLeaseSpec(appSpec(port, listenAddr), [main])).argv;

  it('maps a target port onto a random local port, or the chosen one', () => {
    assert.deepEqual(argvOf(5432), [...globals, 'proxy', 'app', 'pg-tcp', '--port=0:5432']);
    assert.deepEqual(argvOf(5432, '127.0.0.1:15432'), [
      ...globals,
      'proxy',
      'app',
      'pg-tcp',
      '--port=15432:5432',
    ]);
    assert.deepEqual(argvOf(0), [...globals, 'proxy', 'app', 'pg-tcp']);
  });

  it('refuses a target port out of range, naming the field', () => {
    assert.throws(
      () => argvOf(70_000),
      (e: unknown) => e instanceof AppError && e.message.includes('target.port'),
    );
  });
});
