import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '@tmcp/errors';
import { FederatedMcpClient } from './federated-mcp-client.js';
import { LeaseFrameTransport } from './lease-frame-transport.js';

type Handler = (request: { id?: number; method: string; params?: unknown }) => unknown;

/**
 * A fake frame pipe: frames the client writes are parsed as lines and answered by `handle`;
 * answers come back cut into awkward chunks (split mid-line, several messages per frame).
 */
class FakePipe {
  readonly seen: { id?: number; method: string; params?: unknown }[] = [];
  readonly frames: string[] = [];
  readonly transport: LeaseFrameTransport;
  /** When false, requests are recorded but not answered. */
  answer = true;

  constructor(private readonly handle: Handler) {
    this.transport = new LeaseFrameTransport((data) => this.onFrame(data));
  }

  private onFrame(data: Uint8Array): void {
    const text = Buffer.from(data).toString('utf8');
    this.frames.push(text);
    const message = JSON.parse(text) as { id?: number; method: string; params?: unknown };
    this.seen.push(message);
    if (message.id === undefined || message.method === undefined || !this.answer) return;
    const result = this.handle(message);
    const reply =
      result instanceof Error
        ? { jsonrpc: '2.0', id: message.id, error: { code: -32602, message: result.message } }
        : { jsonrpc: '2.0', id: message.id, result };
    // A log line, a server notification and the reply, cut at odd places.
    const bytes = Buffer.from(
      `not json\n{"jsonrpc":"2.0","method":"notifications/message","params":{}}\n${JSON.stringify(reply)}\n`,
    );
    queueMicrotask(() => {
      for (let i = 0; i < bytes.length; i += 7) this.transport.receive(bytes.subarray(i, i + 7));
    });
  }
}

/** Resolves once the client has written a `method` request (it sends after a microtask). */
async function sent(pipe: FakePipe, method: string): Promise<void> {
  while (!pipe.seen.some((m) => m.method === method)) await new Promise(setImmediate);
}

const everything: Handler = (request) => {
  switch (request.method) {
    case 'initialize':
      return {
        protocolVersion: '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'x', version: '1' },
      };
    case 'tools/list': {
      const cursor = (request.params as { cursor?: string }).cursor;
      return cursor === undefined
        ? { tools: [{ name: 'echo', inputSchema: { type: 'object' } }], nextCursor: 'p2' }
        : { tools: [{ name: 'get-env', inputSchema: { type: 'object' } }] };
    }
    case 'tools/call': {
      const params = request.params as { name: string; arguments: { message?: string } };
      if (params.name === 'boom') return new Error('Unknown tool: boom');
      if (params.name === 'fails')
        return { content: [{ type: 'text', text: 'nope' }], isError: true };
      return { content: [{ type: 'text', text: `Echo: ${params.arguments.message ?? ''}` }] };
    }
    default:
      return new Error(`no ${request.method}`);
  }
};

describe('FederatedMcpClient over the lease frame transport', () => {
  it('initializes once, lazily, then lists every page of tools', async () => {
    const pipe = new FakePipe(everything);
    const client = new FederatedMcpClient(pipe.transport);
    assert.equal(pipe.seen.length, 0, 'nothing is sent before the first use');
    const tools = await client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      ['echo', 'get-env'],
    );
    assert.deepEqual(
      pipe.seen.map((m) => m.method),
      ['initialize', 'notifications/initialized', 'tools/list', 'tools/list'],
    );
    assert.ok(pipe.frames.every((f) => f.endsWith('\n') && f.indexOf('\n') === f.length - 1));
  });

  it('serves tools/list from the cache until the TTL passes', async () => {
    let now = 0;
    const pipe = new FakePipe(everything);
    const client = new FederatedMcpClient(pipe.transport, { toolsTtlMs: 1_000, now: () => now });
    await client.listTools();
    await client.listTools();
    const lists = (): number => pipe.seen.filter((m) => m.method === 'tools/list').length;
    assert.equal(lists(), 2);
    now = 1_000;
    await client.listTools();
    assert.equal(lists(), 4);
  });

  it('calls a tool and returns its result; upstream isError results come back as they are', async () => {
    const client = new FederatedMcpClient(new FakePipe(everything).transport);
    const ok = await client.callTool('echo', { message: 'hi' });
    assert.deepEqual(ok.content, [{ type: 'text', text: 'Echo: hi' }]);
    const failed = await client.callTool('fails', {});
    assert.equal(failed.isError, true);
  });

  it('turns an upstream JSON-RPC error into an AppError with the server message', async () => {
    const client = new FederatedMcpClient(new FakePipe(everything).transport);
    await assert.rejects(client.callTool('boom', {}), (error: unknown) => {
      assert.ok(isAppError(error));
      assert.equal(error.code, 'teleport_error');
      assert.match(error.message, /Unknown tool: boom/);
      return true;
    });
  });

  it('times out a call the server does not answer and forwards the cancellation', async () => {
    const pipe = new FakePipe(everything);
    const client = new FederatedMcpClient(pipe.transport, { callTimeoutMs: 50 });
    await client.listTools();
    pipe.answer = false;
    await assert.rejects(client.callTool('echo', {}), { code: 'timeout' });
    assert.equal(pipe.seen.at(-1)?.method, 'notifications/cancelled');
  });

  it('stops waiting when the caller aborts', async () => {
    const pipe = new FakePipe(everything);
    const client = new FederatedMcpClient(pipe.transport);
    await client.listTools();
    pipe.answer = false;
    const controller = new AbortController();
    const call = client.callTool('echo', {}, controller.signal);
    await sent(pipe, 'tools/call');
    controller.abort();
    await assert.rejects(call, { code: 'cancelled' });
    assert.deepEqual(pipe.seen.at(-1)?.params, {
      requestId: (pipe.seen.at(-2) as { id: number }).id,
      reason: 'the client cancelled the call',
    });
  });

  it('fails waiting and later requests once the pipe closes', async () => {
    const pipe = new FakePipe(everything);
    const client = new FederatedMcpClient(pipe.transport);
    await client.listTools();
    pipe.answer = false;
    const call = client.callTool('echo', {});
    await sent(pipe, 'tools/call');
    pipe.transport.close('the lease ended');
    await assert.rejects(call, { code: 'unavailable', message: /the lease ended/ });
    await assert.rejects(client.callTool('echo', {}), { code: 'unavailable' });
    assert.equal(client.isClosed, true);
  });

  it('refuses requests the server sends (it has no client behind it)', async () => {
    const pipe = new FakePipe(everything);
    const client = new FederatedMcpClient(pipe.transport);
    await client.listTools();
    pipe.transport.receive(Buffer.from('{"jsonrpc":"2.0","id":"s1","method":"roots/list"}\n'));
    const reply = pipe.seen.at(-1) as unknown as { id: string; error: { code: number } };
    assert.equal(reply.id, 's1');
    assert.equal(reply.error.code, -32601);
  });
});
