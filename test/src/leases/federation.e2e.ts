// Federation end to end: a proxy_mcp lease on the simulator's `everything` app (the real
// server-everything behind `tsh mcp connect`, Teleport's mcp.tools applied by the simulator for
// the agent's identity, alice: allow `get-*` and `^echo$`, deny `get-env`), reached by the
// gateway as an MCP client over the agent stream, its tools offered as `<lease>__<tool>`.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { LeaseWorld, McpCaller, type LeaseResult } from './lease-world.js';

function prefix(leaseId: string): string {
  return `l${leaseId.replaceAll('-', '').slice(0, 8)}`;
}

describe('leases end to end: federation', { timeout: 240_000 }, () => {
  let world: LeaseWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('proxy_mcp: tools listed and called through the lease, role patterns applied, gone after stop', async () => {
    world = await LeaseWorld.create();
    await world.start();
    // A custom role with federation.call over every lease, whose patterns deny `echo`.
    await world.db.query(
      `INSERT INTO roles (name, description, allow, deny, constraints) VALUES ($1, '', $2, '[]', $3)`,
      [
        'fed-no-echo',
        JSON.stringify(['federation.call']),
        JSON.stringify({ federatedTools: { allow: ['*'], deny: ['echo'] }, leaseScope: 'any' }),
      ],
    );
    const created = await world.serverCli([
      'principals',
      'create',
      '--name',
      'fed-user',
      '--role',
      'fed-no-echo',
      '--kind',
      'user',
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const limitedKey = (JSON.parse(created.stdout) as { api_key: string }).api_key;

    await world.runAgent(await world.enrollAgent('edge-1'));
    const mcp = await world.mcp();
    const started = await mcp.call<LeaseResult>('start_proxy', {
      kind: 'proxy_mcp',
      target: { app: 'everything' },
      ttl_seconds: 600,
      reason: 'e2e: federation',
    });
    assert.equal(started.isError, false, started.text);
    const lease = started.structured;
    assert.equal(lease.status, 'active', JSON.stringify(lease));
    const name = prefix(lease.lease_id);

    const listed = (await mcp.client.listTools()).tools.map((t) => t.name);
    assert.ok(listed.includes(`${name}__echo`), listed.join());
    assert.ok(!listed.includes(`${name}__get-env`), 'Teleport denies get-env');
    assert.ok(listed.includes('list_nodes'), 'static tools are still there');

    const echoed = await mcp.call(`${name}__echo`, { message: 'hi' });
    assert.equal(echoed.isError, false, echoed.text);
    assert.match(echoed.text, /hi/);

    const rows = await world.db.query<{ capability: string; status: string }>(
      'SELECT capability, status FROM operations WHERE tool = $1',
      [`${name}__echo`],
    );
    assert.deepEqual(rows, [{ capability: 'federation.call', status: 'succeeded' }]);

    // The role whose federated tool patterns deny echo neither sees nor calls it.
    const limitedClient = new Client({ name: 'fed-limited', version: '1.0.0' });
    await limitedClient.connect(
      new StreamableHTTPClientTransport(new URL(world.servers[0]!.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${limitedKey}` } },
      }),
    );
    try {
      const limited = new McpCaller(limitedClient, world);
      const theirs = (await limitedClient.listTools()).tools.map((t) => t.name);
      assert.ok(!theirs.includes(`${name}__echo`), theirs.join());
      assert.ok(
        theirs.some((t) => t.startsWith(`${name}__`)),
        theirs.join(),
      );
      const refused = await limited.call(`${name}__echo`, { message: 'hi' });
      assert.equal(refused.isError, true);
      assert.equal(refused.code, 'access_denied', refused.text);
      assert.match(refused.text, /echo/);
    } finally {
      await limitedClient.close();
    }

    const stopped = await mcp.call('stop_proxy', { lease_id: lease.lease_id, reason: 'e2e: done' });
    assert.equal(stopped.isError, false, stopped.text);
    await mcp.statusUntil(lease.lease_id, (l) => l.status === 'stopped');
    const after = (await mcp.client.listTools()).tools.map((t) => t.name);
    assert.ok(!after.some((t) => t.startsWith(`${name}__`)), after.join());
  });
});
