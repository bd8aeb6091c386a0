// TTLs end to end: a short lease is dead within one second of its expires_at — enforced by the
// agent's local deadline, so it holds when the control plane was SIGKILLed meanwhile and when
// Redis (this world's keys) was flushed. The control plane's view converges to `expired`.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { alive, gone, LeaseWorld, type LeaseResult } from './lease-world.js';

/** The bound the issue demands: kill time − expires_at. */
const TTL_BOUND_MS = 1_000;
const TTL_SECONDS = 3;

async function assertDiesAtTtl(lease: LeaseResult): Promise<number> {
  assert.equal(lease.status, 'active', JSON.stringify(lease));
  assert.ok(lease.pid !== null && alive(lease.pid), 'the proxy runs');
  const deadAt = await gone(lease.pid);
  const late = deadAt - Date.parse(lease.expires_at);
  assert.ok(late <= TTL_BOUND_MS, `killed ${late} ms after expires_at`);
  return late;
}

describe('leases end to end: TTL', { timeout: 240_000 }, () => {
  let world: LeaseWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  async function setUp() {
    world = await LeaseWorld.create();
    const server = await world.start();
    const agent = await world.enrollAgent('edge-ttl');
    const agentProcess = await world.runAgent(agent);
    return { world, server, agentProcess, mcp: await world.mcp() };
  }

  it('a short lease is dead within one second of expires_at, and reported expired', async () => {
    const { mcp } = await setUp();
    const lease = await mcp.startDb({ ttl_seconds: TTL_SECONDS });
    await assertDiesAtTtl(lease);
    const final = await mcp.statusUntil(lease.lease_id, (l) => l.status === 'expired');
    assert.equal(final.pid, null);
  });

  it('… also when the control plane was SIGKILLed while it ran; the restarted one converges', async () => {
    const { world, server, agentProcess, mcp } = await setUp();
    const lease = await mcp.startDb({ ttl_seconds: TTL_SECONDS });
    const mark = agentProcess.mark;
    await server.stop('SIGKILL');
    await agentProcess.waitLog((l) => l.msg === 'stream to the control plane ended', mark);
    await assertDiesAtTtl(lease);
    await world.startServer();
    await agentProcess.waitLog((l) => l.msg === 'connected to the control plane', mark);
    const again = await world.mcp(world.servers[1]);
    const final = await again.statusUntil(lease.lease_id, (l) => l.status === 'expired');
    assert.equal(final.pid, null);
  });

  it('… also when Redis lost its jobs meanwhile; dispatch and the reaper schedule recover', async () => {
    const { world, server, mcp } = await setUp();
    const lease = await mcp.startDb({ ttl_seconds: TTL_SECONDS });
    const mark = server.mark;
    assert.ok((await world.flushRedisPrefix()) > 0, 'the world had Redis keys to lose');
    await assertDiesAtTtl(lease);
    await mcp.statusUntil(lease.lease_id, (l) => l.status === 'expired');
    // Commands still flow to the agent, and the lost reaper schedule is re-installed.
    const next = await mcp.startDb({ ttl_seconds: 60 });
    assert.equal(next.status, 'active', JSON.stringify(next));
    await server.waitLog(
      (l) => l.msg === 'the reaper schedule was missing in Redis: re-installed',
      mark,
    );
  });
});
