#!/usr/bin/env node
// MCP gateway benchmark: N concurrent SDK v2 clients call `list_nodes` (tctl through the Teleport
// simulator) and `search_audit` (PostgreSQL only) against a spawned tmcp-server, then prints
// calls/s, p50, p99 and the gateway's own overhead: call latency minus the time of running the
// same tctl argv directly at the same concurrency. Uses the e2e support helpers (build the
// `test` workspace first). Env: BENCH_CLIENTS (8), BENCH_CALLS (25 per client), BENCH_EVENTS
// (2000 audit events ingested first), TMCP_E2E_SERVER_BIN (server binary).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Redis } from 'ioredis';
import {
  createE2eDatabase,
  createSimCluster,
  E2E_REDIS_URL,
  startControlPlane,
} from '../../test/dist/support/index.js';

const run = promisify(execFile);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const CALLS = Number(process.env.BENCH_CALLS ?? 25);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const INGEST_TOKEN = randomBytes(24).toString('hex');

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(label, latencies, wallMs) {
  const s = [...latencies].sort((a, b) => a - b);
  return {
    label,
    calls: s.length,
    perSecond: (s.length / (wallMs / 1000)).toFixed(1),
    p50: pct(s, 50).toFixed(1),
    p99: pct(s, 99).toFixed(1),
  };
}

/** `concurrency` loops of `count` runs each of `task`; returns latencies (ms) and wall time. */
async function drive(concurrency, count, task) {
  const latencies = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; i < count; i++) {
        const t = performance.now();
        await task(worker);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, wallMs: performance.now() - start };
}

const db = await createE2eDatabase();
const sim = createSimCluster();
const prefix = `tmcp-bench-${randomBytes(4).toString('hex')}`;
let server;
const clients = [];
try {
  const identity = sim.identity('admin', '1h');
  const cluster = sim.clusterEntry('main', identity);
  server = await startControlPlane({
    databaseUrl: db.url,
    redisUrl: E2E_REDIS_URL,
    redisKeyPrefix: prefix,
    config: {
      service: { log_level: 'info' },
      teleport: { clusters: [cluster] },
      rate_limit: { enabled: false },
      audit: { ingest_token: INGEST_TOKEN },
    },
  });
  const { api_key: key } = JSON.parse(
    await server.cli([
      'principals',
      'create',
      '--name',
      'bench',
      '--role',
      'admin',
      '--kind',
      'user',
      '--json',
    ]),
  );

  for (let i = 0; i < CLIENTS; i++) {
    const client = new Client(
      { name: `bench-${i}`, version: '1' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${key}` } },
      }),
    );
    clients.push(client);
  }
  const tools = new Set((await clients[0].listTools()).tools.map((t) => t.name));

  // Warm-up: JIT, key verification cache, pools.
  await drive(CLIENTS, 2, (w) => clients[w].callTool({ name: 'list_nodes', arguments: {} }));

  const nodes = await drive(CLIENTS, CALLS, async (w) => {
    const r = await clients[w].callTool({ name: 'list_nodes', arguments: {} });
    if (r.isError) throw new Error(JSON.stringify(r.content));
  });
  // The same argv the gateway runs, run directly, at the same concurrency.
  const argv = [
    `--identity=${identity}`,
    '--auth-server=teleport.example.com:443',
    'get',
    'nodes',
    '--format=json',
  ];
  const direct = await drive(CLIENTS, CALLS, () =>
    run(cluster.tctl_path, argv, { env: { PATH: process.env.PATH, HOME: process.env.HOME } }),
  );

  // One client, one call at a time: no coalescing, no CPU contention — the overhead proper.
  const nodes1 = await drive(1, CALLS, () =>
    clients[0].callTool({ name: 'list_nodes', arguments: {} }),
  );
  const direct1 = await drive(1, CALLS, () =>
    run(cluster.tctl_path, argv, { env: { PATH: process.env.PATH, HOME: process.env.HOME } }),
  );

  let audit;
  if (tools.has('search_audit')) {
    const now = Date.now();
    await drive(8, Math.ceil(EVENTS / 8), async (w) => {
      const i = Math.floor(Math.random() * 1e9);
      const res = await fetch(`${server.baseUrl}/audit/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` },
        body: JSON.stringify({
          event: ['user.login', 'session.start', 'role.created', 'db.session.start'][i % 4],
          code: 'T1000I',
          time: new Date(now - (i % 3600) * 1000).toISOString(),
          uid: `bench-${w}-${i}`,
          user: `user-${i % 20}`,
          success: i % 7 !== 0,
          cluster_name: 'teleport.example.com',
        }),
      });
      if (!res.ok) throw new Error(`ingest ${res.status}: ${await res.text()}`);
    });
    audit = await drive(CLIENTS, CALLS, async (w) => {
      const r = await clients[w].callTool({ name: 'search_audit', arguments: { hours: 2 } });
      if (r.isError) throw new Error(JSON.stringify(r.content));
    });
  }

  const cpu = os.cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? '?'} × ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`,
  );
  console.log(
    `clients: ${CLIENTS} concurrent SDK v2 clients (2026-07-28 era), ${CALLS} calls each`,
  );
  const rows = [
    summary('list_nodes via gateway, 1 client', nodes1.latencies, nodes1.wallMs),
    summary('tctl get nodes direct, sequential', direct1.latencies, direct1.wallMs),
    summary(`list_nodes via gateway, ${CLIENTS} clients`, nodes.latencies, nodes.wallMs),
    summary(`tctl get nodes direct, ${CLIENTS} parallel`, direct.latencies, direct.wallMs),
    ...(audit === undefined
      ? []
      : [summary('search_audit via gateway', audit.latencies, audit.wallMs)]),
  ];
  console.table(
    rows.map((r) => ({
      '': r.label,
      calls: r.calls,
      'calls/s': r.perSecond,
      'p50 ms': r.p50,
      'p99 ms': r.p99,
    })),
  );
  const overhead = (a, b) =>
    `p50 ${(Number(a.p50) - Number(b.p50)).toFixed(1)} ms, p99 ${(Number(a.p99) - Number(b.p99)).toFixed(1)} ms`;
  console.log(
    `gateway overhead on list_nodes (call − direct tctl), 1 client: ${overhead(rows[0], rows[1])}`,
  );
  console.log(`gateway overhead on list_nodes, ${CLIENTS} clients: ${overhead(rows[2], rows[3])}`);
  console.log(
    '(with several clients, identical concurrent reads share one tctl process, so the overhead can be negative)',
  );
  if (audit === undefined)
    console.log('search_audit: not served by this build (audit tools not wired); skipped');
} finally {
  await Promise.allSettled(clients.map((c) => c.close()));
  await server?.stop();
  const redis = new Redis(E2E_REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await db.drop();
  sim.cleanup();
}
