// Integration (real PostgreSQL, the real agent port, fake agents): presence as the reaper and
// the heartbeats keep it — a draining agent whose replica died is no longer counted as
// connected, and an agent back from "silent" is held by its replica again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLeaseHarness, type LeaseHarness } from '../leases/lease-test-harness.testing.js';
import { EdgeAgentsRepository } from './edge-agents.repository.js';
import { REPLICA_ID } from './replica-id.js';
import { waitUntil } from './wait-until.testing.js';

describe('agent presence', () => {
  let h: LeaseHarness;
  let agents: EdgeAgentsRepository;
  let replica: string;

  before(async () => {
    h = await startLeaseHarness();
    agents = h.app.get(EdgeAgentsRepository);
    replica = h.app.get<string>(REPLICA_ID);
  });
  after(async () => {
    await h.close();
  });

  const silence = (agentId: string): Promise<unknown> =>
    h.dataSource.query(
      `UPDATE edge_agents SET last_seen_at = now() - interval '1 hour' WHERE agent_id = $1`,
      [agentId],
    );

  it('a silent draining agent stays draining but no longer counts as connected', async () => {
    const agent = await h.connectAgent();
    await agents.markDraining(agent.agentId);
    const before = await agents.countConnected();
    // Its replica died: no disconnect ran, only heartbeats stopped.
    await silence(agent.agentId);
    const report = await h.reaper.reap();
    assert.ok(report.agentsOffline >= 1);
    const record = await agents.get(agent.agentId);
    assert.equal(record?.status, 'draining');
    assert.equal(record?.connectedReplica, null);
    assert.equal(await agents.countConnected(), before - 1);
    agent.close();
  });

  it('an agent taken for silent comes back with its replica, so its disconnect is seen', async () => {
    const agent = await h.connectAgent();
    await silence(agent.agentId);
    await h.reaper.reap();
    assert.equal((await agents.get(agent.agentId))?.status, 'offline');

    await agent.heartbeat();
    await waitUntil(async () => (await agents.get(agent.agentId))?.status === 'online');
    assert.equal((await agents.get(agent.agentId))?.connectedReplica, replica);

    agent.disconnect();
    await waitUntil(async () => (await agents.get(agent.agentId))?.status === 'offline');
    assert.equal((await agents.get(agent.agentId))?.connectedReplica, null);
    agent.close();
  });

  it('a late heartbeat of an old stream does not take the agent from its new replica', async () => {
    const agent = await h.connectAgent();
    // The agent has meanwhile reconnected through another replica. (last_seen_at is moved back
    // so that only the heartbeat can make it fresh again.)
    await h.dataSource.query(
      `UPDATE edge_agents SET connected_replica = 'replica-b', last_seen_at = now() - interval '1 hour'
        WHERE agent_id = $1`,
      [agent.agentId],
    );
    await agent.heartbeat();
    await waitUntil(async () => {
      const [row] = await h.dataSource.query<{ fresh: boolean }[]>(
        `SELECT last_seen_at > now() - interval '1 minute' AS fresh FROM edge_agents WHERE agent_id = $1`,
        [agent.agentId],
      );
      return row?.fresh === true;
    });
    assert.equal((await agents.get(agent.agentId))?.connectedReplica, 'replica-b');
    agent.close();
  });
});
