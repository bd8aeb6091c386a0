// End to end: any replica serves any request (DESIGN §3.1, RFD 0002). Real tmcp-server processes
// on one database: A and B share a Redis prefix (so the session key is the random one they agree
// on through Redis, and the revocation list); C and D are configured with the same
// TMCP_MCP__SESSION_KEY. A 2025-era session opened on one replica is used, ended and refused on
// the other; a session id does not change hands between principals; 2026-07-28 requests are
// stateless. Clients: raw HTTP (2025-06-18) and the SDK v2 client behind a round-robin balancer.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  Client,
  StreamableHTTPClientTransport,
  type FetchLike,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client';
import {
  createE2eDatabase,
  deleteRedisKeys,
  E2E_REDIS_URL,
  startControlPlane,
  type ControlPlaneProcess,
  type E2eDatabase,
} from '../support/index.js';

const OLD_ERA = '2025-06-18';

interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: number | string | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** What the balancer saw for one request. */
interface Routed {
  replica: string;
  method: string;
  status: number;
  /** Mcp-Session-Id the client sent, and the one the response carried. */
  sentSession: string | null;
  receivedSession: string | null;
}

describe('any replica serves any request (end to end)', () => {
  let db: E2eDatabase;
  /** A, B: shared Redis prefix, no configured key. C, D: a configured key (see the last test). */
  let replicas: Record<'A' | 'B' | 'C' | 'D', ControlPlaneProcess>;
  const run = randomBytes(4).toString('hex');
  const prefixes = {
    shared: `tmcp-e2e-replicas-${run}`,
    c: `tmcp-e2e-replicas-${run}-c`,
    d: `tmcp-e2e-replicas-${run}-d`,
  };
  const sessionKey = randomBytes(32).toString('base64url');
  const keys = { x: '', y: '' };
  const clients: Client[] = [];

  before(async () => {
    db = await createE2eDatabase();
    const start = (prefix: string, env: Record<string, string> = {}) =>
      startControlPlane({
        databaseUrl: db.url,
        redisUrl: E2E_REDIS_URL,
        redisKeyPrefix: prefix,
        config: { service: { log_level: 'info' } },
        env,
        startTimeoutMs: 60_000,
      });
    // All four at once: they also race for the migration lock on the one database.
    const started = await Promise.allSettled([
      start(prefixes.shared),
      start(prefixes.shared),
      start(prefixes.c, { TMCP_MCP__SESSION_KEY: sessionKey }),
      start(prefixes.d, { TMCP_MCP__SESSION_KEY: sessionKey }),
    ]);
    const up = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure !== undefined) {
      await Promise.allSettled(up.map((server) => server.stop()));
      throw failure.reason;
    }
    const [a, b, c, d] = up as [
      ControlPlaneProcess,
      ControlPlaneProcess,
      ControlPlaneProcess,
      ControlPlaneProcess,
    ];
    replicas = { A: a, B: b, C: c, D: d };
    await Promise.all(
      (['x', 'y'] as const).map(async (who) => {
        keys[who] = await replicas.A.createPrincipal(`e2e-replica-${who}`, 'readonly');
      }),
    );
  });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(Object.values(replicas ?? {}).map((r) => r.stop()));
    await Promise.all(Object.values(prefixes).map((p) => deleteRedisKeys(p)));
    await db?.drop();
  });

  /** One raw HTTP exchange with a replica; SSE bodies are decoded into their JSON-RPC messages. */
  async function send(
    replica: ControlPlaneProcess,
    key: string,
    options: { body?: unknown; session?: string; method?: 'POST' | 'DELETE' } = {},
  ): Promise<{ status: number; session: string | null; messages: JsonRpcMessage[] }> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${key}`,
      accept: 'application/json, text/event-stream',
    };
    if (options.session !== undefined) {
      headers['mcp-session-id'] = options.session;
      headers['mcp-protocol-version'] = OLD_ERA;
    }
    const method = options.method ?? 'POST';
    if (method === 'POST') headers['content-type'] = 'application/json';
    const res = await fetch(replica.mcpUrl, {
      method,
      headers,
      ...(method === 'POST' ? { body: JSON.stringify(options.body) } : {}),
    });
    return {
      status: res.status,
      session: res.headers.get('mcp-session-id'),
      messages: parseMessages(res.headers.get('content-type'), await res.text()),
    };
  }

  function parseMessages(contentType: string | null, text: string): JsonRpcMessage[] {
    if (text.trim() === '') return [];
    if (contentType?.startsWith('text/event-stream') === true) {
      return text
        .split(/\r?\n\r?\n/)
        .map((event) =>
          event
            .split(/\r?\n/)
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n'),
        )
        .filter((data) => data !== '')
        .map((data) => JSON.parse(data) as JsonRpcMessage);
    }
    return [JSON.parse(text) as JsonRpcMessage];
  }

  /** initialize (2025-06-18) on `replica`; returns the Mcp-Session-Id. */
  async function initialize(replica: ControlPlaneProcess, key: string): Promise<string> {
    const init = await send(replica, key, {
      body: {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: OLD_ERA,
          capabilities: {},
          clientInfo: { name: 'raw-2025', version: '1' },
        },
      },
    });
    assert.equal(init.status, 200);
    assert.equal(init.messages[0]?.result?.protocolVersion, OLD_ERA);
    assert.ok(init.session, 'initialize answers with an Mcp-Session-Id');
    return init.session;
  }

  const listTools = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list' });
  const searchAudit = (id: number, hours: number) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'search_audit', arguments: { hours } },
  });

  /** Asserts a 404 "session not found" (the spec's signal to re-initialize). */
  function assertSessionRefused(
    res: { status: number; messages: JsonRpcMessage[] },
    what: string,
  ): void {
    assert.equal(res.status, 404, what);
    assert.equal(res.messages[0]?.error?.code, -32001, what);
  }

  /** A fetch for the SDK transport that sends request n to replica n mod k and logs each hop. */
  function roundRobin(names: readonly ('A' | 'B' | 'C' | 'D')[]): {
    fetch: FetchLike;
    routed: Routed[];
  } {
    const routed: Routed[] = [];
    let next = 0;
    const fetchFn: FetchLike = async (url, init) => {
      const name = names[next++ % names.length]!;
      const target = new URL(url);
      target.host = new URL(replicas[name].baseUrl).host;
      const res = await fetch(target, init);
      routed.push({
        replica: name,
        method: init?.method ?? 'GET',
        status: res.status,
        sentSession: new Headers(init?.headers).get('mcp-session-id'),
        receivedSession: res.headers.get('mcp-session-id'),
      });
      return res;
    };
    return { fetch: fetchFn, routed };
  }

  async function connectBalanced(
    names: readonly ('A' | 'B' | 'C' | 'D')[],
    key: string,
    mode: VersionNegotiationMode,
  ): Promise<{ client: Client; transport: StreamableHTTPClientTransport; routed: Routed[] }> {
    const balancer = roundRobin(names);
    const transport = new StreamableHTTPClientTransport(new URL(replicas.A.mcpUrl), {
      fetch: balancer.fetch,
      requestInit: { headers: { Authorization: `Bearer ${key}` } },
    });
    const client = new Client(
      { name: 'tmcp-e2e-balanced', version: '1.0.0' },
      {
        versionNegotiation: { mode },
      },
    );
    await client.connect(transport);
    clients.push(client);
    return { client, transport, routed: balancer.routed };
  }

  it(`a ${OLD_ERA} session opened on A serves tools/list and tools/call on B, then A again`, async () => {
    const { A, B } = replicas;
    const session = await initialize(A, keys.x);
    const initialized = await send(B, keys.x, {
      body: { jsonrpc: '2.0', method: 'notifications/initialized' },
      session,
    });
    assert.equal(initialized.status, 202);

    const list = await send(B, keys.x, { body: listTools(1), session });
    assert.equal(list.status, 200);
    const names = (list.messages[0]?.result?.tools as { name: string }[]).map((t) => t.name);
    assert.ok(names.includes('search_audit'), names.join(', '));

    // A window used by no other test marks this test's operations rows.
    for (const [id, replica] of [
      [2, B],
      [3, A],
    ] as const) {
      const call = await send(replica, keys.x, { body: searchAudit(id, 7), session });
      assert.equal(call.status, 200);
      const result = call.messages.find((m) => m.id === id)?.result;
      assert.ok(result, JSON.stringify(call.messages));
      assert.notEqual(result.isError, true, JSON.stringify(result));
    }
    // Both calls are recorded under the one session, whichever replica ran them.
    const rows = await db.query<{ session_id: string | null; status: string }>(
      `SELECT session_id, status FROM operations
        WHERE actor = 'e2e-replica-x' AND tool = 'search_audit' AND inputs->>'hours' = '7'`,
    );
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => r.status === 'succeeded'));
    assert.ok(rows[0]?.session_id, 'the session is recorded');
    assert.equal(rows[1]?.session_id, rows[0]?.session_id);
  });

  it('DELETE on B ends the session on A as well', async () => {
    const { A, B } = replicas;
    const session = await initialize(A, keys.x);
    assert.equal((await send(A, keys.x, { body: listTools(1), session })).status, 200);
    const del = await send(B, keys.x, { method: 'DELETE', session });
    assert.equal(del.status, 204);
    assertSessionRefused(await send(A, keys.x, { body: listTools(2), session }), 'A after DELETE');
    assertSessionRefused(await send(B, keys.x, { body: listTools(3), session }), 'B after DELETE');
    assert.equal((await send(A, keys.x, { method: 'DELETE', session })).status, 404);
  });

  it('another principal cannot use or end a session it did not open; the owner keeps it', async () => {
    const { A, B } = replicas;
    const session = await initialize(A, keys.x);
    for (const [name, replica] of [
      ['A', A],
      ['B', B],
    ] as const) {
      assertSessionRefused(
        await send(replica, keys.y, { body: listTools(1), session }),
        `Y's tools/list on ${name}`,
      );
      assertSessionRefused(
        await send(replica, keys.y, { body: searchAudit(2, 1), session }),
        `Y's tools/call on ${name}`,
      );
      assertSessionRefused(
        await send(replica, keys.y, { method: 'DELETE', session }),
        `Y's DELETE on ${name}`,
      );
    }
    assert.equal((await send(B, keys.x, { body: listTools(3), session })).status, 200);
    const yRows = await db.query(`SELECT 1 FROM operations WHERE actor = 'e2e-replica-y'`);
    assert.equal(yRows.length, 0, 'a refused session runs nothing');
  });

  it('the SDK client (2025 era) behind a round-robin balancer: every hop on alternating replicas', async () => {
    const { client, transport, routed } = await connectBalanced(['A', 'B'], keys.x, 'legacy');
    await client.listTools();
    for (let i = 0; i < 3; i++) {
      const result = await client.callTool({ name: 'search_audit', arguments: { hours: 2 } });
      assert.notEqual(result.isError, true, JSON.stringify(result.content));
    }
    const session = transport.sessionId;
    assert.ok(session, 'the client holds a session');
    const withSession = routed.filter((r) => r.method === 'POST' && r.sentSession !== null);
    assert.ok(
      withSession.some((r) => r.replica === 'A') && withSession.some((r) => r.replica === 'B'),
      JSON.stringify(routed),
    );
    assert.ok(withSession.every((r) => r.sentSession === session && r.status < 300));

    await transport.terminateSession();
    for (const replica of [replicas.A, replicas.B]) {
      assertSessionRefused(
        await send(replica, keys.x, { body: listTools(9), session }),
        'after terminateSession',
      );
    }
  });

  it('2026-07-28 requests alternate between A and B with no session at all', async () => {
    const { client, routed } = await connectBalanced(['A', 'B'], keys.x, { pin: '2026-07-28' });
    for (let i = 0; i < 3; i++) {
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'search_audit'));
      const result = await client.callTool({ name: 'search_audit', arguments: { hours: 3 } });
      assert.notEqual(result.isError, true, JSON.stringify(result.content));
    }
    const posts = routed.filter((r) => r.method === 'POST');
    assert.ok(posts.length >= 6);
    assert.ok(posts.some((r) => r.replica === 'A') && posts.some((r) => r.replica === 'B'));
    assert.ok(
      posts.every((r) => r.status === 200),
      JSON.stringify(posts),
    );
    assert.ok(
      routed.every((r) => r.sentSession === null && r.receivedSession === null),
      JSON.stringify(routed),
    );
  });

  it('with a configured session key, a session from C is accepted by D', async () => {
    // C and D have different Redis prefixes on purpose: the random key kept in Redis then differs
    // between them, so only the configured key can make them agree. (Real replicas also share
    // Redis, for the revocation list.)
    const { A, C, D } = replicas;
    const session = await initialize(C, keys.x);
    assert.equal((await send(D, keys.x, { body: listTools(1), session })).status, 200);
    const call = await send(D, keys.x, { body: searchAudit(2, 4), session });
    assert.equal(call.status, 200);
    assert.notEqual(call.messages.find((m) => m.id === 2)?.result?.isError, true);
    // The replicas without that key refuse it, and C refuses theirs.
    assertSessionRefused(await send(A, keys.x, { body: listTools(3), session }), 'C session on A');
    const fromA = await initialize(A, keys.x);
    assertSessionRefused(await send(C, keys.x, { body: listTools(4), session: fromA }), 'A on C');
  });
});
