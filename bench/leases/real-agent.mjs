#!/usr/bin/env node
// Lease benchmark with the REAL agent: a spawned tmcp-server, a spawned tmcp-agent (enrolled
// with a join token and the CA pin), the Teleport simulator as tsh, real PostgreSQL and Redis.
//  1. start latency: MCP `start_proxy` (SDK client, C concurrent callers) → returned `active`
//     (the call waits for it) with a real tsh process spawned and its banner read; each lease is
//     stopped afterwards (not timed) so the agent's load stays at C;
//  2. TTL precision: kill time − expires_at, the kill time seen by polling the proxy's pid and
//     process group every 5 ms from this process (the agent's local deadline does the killing).
// Build first: npx turbo run build --filter=@tmcp/e2e... --filter=@tmcp/edge-agent...
import { performance } from 'node:perf_hooks';
import { alive, LeaseWorld } from '../../test/dist/leases/lease-world.js';
import {
  distribution,
  intFlags,
  machine,
  pool,
  principalCallers,
  printTable,
  sleep,
} from './common.mjs';

const flags = intFlags(
  {
    leases: 100,
    concurrency: 8,
    'ttl-leases': 50,
    'ttl-concurrency': 8,
    'ttl-seconds': 3,
  },
  'node bench/leases/real-agent.mjs [flags]: one real tmcp-agent running the tsh simulator.',
);

console.log(`machine: ${machine()}`);
const started = performance.now();
const world = await LeaseWorld.create({
  server: {
    policy: {
      max_concurrent_proxies_per_actor: Math.max(flags.concurrency, flags['ttl-leases']) + 100,
      max_proxy_ttl_seconds: 3600,
    },
  },
});
const rows = [];
try {
  await world.start();
  await world.runAgent(await world.enrollAgent('bench-edge', { extra: { log_level: 'info' } }));
  // A principal per caller: the role caps a principal's active leases at 10.
  const callers = await principalCallers(
    world,
    Math.max(flags.concurrency, flags['ttl-concurrency']),
  );
  await callers[0].call('stop_proxy', {
    lease_id: (await callers[0].startDb({ ttl_seconds: 60 })).lease_id,
    reason: 'bench warm-up',
  });

  // 1. Start latency through MCP with the real agent and a tsh process per lease.
  const t0 = performance.now();
  const latencies = await pool(flags.leases, flags.concurrency, async (_, worker) => {
    const t = performance.now();
    const lease = await callers[worker].startDb({ ttl_seconds: 600, reason: 'bench' });
    const ms = performance.now() - t;
    if (lease.status !== 'active') throw new Error(`lease ${lease.lease_id} is ${lease.status}`);
    await callers[worker].call('stop_proxy', { lease_id: lease.lease_id, reason: 'bench' });
    return ms;
  });
  const seconds = (performance.now() - t0) / 1000;
  rows.push([
    'lease start latency (MCP → active)',
    distribution(latencies),
    `n=${latencies.length}, ${flags.concurrency} concurrent MCP clients, real agent + tsh sim, ${(latencies.length / seconds).toFixed(1)} start+stop/s`,
  ]);

  // 2. TTL precision: each lease watched until its process (and group) is gone.
  const lateness = await pool(flags['ttl-leases'], flags['ttl-concurrency'], async (_, worker) => {
    const lease = await callers[worker].startDb({ ttl_seconds: flags['ttl-seconds'] });
    if (typeof lease.pid !== 'number') throw new Error(`lease ${lease.lease_id} has no pid`);
    const expiresAt = Date.parse(lease.expires_at);
    while (alive(lease.pid) || alive(-lease.pid)) await sleep(5);
    return Date.now() - expiresAt;
  });
  rows.push([
    'TTL precision (process gone − expires_at)',
    distribution(lateness),
    `n=${lateness.length}, ttl ${flags['ttl-seconds']} s, ${flags['ttl-concurrency']} concurrent, agent's local deadline (SIGTERM, then exit)`,
  ]);
  rows.push([
    'TTL bound (gone ≤ 1000 ms after expires_at)',
    `${lateness.filter((l) => l <= 1000).length}/${lateness.length}`,
    '',
  ]);
} catch (error) {
  console.error(`--- tmcp-server log (tail) ---\n${world.servers[0]?.tail(30) ?? ''}`);
  console.error(`--- tmcp-agent log (tail) ---\n${world.agents[0]?.tail(30) ?? ''}`);
  throw error;
} finally {
  await world.close();
}
printTable(`bench/leases real agent (${((performance.now() - started) / 1000).toFixed(0)} s)`, [
  ['machine', machine(), ''],
  ...rows,
]);
process.exit(0);
