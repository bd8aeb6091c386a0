// The /mcp endpoint as one fetch-shaped handler (RFD 0002). Gates, in order:
//   Host/Origin (403) → method (GET 405) → MCP-Protocol-Version (400) → Authorization (401/403)
//   → [body read, 413 by toNodeHandler or here] → media type (415) → JSON (-32700) → batch /
//   JSON-RPC shape (-32600) → non-canonical duplicate keys dropped → no U+0000 anywhere (-32602,
//   naming the argument) → era:
//   2026-07-28 → createMcpHandler (stateless); 2025 → legacyStatelessFallback with our signed
//   session ids (initialize mints, DELETE revokes in Redis, foreign/revoked → 404).
// One fresh low-level Server per request, built for the authenticated caller; nothing is kept
// per replica, so any replica serves any request.
import {
  Server,
  createMcpHandler,
  hostHeaderValidationResponse,
  isJsonContentType,
  isLegacyRequest,
  legacyStatelessFallback,
  originValidationResponse,
  readRequestBody,
  type AuthInfo,
  type LegacyHttpHandler,
  type McpHttpHandler,
  type McpRequestContext,
} from '@modelcontextprotocol/server';
import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError, httpStatusOf, jsonRpcCodeOf } from '@tmcp/errors';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuthenticatedActor } from '../auth/authenticated-actor.js';
import { AuthenticationError, BearerAuthenticator } from '../auth/bearer-authenticator.js';
import { protectedResourceMetadataUrl } from '../auth/protected-resource-metadata.js';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { LOGGER } from '../logging/logger.token.js';
import {
  DEFAULT_MCP_GATEWAY_OPTIONS,
  MCP_GATEWAY_OPTIONS,
  allowedHostnames,
  allowedOriginHostnames,
  type McpGatewayOptions,
} from './mcp-gateway-options.js';
import { stripNonCanonicalDuplicates } from './non-canonical-keys.js';
import { SessionStore } from './session-store.js';
import { ToolCallPipeline } from './tool-call-pipeline.js';
import { ToolCatalogue } from './tool-catalogue.js';

/** The caller of one HTTP request, as the gate established it. */
interface CallerContext {
  actor: AuthenticatedActor;
  /** jti of the verified 2025-era session, when the request carried one. */
  sessionId: string | undefined;
}

const SERVER_INSTRUCTIONS =
  'tmcp: the Teleport MCP control plane. Tools read Teleport inventory, run health and RBAC checks, ' +
  'search the audit log, manage access requests, MCP access and leases. Mutating tools need a `reason` ' +
  '(and a `ticket` when your role requires one). Every call is recorded.';

const jsonRpcId = z.union([z.string(), z.number().int()]);
const jsonRpcMessage = z.union([
  z.object({
    jsonrpc: z.literal('2.0'),
    id: jsonRpcId,
    method: z.string().min(1),
    params: z.record(z.string(), z.unknown()).optional(),
  }),
  z.strictObject({
    jsonrpc: z.literal('2.0'),
    method: z.string().min(1),
    params: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({ jsonrpc: z.literal('2.0'), id: jsonRpcId, result: z.record(z.string(), z.unknown()) }),
  z.object({
    jsonrpc: z.literal('2.0'),
    id: z.union([jsonRpcId, z.null()]),
    error: z.object({ code: z.number().int(), message: z.string() }),
  }),
]);

/** The dotted path of the first key or string value holding U+0000, if any. */
function findNulString(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const at = `${path}.${key.replaceAll('\u0000', '\\0')}`;
    if (key.includes('\u0000')) return at;
    const found = findNulString(v, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function jsonRpcErrorResponse(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
  data?: unknown,
): Response {
  return new Response(
    JSON.stringify({
      jsonrpc: '2.0',
      id: null,
      error: { code, message, ...(data === undefined ? {} : { data }) },
    }),
    { status, headers: { 'content-type': 'application/json', ...headers } },
  );
}

@Injectable()
export class McpGateway implements OnModuleInit, OnApplicationShutdown {
  readonly maxBodyBytes: number;
  private readonly options: McpGatewayOptions;
  private readonly allowedHosts: string[];
  private readonly allowedOrigins: string[];
  private readonly callers = new WeakMap<AuthInfo, CallerContext>();
  private modern: McpHttpHandler | undefined;
  private legacy: LegacyHttpHandler | undefined;
  private readonly version: string;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly authenticator: BearerAuthenticator,
    private readonly sessions: SessionStore,
    private readonly pipeline: ToolCallPipeline,
    private readonly catalogue: ToolCatalogue,
    @Optional() @Inject(MCP_GATEWAY_OPTIONS) options?: McpGatewayOptions,
  ) {
    this.options = options ?? DEFAULT_MCP_GATEWAY_OPTIONS;
    this.maxBodyBytes = config.service.maxBodyBytes;
    this.allowedHosts = allowedHostnames(config.service);
    this.allowedOrigins = allowedOriginHostnames(config.service);
    this.version = '0.1.0';
  }

  onModuleInit(): void {
    const onerror = (error: Error): void =>
      this.logger.debug({ err: error }, 'MCP transport error');
    const factory = (rc: McpRequestContext): Server => this.buildServer(rc);
    this.modern = createMcpHandler(factory, {
      legacy: 'reject',
      onerror,
      maxRequestBodySize: this.maxBodyBytes,
    });
    this.legacy = legacyStatelessFallback(factory, onerror, {
      maxRequestBodySize: this.maxBodyBytes,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.modern?.close();
  }

  /**
   * The gates that need no body: run as middleware in front of toNodeHandler (which buffers the
   * whole body first). Returns a refusal, or the AuthInfo to hand to fetch().
   */
  async checkHead(
    method: string,
    headers: Headers,
    requestUrl: string,
  ): Promise<Response | AuthInfo> {
    const probe = new Request('http://gate.invalid/mcp', { headers });
    if (!this.allowedHosts.includes('*')) {
      const bad = hostHeaderValidationResponse(probe, this.allowedHosts);
      if (bad !== undefined) return bad;
    }
    if (!this.allowedOrigins.includes('*')) {
      const bad = originValidationResponse(probe, this.allowedOrigins);
      if (bad !== undefined) return bad;
    }
    if (method !== 'POST' && method !== 'DELETE') {
      const message =
        method === 'GET'
          ? 'Method not allowed: this endpoint offers no GET stream; send requests with POST'
          : 'Method not allowed: use POST (or DELETE to end a session)';
      return jsonRpcErrorResponse(405, -32000, message, { allow: 'POST, DELETE' });
    }
    const pv = headers.get('mcp-protocol-version');
    if (pv !== null && !this.options.protocolVersions.includes(pv)) {
      return jsonRpcErrorResponse(
        400,
        -32600,
        `unsupported MCP-Protocol-Version ${pv}; supported: ${this.options.protocolVersions.join(', ')}`,
      );
    }
    let actor: AuthenticatedActor;
    try {
      actor = await this.authenticator.authenticate(headers.get('authorization'));
    } catch (error) {
      return this.authRefusal(error, requestUrl, headers);
    }
    const authInfo: AuthInfo = { token: '[redacted]', clientId: actor.id, scopes: [] };
    this.callers.set(authInfo, { actor, sessionId: undefined });
    return authInfo;
  }

  /** The whole endpoint for a web Request (mounted through toNodeHandler, or called directly). */
  async fetch(request: Request, options?: { authInfo?: AuthInfo }): Promise<Response> {
    let authInfo = options?.authInfo;
    if (authInfo === undefined || !this.callers.has(authInfo)) {
      const head = await this.checkHead(request.method, request.headers, request.url);
      if (head instanceof Response) return head;
      authInfo = head;
    }
    const caller = this.callers.get(authInfo);
    if (caller === undefined) return jsonRpcErrorResponse(500, -32603, 'internal error');

    if (request.method === 'DELETE') return this.endSession(request, caller);

    if (!isJsonContentType(request.headers.get('content-type'))) {
      return jsonRpcErrorResponse(
        415,
        -32600,
        'Unsupported Media Type: send Content-Type: application/json',
      );
    }
    const read = await readRequestBody(request.clone(), this.maxBodyBytes);
    if (read.tooLarge) {
      return jsonRpcErrorResponse(
        413,
        -32000,
        `Payload Too Large: the request body exceeds ${this.maxBodyBytes} bytes`,
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(read.text);
    } catch {
      return jsonRpcErrorResponse(400, -32700, 'Parse error: the body is not valid JSON');
    }
    if (Array.isArray(raw)) {
      return jsonRpcErrorResponse(
        400,
        -32600,
        'Invalid Request: JSON-RPC batches are not supported',
      );
    }
    const dropped: string[] = [];
    const body = stripNonCanonicalDuplicates(raw, this.catalogue.canonicalKeys(), dropped);
    if (dropped.length > 0) {
      this.logger.warn(
        { actor: caller.actor.id, dropped: dropped.slice(0, 20) },
        'dropped non-canonical duplicate keys from an MCP request',
      );
    }
    const shape = jsonRpcMessage.safeParse(body);
    if (!shape.success) {
      return jsonRpcErrorResponse(
        400,
        -32600,
        'Invalid Request: not a JSON-RPC 2.0 request, notification or response',
      );
    }
    const nul = findNulString(body, '');
    if (nul !== undefined) {
      // PostgreSQL cannot store U+0000 (the operations row would fail) and no Teleport name or
      // text holds one: refuse here, naming the argument, before any tool or row is touched.
      const field = nul.replace(/^\.params\.arguments\./, '').replace(/^\./, '') || 'params';
      const id = 'id' in shape.data ? shape.data.id : null;
      return new Response(
        JSON.stringify({
          jsonrpc: '2.0',
          id,
          error: {
            code: -32602,
            message: `${field}: must not contain NUL characters`,
            data: { code: 'bad_parameter', details: { field } },
          },
        }),
        { status: id === null ? 400 : 200, headers: { 'content-type': 'application/json' } },
      );
    }
    const handlerOptions = { authInfo, parsedBody: body };
    if (!(await isLegacyRequest(request, body))) {
      return this.requireHandlers().modern.fetch(request, handlerOptions);
    }

    const method = 'method' in shape.data ? shape.data.method : undefined;
    if (method === 'initialize') {
      const response = await this.requireHandlers().legacy(request, handlerOptions);
      if (response.status !== 200) return response;
      const params = (body as { params?: { protocolVersion?: unknown } }).params;
      const requested = typeof params?.protocolVersion === 'string' ? params.protocolVersion : '';
      const legacyVersions = this.options.protocolVersions.filter((v) => v < '2026');
      const negotiated = legacyVersions.includes(requested)
        ? requested
        : (legacyVersions.at(-1) ?? '2025-11-25');
      const headers = new Headers(response.headers);
      headers.set('mcp-session-id', this.sessions.mint(caller.actor.id, negotiated).token);
      return new Response(response.body, { status: response.status, headers });
    }
    const sessionHeader = request.headers.get('mcp-session-id');
    if (sessionHeader !== null) {
      const claims = await this.sessions.verify(sessionHeader);
      if (claims?.sub !== caller.actor.id) {
        return jsonRpcErrorResponse(
          404,
          -32001,
          'Session not found: it ended or expired; initialize a new session',
        );
      }
      caller.sessionId = claims.jti;
    }
    return this.requireHandlers().legacy(request, handlerOptions);
  }

  private async endSession(request: Request, caller: CallerContext): Promise<Response> {
    const sessionHeader = request.headers.get('mcp-session-id');
    if (sessionHeader === null) {
      return jsonRpcErrorResponse(
        400,
        -32600,
        'Bad Request: DELETE needs the Mcp-Session-Id header of the session to end',
      );
    }
    const claims = await this.sessions.verify(sessionHeader);
    if (claims?.sub !== caller.actor.id) {
      return jsonRpcErrorResponse(404, -32001, 'Session not found');
    }
    await this.sessions.revoke(claims);
    return new Response(null, { status: 204 });
  }

  private buildServer(rc: McpRequestContext): Server {
    const server = new Server(
      { name: 'tmcp', version: this.version },
      { capabilities: { tools: { listChanged: false } }, instructions: SERVER_INSTRUCTIONS },
    );
    server.setRequestHandler('tools/list', async (_request, ctx) => {
      const caller = this.callerOf(ctx.http?.authInfo ?? rc.authInfo);
      const tools = await this.pipeline.visibleTools(caller.actor);
      const federated = await this.pipeline.visibleFederatedTools(caller.actor, ctx.mcpReq.signal);
      return {
        tools: [...tools.flatMap((t) => this.catalogue.wireTool(t.name) ?? []), ...federated],
      };
    });
    server.setRequestHandler('tools/call', async (request, ctx) => {
      const caller = this.callerOf(ctx.http?.authInfo ?? rc.authInfo);
      const progressToken = ctx.mcpReq._meta?.progressToken;
      return this.pipeline.call(
        caller.actor,
        { name: request.params.name, arguments: request.params.arguments },
        {
          requestId: String(ctx.mcpReq.id),
          sessionId: caller.sessionId,
          signal: ctx.mcpReq.signal,
          progress: async (progress, total, message) => {
            if (progressToken === undefined) return;
            await ctx.mcpReq.notify({
              method: 'notifications/progress',
              params: {
                progressToken,
                progress,
                ...(total === undefined ? {} : { total }),
                ...(message === undefined ? {} : { message }),
              },
            });
          },
        },
      );
    });
    return server;
  }

  private callerOf(authInfo: AuthInfo | undefined): CallerContext {
    const caller = authInfo === undefined ? undefined : this.callers.get(authInfo);
    if (caller === undefined)
      throw AppError.internal(new Error('MCP request without an authenticated caller'));
    return caller;
  }

  private authRefusal(error: unknown, requestUrl: string, headers: Headers): Response {
    const appError = error instanceof AppError ? error : AppError.internal(error);
    if (appError.code === 'internal')
      this.logger.error({ err: error }, 'authentication failed unexpectedly');
    const status = appError.code === 'internal' ? 500 : httpStatusOf(appError.code);
    const extra: Record<string, string> = {};
    const presented = error instanceof AuthenticationError && error.tokenPresented;
    // 401: no or a bad token (RFC 6750 invalid_token). 403: a good token that grants no tmcp
    // role — the MCP authorization spec asks for the same challenge with insufficient_scope.
    if (status === 401 || (status === 403 && presented)) {
      const metadata = protectedResourceMetadataUrl(
        this.config.service.publicUrl,
        requestUrl,
        headers.get('host'),
      );
      const errorCode = status === 401 ? 'invalid_token' : 'insufficient_scope';
      extra['www-authenticate'] =
        `Bearer resource_metadata="${metadata}"` +
        (presented
          ? `, error="${errorCode}", error_description="${appError.message.replaceAll('"', "'")}"`
          : '');
    }
    if (appError.retryAfterMs !== undefined)
      extra['retry-after'] = String(Math.ceil(appError.retryAfterMs / 1000));
    const message = appError.code === 'internal' ? 'internal error' : appError.message;
    return jsonRpcErrorResponse(status, jsonRpcCodeOf(appError.code), message, extra, {
      code: appError.code,
    });
  }

  private requireHandlers(): { modern: McpHttpHandler; legacy: LegacyHttpHandler } {
    if (this.modern === undefined || this.legacy === undefined)
      throw new Error('McpGateway used before init');
    return { modern: this.modern, legacy: this.legacy };
  }
}
