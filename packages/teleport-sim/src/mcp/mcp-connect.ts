// `tsh mcp connect <app>`: spawns the app's stdio MCP server and relays newline-delimited
// JSON-RPC, applying Teleport's tool RBAC on the way: `tools/list` results are filtered and a
// `tools/call` of a denied tool is answered with the app service's JSON-RPC error (§1.8).
// MCP session events (TMCP00x) are recorded as the app service records them.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import type { AccessChecker } from '../rbac/access-checker.js';
import type { Resource } from '../state/sim-state.js';
import { tshSession } from '../tsh/tsh-session.js';
import {
  errorResponse,
  INTERNAL_ERROR,
  INVALID_PARAMS,
  isRequest,
  parseMessage,
  readLines,
} from './json-rpc.js';

export const RBAC_DENIED_MESSAGE =
  'RBAC is enforced by your Teleport roles. Contact your Teleport Admin for more details.';

export const RELOGIN_REQUIRED_MESSAGE =
  'It looks like your Teleport session expired,\n' +
  'you must relogin (using "tsh login" on a terminal) before continue using this\n' +
  'tool. After that, there is no need to update or relaunch the MCP client - just\n' +
  'try using it again.';

/** Methods the app service does not audit unless they fail (§1.9). */
const UNAUDITED = new Set([
  'ping',
  'resources/list',
  'resources/templates/list',
  'prompts/list',
  'tools/list',
]);
const KILL_GRACE_MS = 2000;
const AUDIT_FLUSH_MS = 500;

export function findMcpApp(
  apps: readonly Resource[],
  checker: AccessChecker,
  name: string,
): Resource {
  const app = apps.find((a) => a.metadata.name === name && a.sub_kind === 'mcp');
  if (!app) throw TeleportError.notFound(`app "${name}" not found`);
  if (!checker.canAccess('app_labels', app))
    throw TeleportError.accessDenied(`access to app "${name}" denied`);
  return app;
}

export async function mcpConnectCommand(cmd: ParsedCommand, ctx: SimContext): Promise<number> {
  const name = cmd.arg('name') ?? '';
  const session = tshSession(cmd, ctx, true);
  if (session.expired) return serveReloginRequired(ctx);
  const { checker, state } = session;
  const app = findMcpApp(state.apps, checker, name);
  const mcp = (app.spec.mcp ?? {}) as { command?: string; args?: string[] };
  if (!String(app.spec.uri).startsWith('mcp+stdio') || !mcp.command) {
    throw new TeleportError(
      'not_implemented',
      `MCP server "${name}" does not use the stdio transport; use "tsh proxy mcp ${name}"`,
    );
  }

  const base = {
    namespace: 'default',
    server_id: state.cluster.authHostId,
    sid: randomUUID(),
    user: checker.username,
    app_name: name,
  };
  const audit = (code: string, event: string, extra: Record<string, unknown>): void => {
    const { sid, server_id, namespace, ...rest } = base;
    ctx.audit.emit({ event, code, namespace, server_id, sid, ...rest, ...extra });
  };
  audit('TMCP001I', 'mcp.session.start', {});
  const flusher = setInterval(() => void ctx.audit.flush().catch(() => undefined), AUDIT_FLUSH_MS);

  const child = spawn(mcp.command, mcp.args ?? [], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: process.env,
  });
  const pendingLists = new Set<string>();
  const write = (line: string): void => {
    ctx.out(line + '\n');
  };

  child.stderr.on('data', (chunk: Buffer) => ctx.err(chunk.toString()));
  const childDone = new Promise<number>((resolve) => {
    child.once('error', (err) => {
      ctx.err(`ERROR: failed to start MCP server: ${err.message}\n`);
      resolve(1);
    });
    child.once('exit', (code) => resolve(code ?? 0));
  });

  void readLines(child.stdout, (line) => {
    const message = parseMessage(line);
    if (
      message?.id !== undefined &&
      message.method === undefined &&
      pendingLists.delete(JSON.stringify(message.id))
    ) {
      const result = message.result as { tools?: { name?: string }[] } | undefined;
      if (result && Array.isArray(result.tools)) {
        result.tools = result.tools.filter(
          (t) => typeof t.name === 'string' && checker.isToolAllowed(app, t.name),
        );
        write(JSON.stringify(message));
        return;
      }
    }
    write(line);
  });

  const clientDone = readLines(ctx.io.stdin, (line) => {
    const message = parseMessage(line);
    if (!message) {
      child.stdin.write(line + '\n');
      return;
    }
    if (isRequest(message)) {
      if (message.method === 'tools/call') {
        const params = message.params as { name?: unknown } | undefined;
        const tool = typeof params?.name === 'string' ? params.name : '';
        if (!checker.isToolAllowed(app, tool)) {
          write(errorResponse(message.id, INVALID_PARAMS, RBAC_DENIED_MESSAGE, 'access denied'));
          audit('TMCP003E', 'mcp.session.request', {
            success: false,
            error: 'access denied',
            message,
          });
          return;
        }
      }
      if (message.method === 'tools/list') pendingLists.add(JSON.stringify(message.id));
      if (!UNAUDITED.has(message.method))
        audit('TMCP003I', 'mcp.session.request', { success: true, message });
    } else if (message.method !== undefined) {
      audit('TMCP004I', 'mcp.session.notification', { success: true, message });
    }
    child.stdin.write(line + '\n');
  });

  const stopChild = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end();
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
  };

  const outcome = await Promise.race([
    clientDone.then(() => 'client-closed' as const),
    childDone.then(() => 'server-exited' as const),
    ctx.io.signal.then(() => 'signal' as const),
  ]);
  if (outcome === 'signal') stopChild();
  if (outcome === 'client-closed') {
    child.stdin.end();
    const exited = await Promise.race([
      childDone.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), KILL_GRACE_MS)),
    ]);
    if (!exited) stopChild();
  }
  const childCode = await childDone;
  clearInterval(flusher);
  audit(
    outcome === 'server-exited' && childCode !== 0 ? 'TMCP002E' : 'TMCP002I',
    'mcp.session.end',
    {
      success: !(outcome === 'server-exited' && childCode !== 0),
    },
  );
  if (outcome === 'server-exited' && childCode !== 0) {
    throw new TeleportError('internal', `MCP server "${name}" exited with code ${childCode}`);
  }
  return 0;
}

/** An expired identity: every request gets the relogin message as a JSON-RPC error (§1.4). */
async function serveReloginRequired(ctx: SimContext): Promise<number> {
  const done = readLines(ctx.io.stdin, (line) => {
    const message = parseMessage(line);
    if (message && isRequest(message))
      ctx.out(errorResponse(message.id, INTERNAL_ERROR, RELOGIN_REQUIRED_MESSAGE) + '\n');
  });
  await Promise.race([done, ctx.io.signal]);
  return 0;
}
