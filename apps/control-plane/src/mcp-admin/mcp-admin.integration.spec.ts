// MCP access admin against the simulator: the app lifecycle through tctl, the mcp_tools trait as
// `tsh mcp ls` shows it to the user, and client configurations.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import { parseApps, parseMcpServerListings, validateResourceName } from '@tmcp/teleport';
import { recordingContext, SimCluster } from '../security/sim-cluster.testing.js';
import { McpAdminToolsProvider } from './mcp-admin-tools.provider.js';
import { McpAdminService } from './mcp-admin.service.js';

const service = { host: '0.0.0.0', port: 8443, publicUrl: 'https://tmcp.example.com/' };

describe('MCP access admin against the simulator', () => {
  let sim: SimCluster;
  let admin: McpAdminService;
  before(() => {
    sim = new SimCluster();
    admin = new McpAdminService(sim.source('admin'), { service } as never);
  });
  after(() => sim.cleanup());

  const listApps = async () => {
    const r = sim.runner('admin');
    return parseApps((await r.run('tctl', r.tctl.getAll('apps'))).stdout);
  };

  it('register → list apps shows it → update → unregister', async () => {
    const created = await admin.register({
      spec: {
        name: 'files',
        description: 'File tools',
        labels: { env: 'dev' },
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv'],
        runAsHostUser: 'mcp',
      },
    });
    assert.equal(created.mcpTransport, 'stdio');
    const listed = (await listApps()).find((a) => a.name === 'files');
    assert.equal(listed?.mcp?.command, 'npx');
    assert.equal(listed?.labels['teleport.internal/app-sub-kind'], 'mcp');

    await assert.rejects(
      admin.register({ spec: { name: 'files', command: 'x', runAsHostUser: 'mcp' } }),
      (e: unknown) => e instanceof AppError && e.code === 'already_exists',
    );

    const updated = await admin.update({ patch: { name: 'files', labels: { env: 'prod' } } });
    assert.equal(updated.labels.env, 'prod');
    assert.equal(updated.mcp?.command, 'npx', 'unchanged fields are kept');
    const http = await admin.update({
      patch: { name: 'files', uri: 'mcp+https://files.internal.example.com/mcp' },
    });
    assert.equal(http.mcpTransport, 'streamable-http');
    assert.equal(http.mcp?.command, undefined, 'stdio fields are dropped when switching to HTTP');

    await admin.unregister({ name: 'files' });
    assert.equal(
      (await listApps()).some((a) => a.name === 'files'),
      false,
    );
    await assert.rejects(
      admin.unregister({ name: 'files' }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
  });

  it('refuses to touch a non-MCP app and to register an incomplete stdio server', async () => {
    await assert.rejects(
      admin.unregister({ name: 'grafana' }),
      (e: unknown) => e instanceof AppError && e.code === 'precondition_failed',
    );
    await assert.rejects(
      admin.update({ patch: { name: 'grafana', description: 'x' } }),
      (e: unknown) => e instanceof AppError && e.code === 'precondition_failed',
    );
    await assert.rejects(
      admin.register({ spec: { name: 'half', command: 'node' } }),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'bad_parameter' &&
        e.message.includes('run_as_host_user'),
    );
  });

  it('update_mcp_server keeps a secret in the args in Teleport and out of the response', async () => {
    const secret = 'sk-live-4eC39HqLyjWDarjtT1zdp7dc';
    await admin.register({
      spec: {
        name: 'billing',
        command: 'billing-mcp',
        args: [`API_TOKEN=${secret}`, '--api-key', secret],
        runAsHostUser: 'mcp',
      },
    });
    try {
      const { ctx, commands } = recordingContext();
      const tool = new McpAdminToolsProvider(admin)
        .tools()
        .find((t) => t.name === 'update_mcp_server');
      assert.ok(tool);
      const result = await tool.run(
        tool.input.parse({ name: 'billing', description: 'Billing tools', reason: 'describe it' }),
        ctx,
      );
      const response = JSON.stringify(result) + JSON.stringify(commands);
      assert.doesNotMatch(response, new RegExp(secret));
      assert.deepEqual((result.structured as { args: string[] }).args, [
        'API_TOKEN=***',
        '--api-key',
        '***',
      ]);
      // The simulator's state still holds the real values, and the new description.
      const r = sim.runner('admin');
      const stored = JSON.parse(
        (
          await r.run('tctl', r.tctl.getOne('app', validateResourceName('billing', 'name')), {
            rawStdout: true,
          })
        ).stdout,
      ) as { metadata: { description?: string }; spec: { mcp?: { args?: string[] } } }[];
      assert.equal(stored[0]?.metadata.description, 'Billing tools');
      assert.deepEqual(stored[0]?.spec.mcp?.args, [`API_TOKEN=${secret}`, '--api-key', secret]);
    } finally {
      await admin.unregister({ name: 'billing' });
    }
  });

  it('set_user_mcp_tools changes what tsh mcp ls shows to that user', async () => {
    const bob = sim.runner('bob');
    const before = parseMcpServerListings((await bob.run('tsh', bob.tsh.mcpList())).stdout).find(
      (l) => l.name === 'everything',
    );
    assert.deepEqual(before?.allowedTools, ['echo']);
    const { ctx, commands } = recordingContext();
    const tool = new McpAdminToolsProvider(admin)
      .tools()
      .find((t) => t.name === 'set_user_mcp_tools');
    assert.ok(tool);
    const result = await tool.run(
      tool.input.parse({ user: 'bob', tools: ['get-*', '^print.*$'], reason: 'grant read tools' }),
      ctx,
    );
    assert.deepEqual([...(result.structured as { mcpTools: string[] }).mcpTools].sort(), [
      '^print.*$',
      'get-*',
    ]);
    assert.equal(commands.length, 2);
    const after = parseMcpServerListings((await bob.run('tsh', bob.tsh.mcpList())).stdout).find(
      (l) => l.name === 'everything',
    );
    assert.deepEqual([...(after?.allowedTools ?? [])].sort(), ['^print.*$', 'get-*']);
    await assert.rejects(
      admin.setUserMcpTools({ user: 'bob', tools: ['a,b'] }),
      (e: unknown) => e instanceof AppError && e.code === 'bad_parameter',
    );
  });

  it('get_mcp_client_config renders tsh mcp connect entries for the visible servers and the gateway entry', async () => {
    const teleport = await admin.clientConfig({ format: 'cursor', target: 'teleport' });
    assert.deepEqual(teleport.servers, ['everything', 'payments-mcp']);
    assert.deepEqual(
      (teleport.config.mcpServers as Record<string, unknown>)['teleport-mcp-everything'],
      { command: 'tsh', args: ['mcp', 'connect', 'everything'] },
    );
    await assert.rejects(
      admin.clientConfig({ format: 'claude', target: 'teleport', server: 'grafana' }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
    const gateway = await admin.clientConfig({ format: 'vscode', target: 'gateway' });
    assert.deepEqual(gateway.config, {
      servers: {
        tmcp: {
          type: 'http',
          url: 'https://tmcp.example.com/mcp',
          headers: { Authorization: 'Bearer <YOUR_API_KEY>' },
        },
      },
    });
  });

  it('get_mcp_db_config takes the database URI from tsh mcp db config', async () => {
    const r = await admin.dbConfig({
      db: 'pg',
      dbUser: 'alice',
      dbName: 'postgres',
      format: 'claude',
    });
    assert.deepEqual(r.uris, [
      'teleport://clusters/teleport.example.com/databases/pg?dbName=postgres&dbUser=alice',
    ]);
    assert.deepEqual(r.config, {
      mcpServers: {
        'teleport-databases': { command: 'tsh', args: ['mcp', 'db', 'start', r.uris[0]] },
      },
    });
  });
});
