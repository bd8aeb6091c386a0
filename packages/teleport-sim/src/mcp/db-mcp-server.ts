// `tsh mcp db start <uri>...`: the stdio MCP server `teleport_databases` with the tools
// `teleport_list_databases` and `teleport_postgres_query`, querying the real database through
// `pg` (lib/client/db/mcp). Hand-rolled JSON-RPC: initialize, ping, tools/*, resources/*.
// The database service audits what goes through it as for any database session: one
// db.session.start per database on first use, db.session.query per query, db.session.end when
// the server stops (codes of §3.8).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { goYaml } from '../format/go-yaml.js';
import type { Resource } from '../state/sim-state.js';
import { TELEPORT_VERSION } from '../state/seed-state.js';
import { stringField } from '../tctl/resource-text.js';
import { tshSession } from '../tsh/tsh-session.js';
import {
  errorResponse,
  isRequest,
  METHOD_NOT_FOUND,
  parseMessage,
  readLines,
  resultResponse,
  type JsonRpcId,
} from './json-rpc.js';

export const WRONG_DATABASE_URI_FORMAT =
  'Malformed database resource URI. Database resources must follow the format: "teleport://clusters/example-cluster/databases/myDatabase"';
export const EMPTY_DATABASES_LIST =
  'There are no databases available to be used with Teleport tools.';
const SUPPORTED_PROTOCOLS = ['2025-06-18', '2025-03-26', '2024-11-05', '2025-11-25'];

export interface DatabaseUri {
  uri: string;
  cluster: string;
  name: string;
  dbName: string;
  dbUser: string;
}

export function parseDatabaseUri(text: string): DatabaseUri {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw TeleportError.badParameter(WRONG_DATABASE_URI_FORMAT);
  }
  if (url.protocol !== 'teleport:')
    throw TeleportError.badParameter('invalid URI scheme, must be "teleport"');
  const parts = `${url.host}${url.pathname}`.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'clusters' || parts.length < 4)
    throw TeleportError.badParameter(WRONG_DATABASE_URI_FORMAT);
  if (parts[2] !== 'databases')
    throw TeleportError.badParameter(`"${parts[2] ?? ''}" resource must be a database`);
  if (parts.length !== 4) throw TeleportError.badParameter(WRONG_DATABASE_URI_FORMAT);
  return {
    uri: text,
    cluster: parts[1] ?? '',
    name: parts[3] ?? '',
    dbName: url.searchParams.get('dbName') ?? '',
    dbUser: url.searchParams.get('dbUser') ?? '',
  };
}

interface ServedDatabase {
  uri: DatabaseUri;
  resource: Resource;
}

function databaseYaml(db: ServedDatabase): string {
  const m = db.resource.metadata;
  return goYaml({
    name: m.name,
    ...(m.description ? { description: m.description } : {}),
    ...(m.labels ? { labels: m.labels } : {}),
    ...(m.expires ? { expires: m.expires } : {}),
    uri: db.uri.uri,
    protocol: db.resource.spec.protocol,
    cluster_name: db.uri.cluster,
  });
}

const TOOLS = [
  {
    name: 'teleport_list_databases',
    description: 'List database resources available to be used with Teleport tools.',
    inputSchema: { type: 'object', properties: {} },
  },
  {
    name: 'teleport_postgres_query',
    description: 'Execute SQL query against PostgreSQL database connected using Teleport',
    inputSchema: {
      type: 'object',
      properties: {
        database: {
          type: 'string',
          description: 'Teleport database resource URI where the query will be executed',
        },
        query: { type: 'string', description: 'PostgresSQL SQL query to execute' },
      },
      required: ['database', 'query'],
    },
  },
];

function pgErrorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    const e = err as { code?: unknown; message?: unknown; severity?: unknown };
    return `${typeof e.severity === 'string' ? e.severity : 'ERROR'}: ${String(e.message)} (SQLSTATE ${String(e.code)})`;
  }
  return err instanceof Error ? err.message : String(err);
}

function stringify(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

export async function mcpDbStartCommand(cmd: ParsedCommand, ctx: SimContext): Promise<number> {
  const uris = cmd.args('uris').map(parseDatabaseUri);
  const session = tshSession(cmd, ctx);
  const served: ServedDatabase[] = [];
  const seen = new Set<string>();
  const cluster = uris[0]?.cluster;
  for (const uri of uris) {
    if (uri.cluster !== cluster) {
      throw TeleportError.badParameter(
        `Databases must be from the same cluster (${JSON.stringify(cluster)}). ${JSON.stringify(uri.uri)} is from a different cluster.`,
      );
    }
    if (seen.has(uri.name))
      throw TeleportError.badParameter(
        `Database ${JSON.stringify(uri.name)} was configured twice. Check the MCP server configuration and remove duplicated entries.`,
      );
    seen.add(uri.name);
    const resource = session.state.db.find((d) => d.metadata.name === uri.name);
    if (!resource || !session.checker.canUseDatabase(resource, uri.dbUser, uri.dbName)) continue;
    if (resource.spec.protocol !== 'postgres' && resource.spec.protocol !== 'cockroachdb') continue;
    served.push({ uri, resource });
  }

  const pools = new Map<string, pg.Pool>();
  const poolFor = (db: ServedDatabase): pg.Pool => {
    let pool = pools.get(db.uri.name);
    if (!pool) {
      const [host = '127.0.0.1', port = '5432'] = String(db.resource.spec.uri)
        .replace(/^postgres(ql)?:\/\//, '')
        .split(':');
      pool = new pg.Pool({
        host,
        port: Number(port),
        user: db.uri.dbUser,
        database: db.uri.dbName,
        application_name: 'teleport-mcp',
        idleTimeoutMillis: 60_000,
        max: 2,
        types: { getTypeParser: () => (v: string) => v },
      });
      pool.on('error', () => undefined);
      pools.set(db.uri.name, pool);
    }
    return pool;
  };

  // One database session (sid) per served database, opened by its first query.
  const sessions = new Map<string, string>();
  const dbFields = (db: ServedDatabase): Record<string, unknown> => ({
    user: session.claims.user,
    db_service: db.resource.metadata.name,
    db_protocol: stringField(db.resource.spec.protocol),
    db_uri: stringField(db.resource.spec.uri),
    db_user: db.uri.dbUser,
    db_name: db.uri.dbName,
  });
  /** The session of `db`, connecting first; a failed connection is a failed session start. */
  const sessionFor = async (db: ServedDatabase): Promise<string> => {
    const open = sessions.get(db.uri.name);
    if (open) return open;
    const sid = randomUUID();
    try {
      (await poolFor(db).connect()).release();
    } catch (err) {
      ctx.audit.emit({
        event: 'db.session.start',
        code: 'TDB00W',
        sid,
        success: false,
        error: pgErrorText(err),
        ...dbFields(db),
      });
      throw err;
    }
    ctx.audit.emit({
      event: 'db.session.start',
      code: 'TDB00I',
      sid,
      success: true,
      ...dbFields(db),
    });
    sessions.set(db.uri.name, sid);
    return sid;
  };
  const runQuery = async (
    db: ServedDatabase,
    query: string,
  ): Promise<pg.QueryResult | pg.QueryResult[]> => {
    const sid = await sessionFor(db);
    const audit = (error?: unknown): void => {
      ctx.audit.emit({
        event: 'db.session.query',
        code: error === undefined ? 'TDB02I' : 'TDB02W',
        sid,
        success: error === undefined,
        ...(error === undefined ? {} : { error: pgErrorText(error) }),
        ...dbFields(db),
        db_query: query,
      });
    };
    try {
      const raw = (await poolFor(db).query(query)) as pg.QueryResult | pg.QueryResult[];
      audit();
      return raw;
    } catch (err) {
      audit(err);
      throw err;
    }
  };
  const flushAudit = (): Promise<void> => ctx.audit.flush().catch(() => undefined);

  const text = (value: string, isError = false): unknown => ({
    content: [{ type: 'text', text: value }],
    ...(isError ? { isError: true } : {}),
  });

  const callTool = async (name: string, args: Record<string, unknown>): Promise<unknown> => {
    if (name === 'teleport_list_databases') {
      if (served.length === 0) return text(EMPTY_DATABASES_LIST, true);
      return {
        content: served.map((db) => ({
          type: 'resource',
          resource: { uri: db.uri.uri, mimeType: 'application/yaml', text: databaseYaml(db) },
        })),
      };
    }
    const database = typeof args.database === 'string' ? args.database : '';
    const query = typeof args.query === 'string' ? args.query : '';
    const db =
      served.find((d) => d.uri.uri === database) ??
      served.find((d) => {
        try {
          return parseDatabaseUri(database).name === d.uri.name;
        } catch {
          return false;
        }
      });
    if (!db) {
      return text(
        JSON.stringify({
          results: null,
          error: `Database "${database}" not found. Only databases listed by the teleport_list_databases tool can be used.`,
        }),
        true,
      );
    }
    try {
      const raw = await runQuery(db, query);
      const results = (Array.isArray(raw) ? raw : [raw]).map((r) => ({
        data: r.rows.map((row: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(row).map(([k, v]) => [k, stringify(v)])),
        ),
        rows_count: r.rowCount ?? r.rows.length,
      }));
      return text(JSON.stringify({ results }));
    } catch (err) {
      return text(JSON.stringify({ results: null, error: pgErrorText(err) }), true);
    } finally {
      await flushAudit();
    }
  };

  const handle = async (
    id: JsonRpcId,
    method: string,
    params: Record<string, unknown>,
  ): Promise<string> => {
    switch (method) {
      case 'initialize': {
        const requested = typeof params.protocolVersion === 'string' ? params.protocolVersion : '';
        return resultResponse(id, {
          protocolVersion: SUPPORTED_PROTOCOLS.includes(requested)
            ? requested
            : SUPPORTED_PROTOCOLS[0],
          capabilities: { resources: {}, tools: {} },
          serverInfo: { name: 'teleport_databases', version: TELEPORT_VERSION },
        });
      }
      case 'ping':
        return resultResponse(id, {});
      case 'tools/list':
        return resultResponse(id, { tools: TOOLS });
      case 'tools/call': {
        const name = typeof params.name === 'string' ? params.name : '';
        if (!TOOLS.some((t) => t.name === name))
          return errorResponse(id, -32602, `tool '${name}' not found: tool not found`);
        return resultResponse(
          id,
          await callTool(name, (params.arguments ?? {}) as Record<string, unknown>),
        );
      }
      case 'resources/list':
        return resultResponse(id, {
          resources: served.map((db) => ({
            uri: db.uri.uri,
            name: `${db.uri.name} Database`,
            mimeType: 'application/yaml',
          })),
        });
      case 'resources/read': {
        const db = served.find((d) => d.uri.uri === params.uri);
        if (!db) return errorResponse(id, -32002, 'resource not found');
        return resultResponse(id, {
          contents: [{ uri: db.uri.uri, mimeType: 'application/yaml', text: databaseYaml(db) }],
        });
      }
      default:
        return errorResponse(id, METHOD_NOT_FOUND, 'Method not found');
    }
  };

  const inflight = new Set<Promise<void>>();
  const done = readLines(ctx.io.stdin, (line) => {
    const message = parseMessage(line);
    if (!message) {
      ctx.out(errorResponse(null, -32700, 'Parse error') + '\n');
      return;
    }
    if (!isRequest(message)) return; // notifications (initialized, cancelled) need no answer
    const work = handle(
      message.id,
      message.method,
      (message.params ?? {}) as Record<string, unknown>,
    ).then((response) => {
      ctx.out(response + '\n');
    });
    inflight.add(work);
    void work.finally(() => inflight.delete(work));
  });
  await Promise.race([done, ctx.io.signal]);
  await Promise.allSettled([...inflight]);
  await Promise.allSettled([...pools.values()].map((p) => p.end()));
  for (const [name, sid] of sessions) {
    const db = served.find((d) => d.uri.name === name);
    if (db) ctx.audit.emit({ event: 'db.session.end', code: 'TDB01I', sid, ...dbFields(db) });
  }
  return 0;
}
