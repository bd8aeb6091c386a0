// Integration (real PostgreSQL, Redis, the Teleport simulator): the /mcp endpoint over HTTP —
// gates, sessions, policy, operations rows.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import type { McpTestApp } from './mcp-test-app.js';
import { startMcpSpecWorld, type McpSpecWorld } from './testing/mcp-spec-world.js';

interface RpcReply {
  status: number;
  headers: Headers;
  body:
    | {
        result?: Record<string, unknown>;
        error?: { code: number; message: string; data?: { code?: string } };
      }
    | undefined;
}

describe('MCP gateway over HTTP', () => {
  let dataSource: DataSource;
  let app: McpTestApp;
  const keys: Record<string, string> = {};

  let world: McpSpecWorld | undefined;

  before(async () => {
    world = await startMcpSpecWorld({
      config: { service: { max_body_bytes: 64 * 1024 }, rate_limit: { enabled: true } },
      principals: { admin: 'admin', operator: 'operator', user: 'user', readonly: 'readonly' },
    });
    ({ dataSource, app } = world);
    Object.assign(keys, world.keys);
  });

  after(async () => {
    await world?.close();
  });

  async function rpc(
    method: string,
    params: Record<string, unknown> | undefined,
    opts: {
      key?: string | undefined;
      session?: string;
      headers?: Record<string, string>;
      raw?: string;
    } = {},
  ): Promise<RpcReply> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(opts.key === undefined ? {} : { authorization: `Bearer ${opts.key}` }),
      ...(opts.session === undefined ? {} : { 'mcp-session-id': opts.session }),
      ...opts.headers,
    };
    const res = await fetch(app.mcpUrl, {
      method: 'POST',
      headers,
      body:
        opts.raw ??
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method,
          ...(params === undefined ? {} : { params }),
        }),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('text/event-stream')
      ? text
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5))
          .at(-1)
      : text;
    return {
      status: res.status,
      headers: res.headers,
      body: json === undefined || json === '' ? undefined : (JSON.parse(json) as RpcReply['body']),
    };
  }

  const init = {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  };

  it('refuses anonymous requests with 401 and a resource_metadata pointer', async () => {
    const r = await rpc('tools/list', {});
    assert.equal(r.status, 401);
    assert.match(
      r.headers.get('www-authenticate') ?? '',
      /^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource"$/,
    );
    const bad = await rpc('tools/list', {}, { key: 'tmcp_notakey' });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('serves RFC 9728 metadata anonymously', async () => {
    const res = await fetch(`${app.baseUrl}/.well-known/oauth-protected-resource`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { resource: string; bearer_methods_supported: string[] };
    assert.equal(doc.resource, app.mcpUrl);
    assert.deepEqual(doc.bearer_methods_supported, ['header']);
  });

  it('runs a 2025 session: initialize, list, call, DELETE, then the id is dead', async () => {
    const initialized = await rpc('initialize', init, { key: keys.readonly });
    assert.equal(initialized.status, 200);
    const session = initialized.headers.get('mcp-session-id') ?? '';
    assert.ok(session.startsWith('s1.'));
    const list = await rpc('tools/list', {}, { key: keys.readonly, session });
    const names = (list.body?.result?.tools as { name: string }[]).map((t) => t.name);
    assert.ok(names.includes('list_nodes') && names.includes('list_tokens'));
    const call = await rpc(
      'tools/call',
      { name: 'list_nodes', arguments: {} },
      { key: keys.readonly, session },
    );
    const structured = call.body?.result?.structuredContent as { cluster: string; count: number };
    assert.equal(structured.cluster, 'main');
    assert.ok(structured.count > 0);
    // Another principal cannot use this session.
    const stolen = await rpc('tools/list', {}, { key: keys.admin, session });
    assert.equal(stolen.status, 404);
    const del = await fetch(app.mcpUrl, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${keys.readonly}`, 'mcp-session-id': session },
    });
    assert.equal(del.status, 204);
    const reuse = await rpc('tools/list', {}, { key: keys.readonly, session });
    assert.equal(reuse.status, 404);
    assert.equal(reuse.body?.error?.code, -32001);
  });

  it('hides and refuses tools outside the role, recording a denied operation', async () => {
    const list = await rpc('tools/list', {}, { key: keys.user });
    const names = (list.body?.result?.tools as { name: string }[]).map((t) => t.name);
    assert.ok(names.includes('list_nodes'));
    assert.ok(!names.includes('list_roles'));
    const denied = await rpc(
      'tools/call',
      { name: 'list_roles', arguments: {} },
      { key: keys.user },
    );
    assert.equal(denied.body?.error?.code, -32003);
    const rows = await dataSource.query<{ status: string; decision: { rule: string } }[]>(
      `SELECT status, decision FROM operations WHERE actor = 'p-user' AND tool = 'list_roles'`,
    );
    assert.equal(rows[0]?.status, 'denied');
    assert.equal(rows[0]?.decision.rule, 'default deny');
  });

  // The SDK reads `params.name` and `params.arguments` whatever else is there, so the proof that
  // non-canonical duplicates are dropped before any decision is what the decision recorded:
  // denied and invalid calls store the arguments as the client sent them.
  it('drops a non-canonical duplicate argument before the policy decision sees it', async () => {
    const raw = JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'list_roles', arguments: { cluster: 'main', Cluster: 'evil' } },
    });
    const r = await rpc('', undefined, { key: keys.user, raw });
    assert.equal(r.body?.error?.code, -32003);
    const rows = await dataSource.query<{ status: string; inputs: Record<string, unknown> }[]>(
      `SELECT status, inputs FROM operations WHERE actor = 'p-user' AND tool = 'list_roles' AND inputs ? 'cluster'`,
    );
    assert.deepEqual(rows, [{ status: 'denied', inputs: { cluster: 'main' } }]);
  });

  it('drops a non-canonical duplicate argument before validation sees it', async () => {
    const raw = JSON.stringify({
      jsonrpc: '2.0',
      id: 8,
      method: 'tools/call',
      params: { name: 'list_proxies', arguments: { CLUSTER: 'main', cluster: '-x' } },
    });
    const r = await rpc('', undefined, { key: keys.readonly, raw });
    assert.equal(r.body?.error?.code, -32602);
    const rows = await dataSource.query<{ status: string; inputs: Record<string, unknown> }[]>(
      `SELECT status, inputs FROM operations WHERE actor = 'p-readonly' AND tool = 'list_proxies'`,
    );
    assert.deepEqual(rows, [{ status: 'failed', inputs: { cluster: '-x' } }]);
  });

  it('leaves a lone non-canonical key alone: `Name` without `name` names no tool', async () => {
    const raw = JSON.stringify({
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { Name: 'list_apps', arguments: {} },
    });
    const r = await rpc('', undefined, { key: keys.readonly, raw });
    assert.equal(r.body?.error?.code, -32602);
    const rows = await dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM operations WHERE actor = 'p-readonly' AND tool = 'list_apps'`,
    );
    assert.equal(rows[0]?.n, 0);
  });

  it('rejects invalid arguments as bad_parameter and records a failed operation', async () => {
    const r = await rpc(
      'tools/call',
      { name: 'list_nodes', arguments: { cluster: '--proxy=evil' } },
      { key: keys.operator },
    );
    assert.equal(r.body?.error?.code, -32602);
    assert.equal(r.body?.error?.data?.code, 'bad_parameter');
    const rows = await dataSource.query<{ status: string }[]>(
      `SELECT status FROM operations WHERE actor = 'p-operator' AND tool = 'list_nodes'`,
    );
    assert.deepEqual(
      rows.map((x) => x.status),
      ['failed'],
    );
  });

  it('turns an expired Teleport identity into a credentials_expired tool error', async () => {
    const r = await rpc(
      'tools/call',
      { name: 'list_nodes', arguments: { cluster: 'stale' } },
      { key: keys.admin },
    );
    assert.equal(r.body?.result?.isError, true);
    assert.equal(
      (r.body?.result?.structuredContent as { error: { code: string } }).error.code,
      'credentials_expired',
    );
    const rows = await dataSource.query<{ status: string; error: { code: string } }[]>(
      `SELECT status, error FROM operations WHERE actor = 'p-admin' AND tool = 'list_nodes'`,
    );
    assert.equal(rows[0]?.status, 'failed');
    assert.equal(rows[0]?.error.code, 'credentials_expired');
  });

  it('refuses a NUL in any argument as bad_parameter naming it, before any row', async () => {
    const r = await rpc(
      'tools/call',
      { name: 'list_users', arguments: { cluster: 'main', reason: 'x\u0000y' } },
      { key: keys.admin },
    );
    assert.equal(r.status, 200);
    assert.equal(r.body?.error?.code, -32602);
    assert.equal(r.body?.error?.message, 'reason: must not contain NUL characters');
    assert.equal(r.body?.error?.data?.code, 'bad_parameter');
    const rows = await dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM operations WHERE tool = 'list_users'`,
    );
    assert.equal(rows[0]?.n, 0);
  });

  it('refuses a JSON-RPC batch with -32600 and runs none of its calls', async () => {
    const call = (id: number) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'list_databases', arguments: {} },
    });
    const r = await rpc('', undefined, {
      key: keys.admin,
      raw: JSON.stringify([call(1), call(2)]),
    });
    assert.equal(r.status, 400);
    assert.equal(r.body?.error?.code, -32600);
    assert.match(r.body?.error?.message ?? '', /batches are not supported/);
    const rows = await dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM operations WHERE tool = 'list_databases'`,
    );
    assert.equal(rows[0]?.n, 0);
  });

  it('refuses a body that is not a JSON-RPC 2.0 message with -32600', async () => {
    for (const raw of [
      '"tools/list"',
      'null',
      '42',
      '{}',
      '{"jsonrpc":"1.0","id":1,"method":"tools/list"}',
      '{"id":1,"method":"tools/list"}',
      '{"jsonrpc":"2.0","id":{"x":1},"method":"tools/list"}',
      '{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}',
      '{"jsonrpc":"2.0","id":1,"method":""}',
      '{"jsonrpc":"2.0","id":1,"method":7}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":[1]}',
      '{"jsonrpc":"2.0","id":1}',
      '{"jsonrpc":"2.0","method":"notifications/initialized","extra":1}',
    ]) {
      const r = await rpc('', undefined, { key: keys.admin, raw });
      assert.equal(r.status, 400, raw);
      assert.equal(r.body?.error?.code, -32600, raw);
      assert.match(r.body?.error?.message ?? '', /^Invalid Request/, raw);
    }
  });

  it('refuses a body that is not application/json with 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'text/json']) {
      const r = await rpc('tools/list', {}, { key: keys.admin, headers: { 'content-type': type } });
      assert.equal(r.status, 415, type);
      assert.equal(r.body?.error?.code, -32600, type);
      assert.match(r.body?.error?.message ?? '', /Content-Type: application\/json/, type);
    }
    const fine = await rpc(
      'tools/list',
      {},
      { key: keys.admin, headers: { 'content-type': 'application/json; charset=utf-8' } },
    );
    assert.equal(fine.status, 200);
  });

  it('answers GET with 405, a foreign Origin with 403, an oversized body with 413, junk with -32700', async () => {
    const get = await fetch(app.mcpUrl, { headers: { authorization: `Bearer ${keys.admin}` } });
    assert.equal(get.status, 405);
    const origin = await rpc(
      'tools/list',
      {},
      { key: keys.admin, headers: { origin: 'https://evil.example' } },
    );
    assert.equal(origin.status, 403);
    const big = await rpc('tools/list', { pad: 'x'.repeat(70 * 1024) }, { key: keys.admin });
    assert.equal(big.status, 413);
    const junk = await rpc('', undefined, { key: keys.admin, raw: '{"jsonrpc":' });
    assert.equal(junk.body?.error?.code, -32700);
    const pv = await rpc(
      'tools/list',
      {},
      { key: keys.admin, headers: { 'mcp-protocol-version': '1999-01-01' } },
    );
    assert.equal(pv.status, 400);
  });
});
