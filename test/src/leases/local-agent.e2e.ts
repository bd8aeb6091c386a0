// The built-in local agent end to end: `tmcp-server serve` with local_agent.enabled enrolls and
// runs the real tmcp-agent as its own child (same agent code as on a jumpbox), a proxy_db lease
// asked through MCP runs on it, and SIGTERM to the server stops the lease (reported by the
// agent while the agent port is still open), the agent and then the server, which exits 0.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createSimCluster, type SimCluster } from '../support/index.js';
import { alive, CLUSTER, gone, LeaseWorld } from './lease-world.js';

describe('leases end to end: the built-in local agent', { timeout: 240_000 }, () => {
  let world: LeaseWorld | undefined;
  let dataDir: string | undefined;
  let sim: SimCluster | undefined;
  after(async () => {
    await world?.close();
    sim?.cleanup();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('restarts a local agent that died, with the identity it already has', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tmcp-e2e-local-agent-'));
    const restartWorld = await LeaseWorld.create({
      server: { local_agent: { enabled: true, data_dir: dir } },
    });
    try {
      const server = await restartWorld.start();
      const first = await server.waitLog(
        (l) => l.component === 'local-agent' && l.msg === 'connected to the control plane',
      );
      const pidFile = path.join(dir, 'local-agent.pid');
      const firstPid = Number((await readFile(pidFile, 'utf8')).trim());
      const mark = server.mark;
      process.kill(firstPid, 'SIGKILL');
      await server.waitLog(
        (l) => l.component === 'local-agent' && l.msg === 'the local agent exited unexpectedly',
        mark,
      );
      const again = await server.waitLog(
        (l) => l.component === 'local-agent' && l.msg === 'connected to the control plane',
        mark,
      );
      assert.equal(again.agent_id, first.agent_id, 'no second enrollment');
      assert.ok(
        !server
          .lines()
          .slice(mark)
          .some((l) => l.msg === 'enrolling the local agent'),
      );
      const secondPid = Number((await readFile(pidFile, 'utf8')).trim());
      assert.notEqual(secondPid, firstPid);
      assert.ok(alive(secondPid));
      await server.stop();
      await gone(secondPid);
    } finally {
      await restartWorld.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('enrolls and runs its own agent; proxy_db runs on it; SIGTERM stops the lease, the agent and the server', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmcp-e2e-local-agent-'));
    // The control plane's cluster, mirrored to its agent, with an identity allowed on the `pg`
    // database (the world's default server identity is an admin without database access).
    sim = createSimCluster();
    world = await LeaseWorld.create({
      server: {
        teleport: { clusters: [sim.clusterEntry(CLUSTER, sim.identity('alice', '1h'))] },
        local_agent: { enabled: true, data_dir: dataDir },
      },
    });
    const server = await world.start();

    const connected = await server.waitLog(
      (l) => l.component === 'local-agent' && l.msg === 'connected to the control plane',
    );
    const agentId = String(connected.agent_id);
    const agents = await world.db.query<{
      agent_id: string;
      name: string;
      labels: Record<string, string>;
    }>('SELECT agent_id, name, labels FROM edge_agents');
    assert.equal(agents.length, 1, JSON.stringify(agents));
    assert.equal(agents[0]?.agent_id, agentId);
    assert.match(agents[0]?.name ?? '', /-local$/);
    assert.equal(agents[0]?.labels.local, 'true');
    // The identity is the agent's own files, private to it; the join token file is gone.
    assert.equal((await stat(path.join(dataDir, 'agent.key'))).mode & 0o077, 0);
    const agentPid = Number((await readFile(path.join(dataDir, 'local-agent.pid'), 'utf8')).trim());
    assert.ok(alive(agentPid), 'the local agent runs');

    const mcp = await world.mcp();
    const lease = await mcp.startDb({ ttl_seconds: 600 });
    assert.equal(lease.status, 'active', JSON.stringify(lease));
    assert.equal(lease.agent_id, agentId, 'the lease runs on the local agent');
    assert.ok(lease.pid !== null && alive(lease.pid));
    const [host, port] = (lease.listen_addr ?? '').split(':');
    const client = new pg.Client({ host, port: Number(port), user: 'postgres', database: 'test' });
    await client.connect();
    const { rows } = await client.query<{ answer: number }>('SELECT 40 + 2 AS answer');
    await client.end();
    assert.deepEqual(rows, [{ answer: 42 }]);

    const shutdownMark = server.mark;
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, server.tail());
    await gone(lease.pid);
    await gone(agentPid);
    assert.ok(
      server
        .lines()
        .slice(shutdownMark)
        .some((l) => l.component === 'local-agent' && l.msg === 'stopping the local agent'),
      'the server stopped its agent',
    );
    // The agent's AGENT_SHUTDOWN report reached the control plane before its port closed.
    const [ended] = await world.db.query<{ status: string; error: string | null }>(
      'SELECT status, error FROM leases WHERE lease_id = $1',
      [lease.lease_id],
    );
    assert.equal(ended?.status, 'failed', JSON.stringify(ended));
    assert.match(ended?.error ?? '', /agent shut down/);
  });
});
