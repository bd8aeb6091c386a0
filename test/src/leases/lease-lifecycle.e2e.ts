// Leases end to end through MCP: the real tmcp-server, a real tmcp-agent enrolled with only the
// CA pin, the simulator as tsh, real PostgreSQL behind `tsh proxy db`, real Redis. Each test
// has a world of its own (database, Redis prefix, ports, data dirs), closed in `after`.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import pg from 'pg';
import { accepts, alive, gone, LeaseWorld, type LeaseResult } from './lease-world.js';

describe('leases end to end: lifecycle', { timeout: 240_000 }, () => {
  let world: LeaseWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('proxy_db through MCP: a Postgres client queries through listen_addr; stop_proxy kills the process and closes the port; proxy_app reaches a multi-port target', async () => {
    world = await LeaseWorld.create();
    await world.start();
    const agent = await world.enrollAgent('edge-1');
    await world.runAgent(agent);
    const mcp = await world.mcp();

    const lease = await mcp.startDb({ ttl_seconds: 600 });
    assert.equal(lease.status, 'active', JSON.stringify(lease));
    assert.equal(lease.agent_id, agent.agentId);
    assert.ok(lease.pid !== null && alive(lease.pid));
    assert.match(lease.listen_addr ?? '', /^127\.0\.0\.1:\d+$/);
    assert.ok(Date.parse(lease.expires_at) > Date.now());

    const [host, port] = (lease.listen_addr ?? '').split(':');
    const client = new pg.Client({ host, port: Number(port), user: 'postgres', database: 'test' });
    await client.connect();
    const { rows } = await client.query<{ answer: number }>('SELECT 40 + 2 AS answer');
    await client.end();
    assert.deepEqual(rows, [{ answer: 42 }]);

    const stopped = await mcp.call<{ status: string }>('stop_proxy', {
      lease_id: lease.lease_id,
      reason: 'e2e: done',
    });
    assert.equal(stopped.isError, false, stopped.text);
    await gone(lease.pid);
    assert.equal(await accepts(lease.listen_addr!), false, 'the port is closed');
    const final = await mcp.statusUntil(lease.lease_id, (l) => l.status === 'stopped');
    assert.equal(final.pid, null);

    // proxy_app with a target port: the seeded multi-port TCP app in front of the same Postgres.
    const app = await mcp.call<LeaseResult>('start_proxy', {
      kind: 'proxy_app',
      target: { app: 'pg-tcp', port: 5432 },
      ttl_seconds: 600,
      reason: 'e2e: multi-port app',
    });
    assert.equal(app.structured.status, 'active', app.text);
    const [appHost, appPort] = (app.structured.listen_addr ?? '').split(':');
    const viaApp = new pg.Client({
      host: appHost,
      port: Number(appPort),
      user: 'postgres',
      database: 'test',
    });
    await viaApp.connect();
    const viaAppRows = await viaApp.query<{ answer: number }>('SELECT 6 * 7 AS answer');
    await viaApp.end();
    assert.deepEqual(viaAppRows.rows, [{ answer: 42 }]);
    assert.match(
      await mcp.logLineUntil(app.structured.lease_id, /^Proxying connections to /),
      /^Proxying connections to pg-tcp:5432 on 127\.0\.0\.1:\d+$/,
    );
    const refused = await mcp.call<LeaseResult>('start_proxy', {
      kind: 'proxy_app',
      target: { app: 'pg-tcp', port: 5433 },
      reason: 'e2e: a port the app lacks',
    });
    assert.equal(refused.structured.status, 'failed', refused.text);
    assert.match(refused.text, /port 5433 is not included in target ports of app "pg-tcp"/);
  });

  it('extend_proxy bumps the generation and moves the agent deadline', async () => {
    world = await LeaseWorld.create();
    await world.start();
    await world.runAgent(await world.enrollAgent('edge-1'));
    const mcp = await world.mcp();
    const lease = await mcp.startDb({ ttl_seconds: 3 });
    assert.equal(lease.generation, 1);
    const extended = await mcp.call<LeaseResult>('extend_proxy', {
      lease_id: lease.lease_id,
      ttl_seconds: 6,
      reason: 'e2e: more time',
    });
    assert.equal(extended.isError, false, extended.text);
    assert.equal(extended.structured.generation, 2);
    const newDeadline = Date.parse(extended.structured.expires_at);
    assert.ok(newDeadline > Date.parse(lease.expires_at));
    // The same process lives past the first deadline and dies at the new one.
    const deadAt = await gone(lease.pid!);
    assert.ok(deadAt >= newDeadline - 100, 'killed at the extended deadline, not the first one');
    assert.ok(deadAt - newDeadline <= 1_000, `killed ${deadAt - newDeadline} ms after expires_at`);
    const final = await mcp.statusUntil(lease.lease_id, (l) => l.status === 'expired');
    assert.equal(final.generation, 2);
  });

  it('the per-actor cap holds under racing start_proxy calls: exactly 2 of 6 succeed', async () => {
    world = await LeaseWorld.create({
      server: { policy: { max_concurrent_proxies_per_actor: 2 } },
    });
    await world.start();
    await world.runAgent(await world.enrollAgent('edge-1'));
    const mcp = await world.mcp();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        mcp.call<LeaseResult>('start_proxy', {
          kind: 'proxy_db',
          target: { db: 'pg', db_user: 'postgres', db_name: 'test' },
          ttl_seconds: 60,
          reason: `e2e: race ${i}`,
        }),
      ),
    );
    const won = results.filter((r) => !r.isError);
    const refused = results.filter((r) => r.isError);
    assert.equal(won.length, 2, results.map((r) => r.text).join('\n'));
    for (const r of won) assert.equal(r.structured.status, 'active');
    assert.equal(refused.length, 4);
    for (const r of refused) {
      assert.equal(r.code, 'limit_exceeded', r.text);
      assert.match(r.text, /the maximum is 2: stop one first \(stop_proxy\)/);
    }
    const listed = await mcp.call<{ leases: LeaseResult[] }>('list_proxies_leases', {});
    assert.equal(listed.structured.leases.length, 2);
  });

  it('a spawn failure ends failed with a clear error: missing tsh, expired identity, unknown cluster', async () => {
    world = await LeaseWorld.create();
    await world.start();
    const cases = [
      {
        agent: await world.enrollAgent('no-tsh', { tshPath: '/nonexistent/bin/tsh' }),
        error: /\/nonexistent\/bin\/tsh/,
      },
      {
        agent: await world.enrollAgent('stale-identity', {
          identity: world.sim.identity('alice', 'expired'),
        }),
        error: /expired|credentials/i,
      },
      {
        agent: await world.enrollAgent('other-cluster', {
          extra: {
            clusters: [{ name: 'elsewhere', proxy: 'teleport.example.com:443' }],
          },
        }),
        error: /this agent has no Teleport cluster named "main"; configured: elsewhere/,
      },
    ];
    for (const c of cases) await world.runAgent(c.agent);
    const mcp = await world.mcp();
    for (const c of cases) {
      const out = await mcp.call<LeaseResult>('start_proxy', {
        kind: 'proxy_db',
        target: { db: 'pg', db_user: 'postgres', db_name: 'test' },
        agent: c.agent.name,
        reason: 'e2e: failing spawn',
      });
      const lease = out.structured;
      assert.equal(lease.status, 'failed', `${c.agent.name}: ${out.text}`);
      assert.match(lease.error ?? '', c.error, c.agent.name);
      const status = await mcp.status(lease.lease_id);
      assert.equal(status.status, 'failed');
      assert.match(status.error ?? '', c.error);
      assert.equal(status.pid, null);
    }
  });
});
