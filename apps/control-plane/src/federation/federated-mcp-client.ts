// A small MCP client of one federated server (DESIGN §3.2), over the lease's frame transport:
// `initialize` lazily on first use, `tools/list` cached briefly, `tools/call` with a timeout and
// the caller's AbortSignal (cancellation is forwarded as notifications/cancelled). Requests the
// server sends us (sampling, roots, elicitation) are refused: the gateway has no client to ask.
// Upstream JSON-RPC errors become AppErrors, which the gateway shows as tool errors.
import { AppError } from '@tmcp/errors';
import { z } from 'zod';
import type { JsonRpcMessage, LeaseFrameTransport } from './lease-frame-transport.js';

export const PROTOCOL_VERSION = '2025-06-18';
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
export const DEFAULT_TOOLS_TTL_MS = 10_000;
const MAX_LIST_PAGES = 20;

const upstreamTool = z
  .object({
    name: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    inputSchema: z.record(z.string(), z.unknown()).optional(),
    annotations: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
export type UpstreamTool = z.infer<typeof upstreamTool>;

const listResult = z.object({
  tools: z.array(z.unknown()),
  nextCursor: z.string().optional(),
});

const callResult = z
  .object({
    content: z.array(z.record(z.string(), z.unknown())).default([]),
    structuredContent: z.record(z.string(), z.unknown()).optional(),
    isError: z.boolean().optional(),
  })
  .loose();
export type UpstreamCallResult = z.infer<typeof callResult>;

export interface FederatedMcpClientOptions {
  readonly callTimeoutMs?: number;
  readonly toolsTtlMs?: number;
  readonly now?: () => number;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: AppError): void;
}

export class FederatedMcpClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private initialized: Promise<void> | undefined;
  private tools: { at: number; list: Promise<UpstreamTool[]> } | undefined;
  private closedReason: string | undefined;
  private readonly callTimeoutMs: number;
  private readonly toolsTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly transport: LeaseFrameTransport,
    options: FederatedMcpClientOptions = {},
  ) {
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.toolsTtlMs = options.toolsTtlMs ?? DEFAULT_TOOLS_TTL_MS;
    this.now = options.now ?? Date.now;
    transport.attach({
      onMessage: (message) => this.onMessage(message),
      onClose: (reason) => this.onClose(reason),
    });
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  /** The server's tools, from a cache younger than the TTL when there is one. */
  async listTools(signal?: AbortSignal): Promise<UpstreamTool[]> {
    const cached = this.tools;
    if (cached !== undefined && this.now() - cached.at < this.toolsTtlMs) return cached.list;
    const list = this.fetchTools(signal);
    this.tools = { at: this.now(), list };
    list.catch(() => {
      if (this.tools?.list === list) this.tools = undefined;
    });
    return list;
  }

  async callTool(
    name: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<UpstreamCallResult> {
    await this.ensureInitialized(signal);
    const raw = await this.request('tools/call', { name, arguments: args }, signal);
    const parsed = callResult.safeParse(raw);
    if (!parsed.success)
      throw new AppError('teleport_error', 'the federated MCP server sent a malformed tool result');
    return parsed.data;
  }

  close(reason: string): void {
    this.transport.close(reason);
  }

  private async fetchTools(signal?: AbortSignal): Promise<UpstreamTool[]> {
    await this.ensureInitialized(signal);
    const tools: UpstreamTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const raw = await this.request('tools/list', cursor === undefined ? {} : { cursor }, signal);
      const parsed = listResult.safeParse(raw);
      if (!parsed.success)
        throw new AppError('teleport_error', 'the federated MCP server sent a malformed tool list');
      for (const item of parsed.data.tools) {
        const tool = upstreamTool.safeParse(item);
        if (tool.success) tools.push(tool.data);
      }
      cursor = parsed.data.nextCursor;
      if (cursor === undefined) break;
    }
    return tools;
  }

  private ensureInitialized(signal?: AbortSignal): Promise<void> {
    if (this.initialized === undefined) {
      const init = (async () => {
        await this.request(
          'initialize',
          {
            protocolVersion: PROTOCOL_VERSION,
            capabilities: {},
            clientInfo: { name: 'tmcp-federation', version: '0.1.0' },
          },
          signal,
        );
        this.transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      })();
      this.initialized = init;
      init.catch(() => {
        if (this.initialized === init) this.initialized = undefined;
      });
    }
    return this.initialized;
  }

  private request(
    method: string,
    params: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<unknown> {
    if (this.closedReason !== undefined) return Promise.reject(closedError(this.closedReason));
    if (signal?.aborted === true)
      return Promise.reject(new AppError('cancelled', 'the client cancelled the call'));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      const onAbort = (): void => {
        cleanup();
        this.cancel(id, 'the client cancelled the call');
        reject(new AppError('cancelled', 'the client cancelled the call'));
      };
      const timer = setTimeout(() => {
        cleanup();
        this.cancel(id, 'timeout');
        reject(
          new AppError(
            'timeout',
            `the federated MCP server did not answer ${method} within ${Math.round(this.callTimeoutMs / 1000)} s; try again or check the lease with get_proxy_logs`,
          ),
        );
      }, this.callTimeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (result) => {
          cleanup();
          resolve(result);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      });
      this.transport.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  private cancel(id: number, reason: string): void {
    this.transport.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: id, reason },
    });
  }

  private onMessage(message: JsonRpcMessage): void {
    if (message.method !== undefined) {
      // A request from the server: we cannot serve it. Notifications are ignored.
      if (message.id !== undefined && message.id !== null) {
        this.transport.send({
          jsonrpc: '2.0',
          id: message.id,
          error: { code: -32601, message: 'the tmcp gateway does not serve client requests' },
        });
      }
      return;
    }
    if (typeof message.id !== 'number') return;
    const waiting = this.pending.get(message.id);
    if (waiting === undefined) return;
    if (message.error !== undefined) {
      waiting.reject(
        new AppError(
          'teleport_error',
          `the federated MCP server refused the request: ${message.error.message.slice(0, 2_000)}`,
          { details: { rpc_code: message.error.code } },
        ),
      );
    } else {
      waiting.resolve(message.result);
    }
  }

  private onClose(reason: string): void {
    this.closedReason = reason;
    for (const waiting of [...this.pending.values()]) waiting.reject(closedError(reason));
    this.pending.clear();
  }
}

function closedError(reason: string): AppError {
  return new AppError('unavailable', `the federated MCP server is gone (${reason})`);
}
