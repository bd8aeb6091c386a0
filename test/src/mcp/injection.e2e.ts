// End to end, injection attempts in every string argument that reaches tsh/tctl (or a query):
// one server for the whole table, tsh and tctl behind wrappers that log every invocation. Each
// hostile value must be refused before anything runs: a JSON-RPC -32602 bad_parameter naming the
// field, a `failed` row without an exit code, and no new tsh/tctl invocation.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
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

const INVALID_PARAMS = -32602;

/** Hostile values; `name` labels them in assertion messages. */
const CORPUS: readonly { name: string; value: string }[] = [
  { name: 'option', value: '--proxy=evil.example:443' },
  { name: 'short option', value: '-h' },
  { name: 'whitespace', value: 'a b' },
  { name: 'newline', value: 'x\ny' },
  { name: 'NUL', value: 'x\u0000y' },
  { name: 'bidi override', value: 'x\u202ey' },
  { name: '10,000 characters', value: 'a'.repeat(10_000) },
  { name: 'path traversal', value: '../' },
];

/** Values free text may legitimately hold: refused there only when they are control characters or too long. */
const TEXT_ONLY_REFUSES = new Set(['newline', 'NUL', 'bidi override', '10,000 characters']);

interface Field {
  tool: string;
  /** Dotted path in the arguments; a number is an array index. */
  path: string;
  /** Free text (a reason, a description): option-like words are data there. */
  text?: boolean;
  /** Extra arguments that make the call reach this field (e.g. the lease kind). */
  with?: Record<string, unknown>;
  /** Corpus entries this field legitimately holds as data (never a separate argv word). */
  data?: readonly string[];
  /** A known product gap (reported): the row is skipped with this description until fixed. */
  todo?: string;
}

const FIELDS: readonly Field[] = [
  { tool: 'diagnose_mcp_access', path: 'user' },
  { tool: 'diagnose_mcp_access', path: 'server' },
  { tool: 'register_mcp_server', path: 'name' },
  {
    tool: 'register_mcp_server',
    path: 'command',
    // A program path on the app service host, stored in the app spec (not an argv word here).
    data: ['whitespace', 'path traversal'],
  },
  { tool: 'register_mcp_server', path: 'uri' },
  {
    tool: 'register_mcp_server',
    path: 'args.0',
    // The MCP server's own arguments: options are what they are for.
    data: ['option', 'short option', 'whitespace', 'path traversal'],
  },
  { tool: 'register_mcp_server', path: 'run_as_host_user' },
  { tool: 'register_mcp_server', path: 'labels.env', data: ['short option'] },
  { tool: 'register_mcp_server', path: 'description', text: true },
  { tool: 'update_mcp_server', path: 'name' },
  { tool: 'unregister_mcp_server', path: 'name' },
  { tool: 'set_user_mcp_tools', path: 'user' },
  { tool: 'show_access_request', path: 'id' },
  { tool: 'review_access_request', path: 'id' },
  { tool: 'drop_access_request', path: 'id' },
  { tool: 'create_access_request', path: 'roles.0' },
  {
    tool: 'create_access_request',
    path: 'suggested_reviewers.0',
    with: { suggested_reviewers: ['bob'] },
  },
  { tool: 'create_access_request', path: 'reason', text: true },
  { tool: 'create_access_request', path: 'ticket', text: true },
  { tool: 'review_access_request', path: 'reason', text: true },
  { tool: 'run_tsh_command', path: 'args.1', with: { args: ['ls', 'env=dev'] } },
  { tool: 'run_tctl_command', path: 'args.1', with: { args: ['get', 'roles'] } },
  // search_audit reads PostgreSQL only (bound parameters); the values are data to match.
  {
    tool: 'search_audit',
    path: 'event_types.0',
    data: ['option', 'short option', 'whitespace', 'path traversal'],
  },
  {
    tool: 'search_audit',
    path: 'user',
    data: ['option', 'short option', 'whitespace', 'path traversal'],
  },
  { tool: 'get_mcp_db_config', path: 'db' },
  { tool: 'get_mcp_db_config', path: 'db_user' },
  { tool: 'get_mcp_db_config', path: 'db_name' },
  { tool: 'start_proxy', path: 'target.db' },
  { tool: 'start_proxy', path: 'target.db_user' },
  {
    tool: 'start_proxy',
    path: 'listen_addr',
  },
  {
    tool: 'start_proxy',
    path: 'target.app',
    with: { kind: 'proxy_app', target: { app: 'grafana' } },
  },
  {
    tool: 'start_proxy',
    path: 'target.node',
    with: { kind: 'proxy_ssh', target: { node: 'ip-10-0-0-5', login: 'root' } },
  },
  {
    tool: 'start_proxy',
    path: 'target.login',
    with: { kind: 'proxy_ssh', target: { node: 'ip-10-0-0-5', login: 'root' } },
  },
  {
    tool: 'start_proxy',
    path: 'target.kube_cluster',
    with: { kind: 'proxy_kube', target: { kube_cluster: 'dev-cluster' } },
  },
];

/** A deep copy of `args` with `value` at the dotted `at`. */
function withValue(
  args: Record<string, unknown>,
  at: string,
  value: string,
): Record<string, unknown> {
  const copy = structuredClone(args);
  const keys = at.split('.');
  let node: Record<string, unknown> | unknown[] = copy;
  for (const key of keys.slice(0, -1)) {
    node = (node as Record<string, unknown>)[key] as Record<string, unknown> | unknown[];
  }
  const last = keys.at(-1)!;
  if (Array.isArray(node)) node[Number(last)] = value;
  else node[last] = value;
  return copy;
}

describe('injection attempts in every string argument (end to end)', () => {
  let db: E2eDatabase;
  let sim: SimCluster;
  let server: ControlPlaneProcess;
  let client: Client;
  let invocationLog: string;
  const redisPrefix = `tmcp-e2e-inj-${randomBytes(4).toString('hex')}`;

  before(async () => {
    db = await createE2eDatabase();
    sim = createSimCluster();
    invocationLog = path.join(sim.dir, 'invocations.log');
    const entry = sim.clusterEntry('main', sim.identity('admin', '1h'));
    // Wrap the launchers: every tsh/tctl run leaves a line, whatever it is asked.
    for (const tool of ['tsh', 'tctl'] as const) {
      const inner = entry[`${tool}_path`] as string;
      const wrapper = path.join(sim.dir, `${tool}-logged`);
      writeFileSync(
        wrapper,
        `#!/bin/sh\necho "${tool} $*" >> '${invocationLog}'\nexec '${inner}' "$@"\n`,
      );
      chmodSync(wrapper, 0o755);
      entry[`${tool}_path`] = wrapper;
    }
    server = await startControlPlane({
      databaseUrl: db.url,
      redisUrl: E2E_REDIS_URL,
      redisKeyPrefix: redisPrefix,
      config: {
        policy: { allow_tsh_passthrough: true, allow_tctl_passthrough: true },
        rate_limit: { enabled: false },
        teleport: { clusters: [entry] },
      },
    });
    const key = await server.createPrincipal('inj-admin', 'admin');
    client = new Client({ name: 'tmcp-e2e-injection', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${key}` } },
      }),
    );
  });

  after(async () => {
    await client?.close();
    await server?.stop();
    await deleteRedisKeys(redisPrefix).catch(() => undefined);
    await db?.drop();
    sim?.cleanup();
  });

  const invocationLines = (): string[] =>
    existsSync(invocationLog) ? readFileSync(invocationLog, 'utf8').split('\n').slice(0, -1) : [];
  const invocations = (): number => invocationLines().length;

  async function rowCount(tool: string): Promise<number> {
    const rows = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM operations WHERE tool = $1`,
      [tool],
    );
    return rows[0]?.n ?? 0;
  }

  async function lastRow(
    tool: string,
  ): Promise<{ status?: string; exit_code?: number | null; n?: number }> {
    const rows = await db.query<{ status: string; exit_code: number | null; n: number }>(
      `SELECT status, exit_code, count(*) OVER ()::int AS n FROM operations WHERE tool = $1 ORDER BY started_at DESC LIMIT 1`,
      [tool],
    );
    return rows[0] ?? {};
  }

  it('the wrappers see the commands a valid call runs', async () => {
    const before = invocations();
    const result = await client.callTool({ name: 'list_nodes', arguments: {} });
    assert.notEqual(result.isError, true);
    assert.ok(invocations() > before, 'a valid call ran tctl through the wrapper');
  });

  for (const field of FIELDS) {
    const title = `${field.tool}.${field.path}: every hostile value is refused naming the field, nothing runs`;
    // A known gap is skipped with its description (scripts/test.mjs counts a failing `todo` as
    // a failure); drop `todo` from the row once the product is fixed.
    it(title, field.todo === undefined ? {} : { skip: `known gap: ${field.todo}` }, async () => {
      const valid = { ...VALID_ARGUMENTS[field.tool], ...field.with };
      // The field as messages name it: `args.1` is `args[1]` there, `labels.env` stays.
      const fieldName = field.path.replace(/\.\d+$/, '');
      const problems: string[] = [];
      for (const entry of CORPUS) {
        if (field.text === true && !TEXT_ONLY_REFUSES.has(entry.name)) continue;
        if (field.data?.includes(entry.name) === true) continue;
        const label = entry.name;
        const ranBefore = invocations();
        const rowsBefore = await rowCount(field.tool);
        const outcome = await client
          .callTool({ name: field.tool, arguments: withValue(valid, field.path, entry.value) })
          .then(
            (result) => ({ result }),
            (error: unknown) => ({ error }),
          );
        if ('error' in outcome) {
          // Refused before the tool: -32602 from the schema or the gateway.
          const e = outcome.error;
          const data =
            e instanceof ProtocolError
              ? (e.data as { code?: string; details?: { field?: string } } | undefined)
              : undefined;
          if (
            !(e instanceof ProtocolError) ||
            e.code !== INVALID_PARAMS ||
            data?.code !== 'bad_parameter'
          ) {
            problems.push(`${label}: ${String(e)}`);
          } else if (
            data.details?.field?.startsWith(fieldName) !== true ||
            !e.message.includes(fieldName)
          ) {
            problems.push(`${label}: names ${String(data.details?.field)}: ${e.message}`);
          }
        } else {
          // Refused by the tool's own validation, before it builds a command: a tool error.
          const error = (
            outcome.result.structuredContent as
              { error?: { code: string; message: string } } | undefined
          )?.error;
          const codes = field.tool.startsWith('run_')
            ? ['bad_parameter', 'access_denied']
            : ['bad_parameter'];
          if (
            outcome.result.isError !== true ||
            error === undefined ||
            !codes.includes(error.code)
          ) {
            problems.push(
              `${label}: not refused: ${JSON.stringify(outcome.result.content).slice(0, 200)}`,
            );
          } else if (
            !error.message.startsWith(fieldName) &&
            !error.message.includes(`${fieldName}[`)
          ) {
            problems.push(`${label}: does not name ${fieldName}: ${error.message}`);
          }
        }
        const ran = invocationLines().slice(ranBefore);
        if (ran.length > 0) problems.push(`${label}: ran ${ran.join(' | ').slice(0, 300)}`);
        const last = await lastRow(field.tool);
        if (
          last.n !== rowsBefore &&
          (last.n !== rowsBefore + 1 || last.status !== 'failed' || last.exit_code !== null)
        ) {
          problems.push(`${label}: row ${JSON.stringify(last)}`);
        }
      }
      assert.deepEqual(problems, [], `${field.tool}.${field.path}`);
    });
  }
});
