// `tsh mcp connect` in front of the real server-everything, and `tsh mcp db start` against
// the real Postgres, both driven over stdio as an MCP client would.
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { exitOf, SimHarness } from '../testing/sim-harness.js';

/** A minimal newline-delimited JSON-RPC client over a child's stdio. */
class StdioClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (m: Record<string, unknown>) => void>();

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      if (typeof message.id === 'number' && message.method === undefined)
        this.waiting.get(message.id)?.(message);
    });
  }

  request(method: string, params: unknown = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  notify(method: string): void {
    this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method }) + '\n');
  }

  async initialize(): Promise<Record<string, unknown>> {
    const init = await this.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'test', version: '1' },
    });
    this.notify('notifications/initialized');
    return init;
  }
}

describe('MCP over stdio', () => {
  let h: SimHarness;
  before(() => {
    h = new SimHarness();
  });
  after(async () => {
    await h.cleanup();
  });

  it('tsh mcp connect filters tools/list and refuses a denied tools/call', async () => {
    const child = h.spawn('tsh', [...h.tshAs('alice'), 'mcp', 'connect', 'everything']);
    const client = new StdioClient(child);
    await client.initialize();
    const list = await client.request('tools/list');
    const names = ((list.result as { tools: { name: string }[] }).tools ?? [])
      .map((t) => t.name)
      .sort();
    assert.ok(names.includes('echo') && names.includes('get-sum'), names.join(','));
    assert.ok(!names.includes('get-env'), 'deny wins over get-*');
    assert.ok(!names.includes('gzip-file-as-resource'), 'not allowed at all');
    const denied = await client.request('tools/call', { name: 'get-env', arguments: {} });
    assert.deepEqual(denied.error, {
      code: -32602,
      message:
        'RBAC is enforced by your Teleport roles. Contact your Teleport Admin for more details.',
      data: 'access denied',
    });
    const echoed = await client.request('tools/call', {
      name: 'echo',
      arguments: { message: 'hi' },
    });
    assert.match(JSON.stringify(echoed.result), /hi/);
    child.stdin.end();
    assert.equal(await exitOf(child), 0);
    const { events } = JSON.parse(readFileSync(h.statePath, 'utf8')) as {
      events: { code: string; error?: string }[];
    };
    const codes = events.map((e) => e.code);
    assert.ok(codes.includes('TMCP001I') && codes.includes('TMCP002I'), codes.join(','));
    assert.ok(events.some((e) => e.code === 'TMCP003E' && e.error === 'access denied'));
  });

  it('tsh mcp connect answers every request with the relogin message when the identity expired', async () => {
    const child = h.spawn('tsh', [...h.tshAs('alice', -5), 'mcp', 'connect', 'everything']);
    const client = new StdioClient(child);
    const init = await client.request('initialize', {});
    assert.match(
      String((init.error as { message: string }).message),
      /^It looks like your Teleport session expired,/,
    );
    child.kill('SIGTERM');
    assert.equal(await exitOf(child), 0);
  });

  it('tsh mcp db start lists the database and runs a real query', async () => {
    const uri =
      'teleport://clusters/teleport.example.com/databases/pg?dbName=postgres&dbUser=postgres';
    const child = h.spawn('tsh', [...h.tshAs('alice'), 'mcp', 'db', 'start', uri]);
    const client = new StdioClient(child);
    const init = await client.initialize();
    assert.equal(
      (init.result as { serverInfo: { name: string } }).serverInfo.name,
      'teleport_databases',
    );
    const list = await client.request('tools/call', {
      name: 'teleport_list_databases',
      arguments: {},
    });
    const content = (list.result as { content: { resource: { uri: string; text: string } }[] })
      .content;
    assert.equal(content[0]?.resource.uri, uri);
    assert.match(content[0]?.resource.text ?? '', /protocol: postgres/);
    const query = await client.request('tools/call', {
      name: 'teleport_postgres_query',
      arguments: { database: uri, query: "SELECT 1 AS id, 'alice' AS name" },
    });
    const text = (query.result as { content: { text: string }[] }).content[0]?.text;
    assert.equal(text, '{"results":[{"data":[{"id":"1","name":"alice"}],"rows_count":1}]}');
    const failed = await client.request('tools/call', {
      name: 'teleport_postgres_query',
      arguments: { database: uri, query: 'SELECT * FROM no_such_table' },
    });
    assert.equal((failed.result as { isError?: boolean }).isError, true);
    assert.match(
      (failed.result as { content: { text: string }[] }).content[0]?.text ?? '',
      /^\{"results":null,"error":"ERROR: relation/,
    );
    child.stdin.end();
    assert.equal(await exitOf(child), 0);

    // Audited as a database session: start on first use, each query, end on exit.
    const { events } = JSON.parse(readFileSync(h.statePath, 'utf8')) as {
      events: Record<string, unknown>[];
    };
    const db = events.filter((e) => typeof e.event === 'string' && e.event.startsWith('db.'));
    assert.deepEqual(
      db.map((e) => [e.event, e.code, e.success]),
      [
        ['db.session.start', 'TDB00I', true],
        ['db.session.query', 'TDB02I', true],
        ['db.session.query', 'TDB02W', false],
        ['db.session.end', 'TDB01I', undefined],
      ],
    );
    assert.equal(new Set(db.map((e) => e.sid)).size, 1);
    for (const e of db) {
      assert.equal(e.user, 'alice');
      assert.equal(e.db_service, 'pg');
      assert.equal(e.db_user, 'postgres');
      assert.equal(e.db_name, 'postgres');
      assert.equal(e.db_protocol, 'postgres');
    }
    assert.equal(db[1]?.db_query, "SELECT 1 AS id, 'alice' AS name");
    assert.equal(db[2]?.db_query, 'SELECT * FROM no_such_table');
    assert.match(String(db[2]?.error), /relation "no_such_table" does not exist/);
  });
});
