// End to end, every tool for every built-in role: tools/list shows exactly what the policy engine
// allows the role, every other tool is refused by the policy (JSON-RPC access denied, a `denied`
// row), and every allowed tool, called with valid arguments and a reason, gets past validation and
// the policy and runs (a `succeeded` or `failed` row; read-only tools without required arguments
// answer outright).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { builtinRoleResolver, visibleTools } from '@tmcp/policy';
import {
  createE2eDatabase,
  createSimCluster,
  deleteRedisKeys,
  E2E_REDIS_URL,
  startControlPlane,
  type ControlPlaneProcess,
  type E2eDatabase,
  type SimCluster,
} from '../support/index.js';
import { VALID_ARGUMENTS } from './tool-call-arguments.js';

const ROLES = ['admin', 'operator', 'user', 'readonly'] as const;
type Role = (typeof ROLES)[number];
const ACCESS_DENIED = -32003;

interface ListedTool {
  name: string;
  inputSchema: { required?: string[] };
  annotations?: { readOnlyHint?: boolean };
}

describe('every tool for every built-in role (end to end)', () => {
  let db: E2eDatabase;
  let sim: SimCluster;
  let server: ControlPlaneProcess;
  const redisPrefix = `tmcp-e2e-matrix-${randomBytes(4).toString('hex')}`;
  const clients = {} as Record<Role, Client>;
  let all: ListedTool[] = [];

  before(async () => {
    db = await createE2eDatabase();
    sim = createSimCluster();
    server = await startControlPlane({
      databaseUrl: db.url,
      redisUrl: E2E_REDIS_URL,
      redisKeyPrefix: redisPrefix,
      config: {
        // Passthrough on, so that its tools are part of the matrix too.
        policy: { allow_tsh_passthrough: true, allow_tctl_passthrough: true },
        rate_limit: { enabled: false },
        teleport: { clusters: [sim.clusterEntry('main', sim.identity('admin', '1h'))] },
      },
    });
    for (const role of ROLES) {
      const key = await server.createPrincipal(`matrix-${role}`, role);
      const client = new Client({ name: 'tmcp-e2e-matrix', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
          requestInit: { headers: { Authorization: `Bearer ${key}` } },
        }),
      );
      clients[role] = client;
    }
    const listed: ListedTool[] = (await clients.admin.listTools()).tools;
    all = listed;
  });

  after(async () => {
    await Promise.allSettled(Object.values(clients).map((c) => c.close()));
    await server?.stop();
    await deleteRedisKeys(redisPrefix).catch(() => undefined);
    await db?.drop();
    sim?.cleanup();
  });

  it('the gateway serves every tool of the catalogue (admin sees them all)', () => {
    const expected = visibleTools(
      { id: 'x', roles: ['admin'], kind: 'user' },
      builtinRoleResolver(),
    );
    assert.deepEqual(all.map((t) => t.name).sort(), [...expected].sort());
    assert.ok(all.length >= 30, `only ${all.length} tools`);
  });

  for (const role of ROLES) {
    it(`${role}: sees exactly its tools, is refused the others, and passes the policy on its own`, async () => {
      const client = clients[role];
      const allowed = new Set<string>(
        visibleTools({ id: 'x', roles: [role], kind: 'user' }, builtinRoleResolver()),
      );
      const listed = (await client.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(listed, [...allowed].sort(), 'tools/list');

      const refused: string[] = [];
      const ran: string[] = [];
      for (const tool of all) {
        const args = VALID_ARGUMENTS[tool.name];
        assert.ok(args !== undefined, `no valid arguments for ${tool.name} in the table`);
        const call = client.callTool({ name: tool.name, arguments: args });
        if (!allowed.has(tool.name)) {
          await assert.rejects(
            call,
            (e: unknown) => e instanceof ProtocolError && e.code === ACCESS_DENIED,
            `${role} must be refused ${tool.name}`,
          );
          refused.push(tool.name);
          continue;
        }
        // Valid arguments: an allowed tool passes validation and the policy and runs. What it
        // answers may be a tool error (an unknown lease, no edge agent), never a refusal.
        const result = await call.catch((error: unknown) =>
          assert.fail(`${role} ${tool.name} was refused: ${String(error)}`),
        );
        ran.push(tool.name);
        if (tool.annotations?.readOnlyHint === true && !tool.inputSchema.required?.length) {
          assert.notEqual(
            result.isError,
            true,
            `${role} ${tool.name}: ${JSON.stringify(result.content).slice(0, 300)}`,
          );
        }
      }
      assert.deepEqual(ran.slice().sort(), [...allowed].sort(), 'every allowed tool ran');

      const rows = await db.query<{ tool: string; status: string }>(
        `SELECT tool, status FROM operations WHERE actor = $1`,
        [`matrix-${role}`],
      );
      assert.deepEqual(
        rows
          .filter((r) => r.status === 'denied')
          .map((r) => r.tool)
          .sort(),
        refused.sort(),
        'every refusal is a denied operation',
      );
      // Every allowed call is one row that got past the policy and ran (succeeded or failed).
      assert.deepEqual(
        rows
          .filter((r) => r.status !== 'denied')
          .map((r) => `${r.tool}:${r.status === 'running' ? 'running' : 'ran'}`)
          .sort(),
        ran.sort().map((t) => `${t}:ran`),
        'every allowed tool ran, recorded',
      );
    });
  }
});
