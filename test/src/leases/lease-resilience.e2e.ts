// What happens to leases when a side fails: the agent SIGKILLed and restarted (leftovers
// re-adopted or killed, and reported), the agent cut off from the control plane (leases run on
// until the disconnect grace), and a stop issued while the agent is cut off (carried out when it
// reconnects — here to another replica, on the agent's address, sharing database and Redis).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { alive, freePort, gone, LeaseWorld } from './lease-world.js';

describe('leases end to end: failures', { timeout: 240_000 }, () => {
  let world: LeaseWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('agent SIGKILLed with active leases: on restart it re-adopts the live one, kills the expired one, and the control plane converges', async () => {
    world = await LeaseWorld.create();
    await world.start();
    const agent = await world.enrollAgent('edge-crash');
    const first = await world.runAgent(agent);
    const mcp = await world.mcp();
    const long = await mcp.startDb({ ttl_seconds: 600 });
    const short = await mcp.startDb({ ttl_seconds: 3 });
    assert.equal(long.status, 'active');
    assert.equal(short.status, 'active');

    await first.stop('SIGKILL');
    // The proxies run in their own process groups: they outlive the agent.
    assert.ok(alive(long.pid!) && alive(short.pid!));
    // The control plane expires the short lease on its own; nobody can kill its process yet.
    await mcp.statusUntil(short.lease_id, (l) => l.status === 'expired');
    assert.ok(alive(short.pid!), 'the leftover waits for the agent');

    const second = await world.runAgent(agent);
    await second.waitLog(
      (l) =>
        l.lease_id === short.lease_id &&
        String(l.msg).startsWith('killed a leftover lease process'),
    );
    await second.waitLog(
      (l) => l.lease_id === long.lease_id && String(l.msg).startsWith('re-adopted a lease'),
    );
    await gone(short.pid!);
    assert.ok(alive(long.pid!), 'the live lease kept running');
    // Converged: the live lease is still active with the same process, the short one ended.
    const longNow = await mcp.status(long.lease_id);
    assert.equal(longNow.status, 'active');
    assert.equal(longNow.pid, long.pid);
    await mcp.statusUntil(short.lease_id, (l) => l.status === 'expired' && l.pid === null);
    // The re-adopted process is still under control: stop_proxy ends it.
    const stopped = await mcp.call('stop_proxy', { lease_id: long.lease_id, reason: 'e2e' });
    assert.equal(stopped.isError, false, stopped.text);
    await gone(long.pid!);
    await mcp.statusUntil(long.lease_id, (l) => l.status === 'stopped');
  });

  it('agent cut off from the control plane: the lease runs on until the disconnect grace, then ends failed with that reason', async () => {
    world = await LeaseWorld.create({ agentService: { disconnect_grace_seconds: 3 } });
    const server = await world.start();
    const agentProcess = await world.runAgent(await world.enrollAgent('edge-cut'));
    const mcp = await world.mcp();
    const lease = await mcp.startDb({ ttl_seconds: 600 });
    const mark = agentProcess.mark;
    await server.stop('SIGKILL');
    await agentProcess.waitLog((l) => l.msg === 'stream to the control plane ended', mark);
    assert.ok(alive(lease.pid!), 'still running right after the cut');
    await agentProcess.waitLog(
      (l) =>
        l.lease_id === lease.lease_id &&
        l.msg ===
          'control plane unreachable for longer than the disconnect grace: stopping the lease',
      mark,
    );
    const deadAt = await gone(lease.pid!);
    assert.ok(deadAt < Date.parse(lease.expires_at), 'ended by the grace, long before its TTL');
    // Back: the agent tells what happened while it was cut off.
    await world.startServer();
    await agentProcess.waitLog((l) => l.msg === 'connected to the control plane', mark);
    const again = await world.mcp(world.servers[1]);
    const final = await again.statusUntil(lease.lease_id, (l) => l.status === 'failed');
    assert.match(final.error ?? '', /disconnect grace/);
    assert.equal(final.pid, null);
  });

  it('stop_proxy issued while the agent is cut off is carried out when it reconnects (to another replica)', async () => {
    world = await LeaseWorld.create();
    const first = await world.start();
    const agentProcess = await world.runAgent(await world.enrollAgent('edge-stop'));
    const lease = await (await world.mcp()).startDb({ ttl_seconds: 600 });
    // A replica with its agent port elsewhere: it serves MCP, the agent cannot reach it.
    const elsewhere = await world.startServer(await freePort());
    const mcp = await world.mcp(elsewhere);
    const mark = agentProcess.mark;
    await first.stop('SIGKILL');
    await agentProcess.waitLog((l) => l.msg === 'stream to the control plane ended', mark);
    const stopping = await mcp.call<{ status: string }>('stop_proxy', {
      lease_id: lease.lease_id,
      reason: 'e2e: stop while cut off',
    });
    assert.equal(stopping.isError, false, stopping.text);
    assert.equal(stopping.structured.status, 'stopping');
    assert.ok(alive(lease.pid!), 'the agent has not heard of the stop yet');
    assert.equal(
      agentProcess
        .lines()
        .slice(mark)
        .some((l) => l.msg === 'connected to the control plane'),
      false,
      'the agent is still cut off when the stop is issued',
    );
    // A replica on the agent's address: the agent reconnects, the stop is carried out.
    await world.startServer();
    await agentProcess.waitLog((l) => l.msg === 'connected to the control plane', mark);
    await gone(lease.pid!);
    const final = await mcp.statusUntil(lease.lease_id, (l) => l.status === 'stopped');
    assert.equal(final.pid, null);
  });
});
