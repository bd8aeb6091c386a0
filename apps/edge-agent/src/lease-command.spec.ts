// Which configured cluster a lease spec runs against: the exact name the control plane sends,
// the first cluster for an empty name, and a clear refusal for a name the agent does not have.
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { describe, it } from 'node:test';
import type { AgentClusterConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { LeaseKind, LeaseSpecSchema } from '@tmcp/proto';
import { parseLeaseSpec } from './lease-command.js';

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
