// Integration (real PostgreSQL, Redis, the Teleport simulator): the policy decisions of the
// tools/call pipeline that depend on the call's context — reason and ticket (refused by the
// policy engine as `denied` rows, not by the argument schema), and lease targets admitted by
// label selectors (the labels come from the cluster inventory).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { LeasePolicyTargets } from '../leases/lease-policy-targets.js';
import type { McpTestApp } from './mcp-test-app.js';
import { startMcpSpecWorld, type McpSpecWorld } from './testing/mcp-spec-world.js';

interface RpcBody {
  result?: {
    tools?: { name: string; inputSchema: { properties?: object; required?: string[] } }[];
    isError?: boolean;
    content?: { text: string }[];
  };
  error?: { code: number; message: string; data?: { code?: string } };
}

interface OperationRow {
  status: string;
  reason: string | null;
  ticket: string | null;
  decision: { allow: boolean; rule: string } | null;
}

const ACCESS_DENIED = -32003;

describe('tools/call: reason, ticket and lease targets decided by the policy engine', () => {
  let dataSource: DataSource;
  let app: McpTestApp;
  const keys: Record<string, string> = {};

  let world: McpSpecWorld | undefined;

  before(async () => {
    world = await startMcpSpecWorld({
      // The server default applies to every custom role here (none sets its own limit); the
      // built-in operator keeps its own (300/min).
      config: { rate_limit: { enabled: true, per_actor_per_minute: 1, burst: 6 } },
      roles: [
        {
          name: 'ticketed-reader',
          allow: ['inventory.*', 'audit.*'],
          requireTicket: { pattern: 'CHG-[0-9]+', capabilities: ['inventory.*', 'audit.*'] },
        },
        {
          name: 'ticketed-changer',
          allow: ['mcp.unregister'],
          requireTicket: { pattern: 'CHG-[0-9]+' },
        },
        {
          name: 'dev-proxies',
          allow: ['proxy.start'],
          constraints: { allowedTargets: ['env=dev'] },
        },
        { name: 'plain-reader', allow: ['inventory.*'] },
      ],
      principals: {
        operator: 'operator',
        'ticketed-reader': 'ticketed-reader',
        'ticketed-changer': 'ticketed-changer',
        'dev-proxies': 'dev-proxies',
        'plain-reader': 'plain-reader',
      },
    });
    ({ dataSource, app } = world);
    Object.assign(keys, world.keys);
  });

  after(async () => {
    await world?.close();
  });

  async function rpc(method: string, params: Record<string, unknown>, key: string) {
    const res = await fetch(app.mcpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${key}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('text/event-stream')
      ? text
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5))
          .at(-1)
      : text;
    return JSON.parse(json ?? '') as RpcBody;
  }

  const call = (role: string, name: string, args: Record<string, unknown>) =>
    rpc('tools/call', { name, arguments: args }, keys[role] ?? assert.fail(`no key ${role}`));

  async function lastRow(role: string, tool: string): Promise<OperationRow> {
    const rows = await dataSource.query<OperationRow[]>(
      `SELECT status, reason, ticket, decision FROM operations
        WHERE actor = $1 AND tool = $2 ORDER BY started_at DESC LIMIT 1`,
      [`p-${role}`, tool],
    );
    return rows[0] ?? assert.fail(`no operations row for ${role} ${tool}`);
  }

  it('publishes reason and ticket on every tool, required by none', async () => {
    const list = await rpc('tools/list', {}, keys.operator ?? '');
    const tools = list.result?.tools ?? [];
    assert.ok(tools.length > 10, `only ${tools.length} tools`);
    for (const tool of tools) {
      const properties = Object.keys(tool.inputSchema.properties ?? {});
      assert.ok(properties.includes('reason'), `${tool.name} lacks reason`);
      assert.ok(properties.includes('ticket'), `${tool.name} lacks ticket`);
      const required = tool.inputSchema.required ?? [];
      assert.ok(!required.includes('reason'), `${tool.name} requires reason in its schema`);
      assert.ok(!required.includes('ticket'), `${tool.name} requires ticket in its schema`);
    }
  });

  it('a change without a reason (or with a blank one) is a denied operation, not a bad argument', async () => {
    for (const args of [{ name: 'some-server' }, { name: 'some-server', reason: '   ' }]) {
      const r = await call('operator', 'unregister_mcp_server', args);
      assert.equal(r.error?.code, ACCESS_DENIED, JSON.stringify(r));
      assert.match(r.error?.message ?? '', /needs a reason/);
      const row = await lastRow('operator', 'unregister_mcp_server');
      assert.equal(row.status, 'denied');
      assert.deepEqual([row.decision?.allow, row.decision?.rule], [false, 'requirement: reason']);
    }
  });

  it('a change without the ticket its role requires is a denied operation with the ticket rule', async () => {
    const r = await call('ticketed-changer', 'unregister_mcp_server', {
      name: 'some-server',
      reason: 'cleanup',
    });
    assert.equal(r.error?.code, ACCESS_DENIED, JSON.stringify(r));
    assert.match(r.error?.message ?? '', /ticket matching CHG-\[0-9\]\+/);
    const row = await lastRow('ticketed-changer', 'unregister_mcp_server');
    assert.deepEqual(
      [row.status, row.reason, row.decision?.rule],
      ['denied', 'cleanup', 'requirement: ticket'],
    );
  });

  it('a role that requires a ticket for reads can use read-only tools, strict schemas included', async () => {
    const nodes = await call('ticketed-reader', 'list_nodes', { ticket: 'CHG-7' });
    assert.equal(nodes.error, undefined, JSON.stringify(nodes.error));
    assert.notEqual(nodes.result?.isError, true, JSON.stringify(nodes.result?.content));
    assert.deepEqual([(await lastRow('ticketed-reader', 'list_nodes')).status], ['succeeded']);
    const row = await lastRow('ticketed-reader', 'list_nodes');
    assert.equal(row.ticket, 'CHG-7');

    for (const tool of ['search_audit', 'detect_audit_anomalies']) {
      const r = await call('ticketed-reader', tool, { hours: 1, ticket: 'CHG-7' });
      assert.equal(r.error, undefined, `${tool}: ${JSON.stringify(r.error)}`);
      assert.notEqual(r.result?.isError, true, `${tool}: ${JSON.stringify(r.result?.content)}`);
    }

    const without = await call('ticketed-reader', 'list_nodes', {});
    assert.equal(without.error?.code, ACCESS_DENIED);
    assert.equal(
      (await lastRow('ticketed-reader', 'list_nodes')).decision?.rule,
      'requirement: ticket',
    );
  });

  it('a role allowing lease targets by label admits the dev database and refuses the prod one', async () => {
    // Simulator seed: pg {env: dev}, orders-db {env: prod}.
    const dev = await call('dev-proxies', 'start_proxy', {
      kind: 'proxy_db',
      target: { db: 'pg' },
      reason: 'debug',
    });
    assert.notEqual(dev.error?.code, ACCESS_DENIED, JSON.stringify(dev.error));
    const devRow = await lastRow('dev-proxies', 'start_proxy');
    assert.equal(devRow.decision?.allow, true);
    // No edge agent runs here: the allowed lease fails after the decision, which is the point.
    assert.notEqual(devRow.status, 'denied');

    const prod = await call('dev-proxies', 'start_proxy', {
      kind: 'proxy_db',
      target: { db: 'orders-db' },
      reason: 'debug',
    });
    assert.equal(prod.error?.code, ACCESS_DENIED);
    assert.match(prod.error?.message ?? '', /orders-db \(labels: engine=postgres,env=prod\)/);
    const prodRow = await lastRow('dev-proxies', 'start_proxy');
    assert.deepEqual([prodRow.status, prodRow.decision?.rule], ['denied', 'constraint: target']);
  });

  it('run_health_check keeps every command it ran on its operations row, not only the last', async () => {
    const r = await call('operator', 'run_health_check', {});
    assert.notEqual(r.result?.isError, true, JSON.stringify(r.result?.content ?? r.error));
    const [row] = await dataSource.query<{ stdout: string; exit_code: number | null }[]>(
      `SELECT stdout, exit_code FROM operations WHERE actor = 'p-operator' AND tool = 'run_health_check'`,
    );
    const sections = (row?.stdout ?? '').match(/^\$ (tctl|tsh) .* → exit \d+$/gm) ?? [];
    assert.ok(sections.length >= 5, `only ${sections.length} command(s): ${sections.join(' | ')}`);
    assert.ok(
      sections.some((s) => s.startsWith('$ tctl get nodes')),
      sections.join(' | '),
    );
    assert.equal(new Set(sections).size, sections.length, 'each command once');
    assert.equal(row?.exit_code, 0);
  });

  it('a role without its own rate limit gets the configured default', async () => {
    const outcomes: (number | undefined)[] = [];
    for (let i = 0; i < 7; i++) {
      outcomes.push((await call('plain-reader', 'list_roles', {})).error?.code);
    }
    assert.deepEqual(outcomes, [
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      -32029,
    ]);
    const refused = await call('plain-reader', 'list_roles', {});
    assert.match(refused.error?.message ?? '', /\(1 calls per minute, burst 6\)/);
  });

  it('derives the policy target (name and labels) the same way for every entry point', async () => {
    const targets = app.app.get(LeasePolicyTargets);
    assert.deepEqual(await targets.resolve('proxy_db', { db: 'pg', db_user: 'alice' }), {
      name: 'pg',
      labels: { env: 'dev', engine: 'postgres' },
    });
    assert.deepEqual(await targets.resolve('proxy_db', { db: 'no-such-db' }), {
      name: 'no-such-db',
    });
    assert.equal(await targets.resolve('vnet', {}), undefined);
    await assert.rejects(targets.resolve('proxy_db', { database: 'pg' }), {
      code: 'bad_parameter',
    });
  });
});
