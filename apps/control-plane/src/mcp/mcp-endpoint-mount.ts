// Mounts /mcp on the express instance BEFORE Nest adds its JSON body parser (RFD 0002): the
// body must reach toNodeHandler unread, under our own size limit. The gateway is a Nest
// provider that exists only after NestFactory.create, so the route is registered first and the
// gateway attached afterwards:
//
//   const adapter = new ExpressAdapter();
//   const mcp = mountMcpEndpoint(adapter.getInstance());
//   const app = await NestFactory.create(module, adapter, …);
//   mcp.attach(app);
//
// Nest's request log and HTTP metrics middleware never see this route, so the mount logs and
// counts each request itself, and counts the refusals of the authentication gate by reason.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';
import { logHttpRequest, type RequestLogContext } from '../logging/http-request-log.js';
import { LOGGER } from '../logging/logger.token.js';
import { type AuthFailureReason, MetricsService } from '../metrics/metrics.service.js';
import { jsonRpcErrorResponse, McpGateway } from './mcp-gateway.js';

type McpIncomingMessage = IncomingMessage & { auth?: AuthInfo };
type Next = (error?: unknown) => void;

/** The part of an express application used here. */
export interface ExpressRouterLike {
  all(
    path: string,
    handler: (req: McpIncomingMessage, res: ServerResponse, next: Next) => void,
  ): unknown;
}

export interface McpEndpointMount {
  /** Connects the route to the application's McpGateway; until then /mcp answers 503. */
  attach(app: INestApplicationContext): void;
}

export const MCP_ROUTE = '/mcp';

export function mountMcpEndpoint(router: ExpressRouterLike): McpEndpointMount {
  let gateway: McpGateway | undefined;
  let node: ReturnType<typeof toNodeHandler> | undefined;
  let logger: Logger | undefined;
  let metrics: MetricsService | undefined;

  router.all(MCP_ROUTE, (req, res, next) => {
    const context: RequestLogContext = {};
    if (logger !== undefined) logHttpRequest(logger, req, res, context);
    metrics?.trackHttpRequest(req, res, () => MCP_ROUTE);
    if (gateway === undefined || node === undefined) {
      void writeResponse(
        res,
        jsonRpcErrorResponse(503, -32050, 'starting up; try again shortly', { 'retry-after': '1' }),
      );
      return;
    }
    const g = gateway;
    const handle = node;
    const headers = toHeaders(req.headers);
    const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? MCP_ROUTE}`;
    g.checkHead(req.method ?? 'GET', headers, url)
      .then(async (head) => {
        if (head instanceof Response) {
          const reason = authFailureReason(head);
          if (reason !== undefined) metrics?.authFailuresTotal.inc({ endpoint: 'mcp', reason });
          // Drain nothing: the connection is closed after a refusal with an unread body.
          res.setHeader('connection', 'close');
          await writeResponse(res, head);
          return;
        }
        req.auth = head;
        if (head.clientId !== '') context.actor = head.clientId;
        await handle(req, res);
      })
      .catch(next);
  });

  return {
    attach(app) {
      const attached = app.get(McpGateway, { strict: false });
      node = toNodeHandler(attached, { maxRequestBodySize: attached.maxBodyBytes });
      logger = app.get<symbol, Logger>(LOGGER, { strict: false }).child({ component: 'http' });
      metrics = app.get(MetricsService, { strict: false });
      gateway = attached;
    },
  };
}

/**
 * Which authentication-gate refusal a response of McpGateway.checkHead is, if any: 401 and 403
 * carry an RFC 6750 challenge (`error="invalid_token"` / `"insufficient_scope"`, none when no token
 * was sent); a 403 without one is the Host/Origin check. Other refusals (405, 400) are not
 * authentication failures.
 */
export function authFailureReason(response: Response): AuthFailureReason | undefined {
  const challenge = response.headers.get('www-authenticate') ?? '';
  if (response.status === 401) {
    return /\berror="/.test(challenge) ? 'invalid_token' : 'missing_token';
  }
  if (response.status === 403) {
    return challenge === '' ? 'forbidden_origin' : 'no_role';
  }
  return undefined;
}

function toHeaders(raw: IncomingMessage['headers']): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string') headers.set(key, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(key, v);
  }
  return headers;
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  res.writeHead(response.status, headers);
  res.end(response.body === null ? undefined : Buffer.from(await response.arrayBuffer()));
}
