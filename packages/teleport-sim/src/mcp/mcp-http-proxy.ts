// `tsh proxy mcp <app> [-p PORT]`: a local Streamable HTTP endpoint (`/mcp`) in front of the
// app's stdio MCP server, with the same tool RBAC as `tsh mcp connect` (§1.6). Request ids
// are remapped so concurrent HTTP clients sharing the one child never collide.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { closeServer, listenOn } from '../net/tcp-forwarder.js';
import { untilStopped } from '../proxy/until-stopped.js';
import { tshSession } from '../tsh/tsh-session.js';
import {
  errorResponse,
  INVALID_PARAMS,
  isRequest,
  parseMessage,
  readLines,
  type JsonRpcMessage,
} from './json-rpc.js';
import { findMcpApp, RBAC_DENIED_MESSAGE } from './mcp-connect.js';

const MAX_BODY = 4 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function proxyMcpCommand(cmd: ParsedCommand, ctx: SimContext): Promise<number> {
  const { state, checker } = tshSession(cmd, ctx);
  const name = cmd.arg('app') ?? '';
  const app = findMcpApp(state.apps, checker, name);
  const mcp = (app.spec.mcp ?? {}) as { command?: string; args?: string[] };
  if (!mcp.command)
    throw new TeleportError('not_implemented', `MCP server "${name}" has no stdio command`);
  const child = spawn(mcp.command, mcp.args ?? [], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.on('data', (c: Buffer) => ctx.err(c.toString()));
  child.on('error', (err) => ctx.err(`ERROR: failed to start MCP server: ${err.message}\n`));

  let nextId = 1;
  const waiting = new Map<
    number,
    { originalId: unknown; method: string; resolve: (m: JsonRpcMessage) => void }
  >();
  void readLines(child.stdout, (line) => {
    const message = parseMessage(line);
    if (!message || typeof message.id !== 'number' || message.method !== undefined) return;
    const entry = waiting.get(message.id);
    if (!entry) return;
    waiting.delete(message.id);
    const result = message.result as { tools?: { name?: string }[] } | undefined;
    if (entry.method === 'tools/list' && result && Array.isArray(result.tools)) {
      result.tools = result.tools.filter(
        (t) => typeof t.name === 'string' && checker.isToolAllowed(app, t.name),
      );
    }
    entry.resolve({ ...message, id: entry.originalId as JsonRpcMessage['id'] });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!req.url?.startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const message = parseMessage(await readBody(req));
    if (!message) {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(errorResponse(null, -32700, 'Parse error'));
      return;
    }
    if (!isRequest(message)) {
      child.stdin.write(JSON.stringify(message) + '\n');
      res.writeHead(202).end();
      return;
    }
    if (message.method === 'tools/call') {
      const tool = (message.params as { name?: unknown } | undefined)?.name;
      if (typeof tool !== 'string' || !checker.isToolAllowed(app, tool)) {
        ctx.audit.emit({
          event: 'mcp.session.request',
          code: 'TMCP003E',
          user: checker.username,
          app_name: name,
          success: false,
          error: 'access denied',
          message,
        });
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(errorResponse(message.id, INVALID_PARAMS, RBAC_DENIED_MESSAGE, 'access denied'));
        return;
      }
    }
    const id = nextId++;
    const response = await new Promise<JsonRpcMessage>((resolve) => {
      waiting.set(id, { originalId: message.id, method: message.method, resolve });
      child.stdin.write(JSON.stringify({ ...message, id }) + '\n');
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const portFlag = cmd.string('port');
  const bound = await listenOn(server, '127.0.0.1', portFlag ? Number(portFlag) : 0);
  ctx.audit.emit({
    event: 'mcp.session.start',
    code: 'TMCP001I',
    user: checker.username,
    app_name: name,
  });
  ctx.out(`Proxying connections to ${name} on 127.0.0.1:${bound}\n`);
  return untilStopped(ctx, async () => {
    await closeServer(server);
    child.stdin.end();
    child.kill('SIGTERM');
  });
}
