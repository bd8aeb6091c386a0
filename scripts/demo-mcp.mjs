#!/usr/bin/env node
// A small MCP client for the running `npm run demo`: reads <data-dir>/env.json for the gateway
// URL and the API keys, then lists tools, calls one, or opens a proxy_db lease and shows how to
// connect psql to it. Uses the official MCP TypeScript SDK client installed with the workspace.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROLES = ['admin', 'operator', 'user', 'readonly'];

const HELP = `Usage: node scripts/demo-mcp.mjs <command> [options]

Talks to the gateway of a running \`npm run demo\` (reads <data-dir>/env.json).

Commands:
  tools                       list the tools the key may call
  call <tool> [json-args]     call a tool, e.g. call search_audit '{"hours":1}'
  lease                       start a proxy_db lease on the edge agent and print how to
                              connect psql to it
  stop <lease-id>             stop a lease

Options:
  --role <role>       whose demo key to use: admin, operator (default), user, readonly
  --data-dir <dir>    the demo's data dir (default: .demo)
  --db <name>         lease: the Teleport database (default: pg, the demo's Postgres)
  --db-user <user>    lease: database user (default: postgres)
  --db-name <name>    lease: database name (default: tmcp)
  --ttl <seconds>     lease: lifetime (default: 900)
  --query <sql>       lease: also run this query through the lease and print the rows
  --reason <text>     the reason recorded with mutating calls (default: "demo")
  -h, --help          show this help`;

class UsageError extends Error {}

function parseCommandLine(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        role: { type: 'string', default: 'operator' },
        'data-dir': { type: 'string' },
        db: { type: 'string', default: 'pg' },
        'db-user': { type: 'string', default: 'postgres' },
        'db-name': { type: 'string', default: 'tmcp' },
        ttl: { type: 'string', default: '900' },
        query: { type: 'string' },
        reason: { type: 'string', default: 'demo' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(err.message);
  }
  const { values, positionals } = parsed;
  if (!ROLES.includes(values.role)) {
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  }
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0)
    throw new UsageError('--ttl must be a whole number of seconds');
  return { ...values, ttl, positionals };
}

function readDemoEnv(dataDir) {
  const file = path.join(dataDir, 'env.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`cannot read ${file}: start the demo first with \`npm run demo\``);
  }
}

async function connect(env, role) {
  const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const client = new Client({ name: 'tmcp-demo-mcp', version: '1.0.0' });
  try {
    await client.connect(
      new StreamableHTTPClientTransport(new URL(env.mcp_url), {
        requestInit: { headers: { Authorization: `Bearer ${env.api_keys[role]}` } },
      }),
    );
  } catch (err) {
    throw new Error(
      `cannot reach the gateway at ${env.mcp_url} (${err.message}); is \`npm run demo\` still running?`,
    );
  }
  return client;
}

function textOf(result) {
  return (result.content ?? [])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

async function callTool(client, name, args) {
  const result = await client.callTool(
    { name, arguments: args },
    {
      timeout: 120_000,
      resetTimeoutOnProgress: true,
      onprogress: (p) => {
        if (p.message) process.stderr.write(`  … ${p.message}\n`);
      },
    },
  );
  if (result.isError) throw new Error(`${name}: ${textOf(result)}`);
  return result;
}

/** psql through the lease: the demo's embedded Postgres keeps its password in a file. */
function psqlCommand(env, dataDir, listenAddr, dbUser, dbName) {
  const [host, port] = [
    listenAddr.slice(0, listenAddr.lastIndexOf(':')),
    listenAddr.slice(listenAddr.lastIndexOf(':') + 1),
  ];
  const passwordFile = path.join(dataDir, 'postgres-password');
  const password = fs.existsSync(passwordFile)
    ? `PGPASSWORD="$(cat ${path.relative(process.cwd(), passwordFile) || passwordFile})" `
    : 'PGPASSWORD=<the database password> ';
  return `${password}psql -h ${host} -p ${port} -U ${dbUser} ${dbName}`;
}

async function runQuery(env, listenAddr, dbUser, dbName, sql) {
  const { default: pg } = await import('pg');
  const sep = listenAddr.lastIndexOf(':');
  const client = new pg.Client({
    host: listenAddr.slice(0, sep),
    port: Number(listenAddr.slice(sep + 1)),
    user: dbUser,
    database: dbName,
    password: decodeURIComponent(new URL(env.database_url).password),
  });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

async function main() {
  const options = parseCommandLine(process.argv.slice(2));
  const [command, ...rest] = options.positionals;
  if (options.help || command === undefined) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const dataDir = options['data-dir']
    ? path.resolve(process.env.INIT_CWD ?? process.cwd(), options['data-dir'])
    : path.join(root, '.demo');
  const env = readDemoEnv(dataDir);
  const client = await connect(env, options.role);
  try {
    switch (command) {
      case 'tools': {
        const { tools } = await client.listTools();
        for (const tool of tools) console.log(`${tool.name.padEnd(28)} ${tool.title ?? ''}`);
        console.log(`\n${tools.length} tools for the ${options.role} key`);
        return;
      }
      case 'call': {
        const [name, json] = rest;
        if (name === undefined) throw new UsageError('call needs a tool name');
        let args = {};
        if (json !== undefined) {
          try {
            args = JSON.parse(json);
          } catch {
            throw new UsageError(`the arguments must be a JSON object, got: ${json}`);
          }
        }
        const result = await callTool(client, name, args);
        console.log(textOf(result));
        if (result.structuredContent !== undefined) {
          console.log(JSON.stringify(result.structuredContent, null, 2));
        }
        return;
      }
      case 'lease': {
        const dbUser = options['db-user'];
        const dbName = options['db-name'];
        const result = await callTool(client, 'start_proxy', {
          kind: 'proxy_db',
          target: { db: options.db, db_user: dbUser, db_name: dbName },
          ttl_seconds: options.ttl,
          reason: options.reason,
        });
        const lease = result.structuredContent ?? {};
        console.log(textOf(result));
        if (typeof lease.listen_addr !== 'string') {
          throw new Error(`the lease is ${lease.status ?? 'not active'}; see get_proxy_status`);
        }
        console.log(
          `\nlease ${lease.lease_id} on agent ${lease.agent_id}, until ${lease.expires_at}`,
        );
        console.log(`connect:  ${psqlCommand(env, dataDir, lease.listen_addr, dbUser, dbName)}`);
        console.log(`stop:     node scripts/demo-mcp.mjs stop ${lease.lease_id}`);
        if (options.query !== undefined) {
          const rows = await runQuery(env, lease.listen_addr, dbUser, dbName, options.query);
          console.log(`\n${options.query}  →  ${JSON.stringify(rows)}`);
        }
        return;
      }
      case 'stop': {
        const [leaseId] = rest;
        if (leaseId === undefined) throw new UsageError('stop needs a lease id');
        console.log(
          textOf(
            await callTool(client, 'stop_proxy', { lease_id: leaseId, reason: options.reason }),
          ),
        );
        return;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  if (err instanceof UsageError) {
    process.stderr.write(`demo-mcp: ${err.message}\n\n${HELP}\n`);
    process.exit(2);
  }
  process.stderr.write(`demo-mcp: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
