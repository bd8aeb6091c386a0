#!/usr/bin/env node
// Lease benchmark of the control plane, run as its own process: a spawned `tmcp-server serve`
// (real PostgreSQL and Redis, the Teleport simulator) and, in this process, N lightweight
// simulated agents (FakeAgent: enrolled through the real Enroll RPC with a join token, connected
// over mTLS gRPC with their certificates, answering StartLease at once without running tsh).
//  1. start latency: MCP `start_proxy` (SDK client, C concurrent callers) → the call returns
//     `active` (insert, BullMQ dispatch, stream, agent ack + LeaseStarted, wake-up);
//  2. control-plane CPU (utime+stime deltas of /proc/<pid>/stat) and RSS (VmRSS) while the N
//     agents heartbeat, first with no lease, then with M active leases;
//  3. log throughput end to end: the agents send LeaseLogBatch messages on their streams and
//     this process counts the lines landed in lease_logs over time.
// The bench's own CPU (the agents, the MCP clients) is not in the figures: only the server's
// process is sampled. TTL precision needs real lease processes: see real-agent.mjs.
// Build first: npx turbo run build --filter=@tmcp/e2e... --filter=@tmcp/control-plane...
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LeaseWorld } from '../../test/dist/leases/lease-world.js';
import {
  distribution,
  intFlags,
  LEASES_PER_PRINCIPAL,
  machine,
  pool,
  principalCallers,
  printTable,
  sampleProcess,
  sleep,
  usageText,
} from './common.mjs';

const cpDist = new URL('../../apps/control-plane/dist/', import.meta.url);
const { enrollFakeAgent, FakeAgent } = await import(
  new URL('agents/fake-agent.testing.js', cpDist).href
);
const { JoinTokensService } = await import(new URL('agents/join-tokens.service.js', cpDist).href);

const flags = intFlags(
  {
    agents: 100,
    leases: 200,
    concurrency: 8,
    active: 0,
    'heartbeat-seconds': 10,
    'load-seconds': 20,
    'log-lines': 200_000,
    'log-batch': 500,
    'log-leases': 50,
  },
  'node bench/leases/run.mjs [flags]: control plane as its own process, simulated agents.\n' +
    '  --active M: active leases while sampling (default = --leases; extra ones are untimed)',
);
const ACTIVE = Math.max(flags.active, flags.leases);
/** lease_logs keeps the newest 5000 lines of a lease: stay under it so counting is exact. */
const PER_LEASE_MAX = 4_000;

console.log(`machine: ${machine()}`);
const started = performance.now();
const world = await LeaseWorld.create({
  server: {
    policy: {
      max_concurrent_proxies_per_actor: LEASES_PER_PRINCIPAL + 1,
      max_proxy_ttl_seconds: 3600,
    },
  },
  agentService: { heartbeat_interval_seconds: flags['heartbeat-seconds'] },
});
const agents = [];
const timers = [];
const rows = [];
try {
  const server = await world.start();
  console.log(`tmcp-server pid ${server.pid}, agent service ${server.agentAddr}`);

  // Simulated agents: join tokens minted in the server's database, then the real Enroll RPC.
  const caPem = readFileSync(path.join(world.dir, 'ca', 'ca.crt'), 'utf8');
  const tokens = new JoinTokensService(world.db, { agentService: { joinTokenTtlSeconds: 900 } });
  // Enrollment one at a time: the simulated agents' CSRs all propose the same name, and
  // concurrent enrollments with one proposed name race on the unique name (found by this bench).
  const identities = [];
  for (let i = 0; i < flags.agents; i++) {
    const { token } = await tokens.create({ labels: {}, createdBy: 'bench' });
    identities.push(await enrollFakeAgent(server.agentAddr, caPem, token));
  }
  await pool(identities.length, 8, async (k) => {
    const agent = new FakeAgent(identities[k], server.agentAddr);
    await agent.connect();
    agents.push(agent);
  });
  let heartbeats = 0;
  let heartbeatErrors = 0;
  const period = flags['heartbeat-seconds'] * 1000;
  for (const agent of agents) {
    const beat = () =>
      agent.heartbeat().then(
        () => heartbeats++,
        () => heartbeatErrors++,
      );
    // Spread over the period, as independent agents would be.
    timers.push(
      setTimeout(() => {
        void beat();
        timers.push(setInterval(() => void beat(), period));
      }, Math.random() * period),
    );
  }
  console.log(`${agents.length} simulated agents enrolled and connected`);

  const idle = sampleProcess(server.pid);
  await sleep(flags['load-seconds'] * 1000);
  const idleUsage = idle.stop();
  rows.push([
    'control plane, agents idle',
    usageText(idleUsage),
    `${agents.length} agents, heartbeat every ${flags['heartbeat-seconds']} s, 0 leases, ${idleUsage.seconds.toFixed(0)} s`,
  ]);

  // 1. Start latency through MCP.
  // One MCP client per principal (the role caps a principal's active leases); lease k is asked
  // for by principal k mod P, with --concurrency calls in flight.
  const callers = await principalCallers(world, Math.ceil(ACTIVE / LEASES_PER_PRINCIPAL));
  const callerOf = (k) => callers[k % callers.length];
  await callers[0].call('stop_proxy', {
    lease_id: (await callers[0].startDb({ ttl_seconds: 60 })).lease_id,
    reason: 'bench warm-up',
  });
  const startUsage = sampleProcess(server.pid);
  const t0 = performance.now();
  const latencies = await pool(flags.leases, flags.concurrency, async (k) => {
    const t = performance.now();
    const lease = await callerOf(k).startDb({ ttl_seconds: 3600, reason: 'bench' });
    if (lease.status !== 'active') throw new Error(`lease ${lease.lease_id} is ${lease.status}`);
    return performance.now() - t;
  });
  const startSeconds = (performance.now() - t0) / 1000;
  const during = startUsage.stop();
  rows.push([
    'lease start latency (MCP → active)',
    distribution(latencies),
    `n=${latencies.length}, ${flags.concurrency} concurrent MCP clients, ${(latencies.length / startSeconds).toFixed(1)} starts/s`,
  ]);
  rows.push(['control plane, during starts', usageText(during), `${startSeconds.toFixed(1)} s`]);
  if (ACTIVE > flags.leases) {
    await pool(ACTIVE - flags.leases, flags.concurrency, (k) =>
      callerOf(flags.leases + k).startDb({ ttl_seconds: 3600, reason: 'bench' }),
    );
  }

  // 2. Control-plane cost with M active leases (each heartbeat carries its inventory).
  const [{ n: active }] = await world.db.query(
    `SELECT count(*)::int AS n FROM leases WHERE status = 'active'`,
  );
  const beats0 = heartbeats;
  const loaded = sampleProcess(server.pid);
  await sleep(flags['load-seconds'] * 1000);
  const loadedUsage = loaded.stop();
  rows.push([
    'control plane, active leases',
    usageText(loadedUsage),
    `${agents.length} agents, ${active} active leases, ${((heartbeats - beats0) / loadedUsage.seconds).toFixed(1)} heartbeats/s, ${loadedUsage.seconds.toFixed(0)} s`,
  ]);

  // 3. Log throughput: LeaseLogBatch on the agents' streams → lease_logs.
  const owned = agents.flatMap((agent) =>
    [...agent.running].map(([leaseId, l]) => ({ agent, leaseId, generation: l.generation })),
  );
  const logLeases = owned.slice(
    0,
    Math.max(flags['log-leases'], Math.ceil(flags['log-lines'] / PER_LEASE_MAX)),
  );
  const perLease = Math.ceil(flags['log-lines'] / logLeases.length);
  if (perLease > PER_LEASE_MAX) {
    throw new Error(
      `${perLease} lines per lease exceeds ${PER_LEASE_MAX}: raise --active or lower --log-lines`,
    );
  }
  const total = perLease * logLeases.length;
  const ids = logLeases.map((l) => l.leaseId);
  const countLanded = async () =>
    (
      await world.db.query(
        `SELECT count(*)::int AS n FROM lease_logs WHERE lease_id = ANY($1) AND stream <> 'system'`,
        [ids],
      )
    )[0].n;
  const base = await countLanded();
  const text = (seq) =>
    `2026-01-01T00:00:00.000Z INFO proxy: connection ${seq} from 127.0.0.1:54321 accepted`;
  const logUsage = sampleProcess(server.pid);
  const tl = performance.now();
  const sending = Promise.all(
    logLeases.map(async ({ agent, leaseId, generation }) => {
      for (let seq = 1; seq <= perLease; seq += flags['log-batch']) {
        const now = Date.now();
        const ts = { seconds: BigInt(Math.floor(now / 1000)), nanos: (now % 1000) * 1e6 };
        const lines = [];
        for (let s = seq; s < Math.min(seq + flags['log-batch'], perLease + 1); s++) {
          lines.push({ seq: BigInt(s), ts, stream: 1, line: text(s) });
        }
        await agent.send({
          case: 'leaseLogBatch',
          value: { leaseId, generation, dropped: 0n, lines },
        });
      }
    }),
  );
  let landed = 0;
  let lastChange = performance.now();
  const curve = [];
  while (landed < total) {
    await sleep(250);
    const n = (await countLanded()) - base;
    if (n > landed) lastChange = performance.now();
    landed = n;
    curve.push({ t: (performance.now() - tl) / 1000, n });
    if (performance.now() - lastChange > 30_000) break;
  }
  await sending;
  const logSeconds = (lastChange - tl) / 1000;
  const logUsed = logUsage.stop();
  const half = curve.find((c) => c.n >= landed / 2);
  rows.push([
    'log throughput (agent stream → lease_logs)',
    `${(landed / logSeconds).toFixed(0)} lines/s`,
    `${landed}/${total} lines landed in ${logSeconds.toFixed(1)} s, ${logLeases.length} leases, batches of ${flags['log-batch']}` +
      (half === undefined ? '' : `, half landed at ${half.t.toFixed(1)} s`),
  ]);
  rows.push([
    'control plane, during log ingest',
    usageText(logUsed),
    `${logUsed.seconds.toFixed(1)} s`,
  ]);
  if (heartbeatErrors > 0) rows.push(['heartbeat send errors', String(heartbeatErrors), '']);
} catch (error) {
  console.error(`--- tmcp-server log (tail) ---\n${world.servers[0]?.tail(30) ?? ''}`);
  throw error;
} finally {
  for (const t of timers) clearInterval(t);
  for (const agent of agents) agent.close();
  await world.close();
}
printTable(`bench/leases (${((performance.now() - started) / 1000).toFixed(0)} s)`, [
  ['machine', machine(), ''],
  ...rows,
]);
process.exit(0);
