// Mounts /mcp on the express instance BEFORE Nest adds its JSON body parser (RFD 0002): the
// body must reach toNodeHandler unread, under our own size limit. The gateway is a Nest
// provider that exists only after NestFactory.create, so the route is registered first and the
// gateway attached afterwards:
//
//   const adapter = new ExpressAdapter();
//   const mcp = mountMcpEndpoint(adapter.getInstance());
//   const app = await NestFactory.create(module, adapter, …);
//   mcp.attach(app);
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { INestApplicationContext } from '@nestjs/common';
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

  router.all(MCP_ROUTE, (req, res, next) => {
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
          // Drain nothing: the connection is closed after a refusal with an unread body.
          res.setHeader('connection', 'close');
          await writeResponse(res, head);
          return;
        }
        req.auth = head;
        await handle(req, res);
      })
      .catch(next);
  });

  return {
    attach(app) {
      const attached = app.get(McpGateway, { strict: false });
      node = toNodeHandler(attached, { maxRequestBodySize: attached.maxBodyBytes });
      gateway = attached;
    },
  };
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
