// End to end: the real tmcp-server (spawned), real PostgreSQL and Redis, the Teleport simulator
// (named by the config as tsh/tctl), and the official MCP SDK v2 client in both protocol eras.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  Client,
  ProtocolError,
  StreamableHTTPClientTransport,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client';
import { Redis } from 'ioredis';
import {
  createE2eDatabase,
  createSimCluster,
  E2E_REDIS_URL,
  startControlPlane,
  type ControlPlaneProcess,
  type E2eDatabase,
  type SimCluster,
} from '../support/index.js';

/** A JWT-shaped secret the simulator prints on stderr and inside `tctl get` output. */
const PLANT_SIGNATURE = `PLANTsig${randomBytes(8).toString('hex')}`;
const PLANT = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.${PLANT_SIGNATURE}`;
const MAX_BODY = 64 * 1024;
const ROLES = ['admin', 'operator', 'user', 'readonly'] as const;
type Role = (typeof ROLES)[number];

const INVENTORY = [
  'list_nodes',
  'list_proxies',
  'list_roles',
  'list_users',
  'list_tokens',
  'list_cas',
  'get_auth_preference',
  'list_apps',
  'list_databases',
  'list_mcp_servers',
];
const USER_INVENTORY = [
  'list_nodes',
  'list_proxies',
  'list_apps',
  'list_databases',
  'list_mcp_servers',
];

describe('MCP gateway (end to end)', () => {
  let db: E2eDatabase;
  let sim: SimCluster;
  let server: ControlPlaneProcess;
  const redisPrefix = `tmcp-e2e-${randomBytes(4).toString('hex')}`;
  const keys = {} as Record<Role, string>;
  const clients: Client[] = [];

  before(async () => {
    db = await createE2eDatabase();
    sim = createSimCluster({ env: { TELEPORT_SIM_SECRET_PLANT: PLANT } });
    server = await startControlPlane({
      databaseUrl: db.url,
      redisUrl: E2E_REDIS_URL,
      redisKeyPrefix: redisPrefix,
      config: {
        service: { max_body_bytes: MAX_BODY, log_level: 'info' },
        teleport: {
          clusters: [
            sim.clusterEntry('main', sim.identity('admin', '1h')),
            sim.clusterEntry('stale', sim.identity('admin', 'expired')),
          ],
        },
      },
    });
    for (const role of ROLES) {
      keys[role] = await server.createPrincipal(`e2e-${role}`, role);
    }
  });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await server?.stop();
    const redis = new Redis(E2E_REDIS_URL, { lazyConnect: true });
    await redis.connect();
    const leftovers = await redis.keys(`${redisPrefix}:*`);
    if (leftovers.length > 0) await redis.del(...leftovers);
    await redis.quit();
    await db?.drop();
    sim?.cleanup();
  });

  async function connect(key: string, mode: VersionNegotiationMode): Promise<Client> {
    const client = new Client(
      { name: 'tmcp-e2e', version: '1.0.0' },
      { versionNegotiation: { mode } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${key}` } },
      }),
    );
    clients.push(client);
    return client;
  }

  async function raw(
    body: string,
    headers: Record<string, string> = {},
    method = 'POST',
  ): Promise<Response> {
    return fetch(server.mcpUrl, {
      method,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      ...(method === 'POST' ? { body } : {}),
    });
  }

  for (const mode of ['legacy', { pin: '2026-07-28' }] as const) {
    const era = typeof mode === 'string' ? '2025' : '2026-07-28';
    it(`tools/list shows each built-in role exactly its inventory tools (${era})`, async () => {
      for (const role of ROLES) {
        const client = await connect(keys[role], mode);
        const names = (await client.listTools()).tools
          .map((t) => t.name)
          .filter((n) => INVENTORY.includes(n));
        assert.deepEqual(
          names.sort(),
          (role === 'user' ? USER_INVENTORY : INVENTORY).slice().sort(),
          role,
        );
      }
    });
  }

  it('an allowed call returns text and structured content, recorded as succeeded', async () => {
    const client = await connect(keys.readonly, 'auto');
    const result = await client.callTool({ name: 'list_nodes', arguments: {} });
    assert.notEqual(result.isError, true);
    const structured = result.structuredContent as {
      cluster: string;
      count: number;
      items: { hostname: string }[];
    };
    assert.equal(structured.cluster, 'main');
    assert.equal(structured.count, structured.items.length);
    assert.match((result.content[0] as { text: string }).text, /nodes in cluster main/);
    const rows = await db.query<{ status: string; exit_code: number }>(
      `SELECT status, exit_code FROM operations WHERE actor = 'e2e-readonly' AND tool = 'list_nodes'`,
    );
    assert.deepEqual(rows, [{ status: 'succeeded', exit_code: 0 }]);
  });

  it('every inventory tool answers for admin', async () => {
    const client = await connect(keys.admin, 'legacy');
    for (const name of INVENTORY) {
      const result = await client.callTool({ name, arguments: {} });
      assert.notEqual(result.isError, true, `${name}: ${JSON.stringify(result.content)}`);
    }
  });

  it('a denied call is a JSON-RPC access-denied error and a denied row with the decision', async () => {
    const client = await connect(keys.user, 'legacy');
    await assert.rejects(
      client.callTool({ name: 'list_tokens', arguments: {} }),
      (e: unknown) => e instanceof ProtocolError && e.code === -32003,
    );
    const rows = await db.query<{ status: string; decision: { allow: boolean; rule: string } }>(
      `SELECT status, decision FROM operations WHERE actor = 'e2e-user' AND tool = 'list_tokens'`,
    );
    assert.equal(rows[0]?.status, 'denied');
    assert.equal(rows[0]?.decision.allow, false);
  });

  const HEALTH_STEPS = [
    'tctl status',
    'tctl get nodes',
    'tctl get proxies',
    'tctl get cert_authorities',
    'tctl get cluster_auth_preference',
    'tctl tokens ls',
    'evaluating checks',
  ];

  for (const mode of ['legacy', { pin: '2026-07-28' }] as const) {
    const era = typeof mode === 'string' ? '2025' : '2026-07-28';
    it(`run_health_check sends notifications/progress to an SDK client that asks (${era})`, async () => {
      const client = await connect(keys.operator, mode);
      const seen: { progress: number; total?: number; message?: string }[] = [];
      const result = await client.callTool(
        { name: 'run_health_check', arguments: {} },
        { onprogress: (p) => void seen.push(p) },
      );
      assert.notEqual(result.isError, true, JSON.stringify(result.content).slice(0, 300));
      assert.deepEqual(
        seen,
        HEALTH_STEPS.map((message, i) => ({
          progress: i + 1,
          total: HEALTH_STEPS.length,
          message,
        })),
      );
    });
  }

  it("progress travels as SSE events of the call, tagged with the caller's token", async () => {
    const res = await raw(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 41,
        method: 'tools/call',
        params: { name: 'run_health_check', arguments: {}, _meta: { progressToken: 'hc-41' } },
      }),
      { authorization: `Bearer ${keys.admin}` },
    );
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const messages = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => JSON.parse(l.slice(5)) as { method?: string; id?: number; params?: unknown });
    const progress = messages.filter((m) => m.method === 'notifications/progress');
    assert.deepEqual(
      progress.map((m) => m.params),
      HEALTH_STEPS.map((message, i) => ({
        progressToken: 'hc-41',
        progress: i + 1,
        total: HEALTH_STEPS.length,
        message,
      })),
    );
    // The result comes last, after every notification.
    assert.equal(messages.at(-1)?.id, 41);
    // Without a progress token, no notification is sent.
    const quiet = await raw(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 42,
        method: 'tools/call',
        params: { name: 'run_health_check', arguments: {} },
      }),
      { authorization: `Bearer ${keys.admin}` },
    );
    assert.doesNotMatch(await quiet.text(), /notifications\/progress/);
  });

  it('refuses anonymous requests with 401 and WWW-Authenticate', async () => {
    const res = await raw(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
    assert.equal(res.status, 401);
    assert.match(
      res.headers.get('www-authenticate') ?? '',
      /^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource"/,
    );
    const meta = (await (
      await fetch(`${server.baseUrl}/.well-known/oauth-protected-resource`)
    ).json()) as { resource: string };
    assert.equal(meta.resource, server.mcpUrl);
  });

  it('refuses a revoked key at once', async () => {
    const key = await server.createPrincipal('e2e-revoked', 'readonly');
    const client = await connect(key, 'legacy');
    await client.listTools();
    await db.query(`UPDATE principals SET revoked_at = now() WHERE name = 'e2e-revoked'`);
    const res = await raw(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), {
      authorization: `Bearer ${key}`,
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.match(await res.text(), /revoked/);
  });

  it('an expired Teleport identity is a clear credentials_expired tool error', async () => {
    const client = await connect(keys.operator, 'legacy');
    const result = await client.callTool({ name: 'list_nodes', arguments: { cluster: 'stale' } });
    assert.equal(result.isError, true);
    const error = (result.structuredContent as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'credentials_expired');
  });

  it('injection attempts in string arguments are rejected as bad_parameter', async () => {
    const client = await connect(keys.admin, 'legacy');
    for (const cluster of [
      '-x',
      '--proxy=evil.example:443',
      'main; rm -rf /',
      '$(id)',
      'main\nget users',
      '../../etc',
      'MAIN',
      'a'.repeat(200),
    ]) {
      await assert.rejects(
        client.callTool({ name: 'list_nodes', arguments: { cluster } }),
        (e: unknown) =>
          e instanceof ProtocolError &&
          e.code === -32602 &&
          (e.data as { code?: string }).code === 'bad_parameter',
        cluster,
      );
    }
    const unknown = await client.callTool({
      name: 'list_nodes',
      arguments: { cluster: 'nowhere' },
    });
    assert.equal(unknown.isError, true);
    assert.match(
      (unknown.content[0] as { text: string }).text,
      /unknown cluster "nowhere"; configured: main, stale/,
    );
  });

  it('HTTP gates: malformed JSON, oversized body, foreign Origin and Host, GET', async () => {
    const auth = { authorization: `Bearer ${keys.admin}` };
    const junk = await raw('{"jsonrpc": "2.0", "id": 1, "method": ', auth);
    assert.equal(junk.status, 400);
    assert.equal(((await junk.json()) as { error: { code: number } }).error.code, -32700);
    const big = await raw(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: { pad: 'x'.repeat(MAX_BODY) },
      }),
      auth,
    );
    assert.equal(big.status, 413);
    const origin = await raw(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), {
      ...auth,
      origin: 'https://evil.example',
    });
    assert.equal(origin.status, 403);
    const get = await raw('', auth, 'GET');
    assert.equal(get.status, 405);
    assert.equal(await hostStatus('evil.example'), 403);
    assert.equal(await hostStatus('localhost'), 200);
  });

  it('a 2025-era session by raw HTTP: initialize, list, DELETE, reuse refused', async () => {
    const auth = { authorization: `Bearer ${keys.readonly}` };
    const init = await raw(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
      auth,
    );
    assert.equal(init.status, 200);
    const session = init.headers.get('mcp-session-id') ?? '';
    assert.match(session, /^s1\./);
    assert.match(await init.text(), /"protocolVersion":"2025-06-18"/);
    const headers = { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    const list = await raw(
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      headers,
    );
    assert.equal(list.status, 200);
    assert.match(await list.text(), /list_nodes/);
    const del = await fetch(server.mcpUrl, { method: 'DELETE', headers });
    assert.equal(del.status, 204);
    const reuse = await raw(
      JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
      headers,
    );
    assert.equal(reuse.status, 404);
  });

  it('a secret planted in Teleport output never reaches a response, the log or the database', async () => {
    const client = await connect(keys.admin, 'legacy');
    // The simulator appends the plant to the description of the first resource `tctl get`
    // prints, writes it to stderr of every command, and into the message of every error.
    const seeded = JSON.parse(readFileSync(sim.statePath, 'utf8')) as Record<
      'roles' | 'apps',
      { metadata: { name: string; description?: string } }[]
    >;
    const seen: string[] = [];
    const call = async (name: string, args: Record<string, unknown>) => {
      const result = await client.callTool({ name, arguments: args });
      seen.push(JSON.stringify(result));
      return result;
    };
    const described = async (
      tool: string,
      first: { metadata: { name: string; description?: string } },
    ) => {
      const result = await call(tool, {});
      assert.notEqual(result.isError, true, tool);
      const items = (
        result.structuredContent as { items: { name: string; description?: string }[] }
      ).items;
      const planted = items.find((i) => i.name === first.metadata.name);
      // The plant's own spot holds the redaction marker: the plant reached the tool.
      assert.equal(planted?.description, `${first.metadata.description ?? ''} ***`.trim(), tool);
      for (const other of items.filter((i) => i !== planted)) {
        assert.ok(!(other.description ?? '').includes('***'), `${tool}: ${other.name}`);
      }
    };
    await described('list_roles', seeded.roles[0]!);
    await described('list_apps', seeded.apps[0]!);
    await call('list_nodes', {});
    await call('list_tokens', {});
    await call('list_mcp_servers', {});
    const failed = await call('list_nodes', { cluster: 'stale' });
    assert.equal(failed.isError, true);

    for (const text of seen) assert.ok(!text.includes(PLANT_SIGNATURE), 'in a response');
    assert.ok(!server.log().includes(PLANT_SIGNATURE), 'in the server log');
    const rows = await db.query<{ hit: number }>(
      `SELECT count(*)::int AS hit FROM operations WHERE concat(stdout, stderr, error::text, inputs::text, decision::text) LIKE $1`,
      [`%${PLANT_SIGNATURE}%`],
    );
    assert.equal(rows[0]?.hit, 0, 'in the operations table');
    // The rows did receive the planted stderr lines, redacted in place.
    const stderr = await db.query<{ stderr: string | null }>(
      `SELECT stderr FROM operations WHERE actor = 'e2e-admin' AND tool = 'list_roles'`,
    );
    assert.ok(stderr.length > 0);
    for (const row of stderr) assert.match(row.stderr ?? '', /Using bearer token \*\*\* /);
  });

  /** node:http, since fetch cannot set Host. */
  function hostStatus(host: string): Promise<number> {
    const url = new URL(server.mcpUrl);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            host,
            authorization: `Bearer ${keys.admin}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
});
