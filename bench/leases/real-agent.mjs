#!/usr/bin/env node
// Lease benchmark with the REAL agent: a spawned tmcp-server, a spawned tmcp-agent (enrolled
// with a join token and the CA pin), the Teleport simulator as tsh, real PostgreSQL and Redis.
//  1. start latency: MCP `start_proxy` call → returned `active` (the call waits for it),
//     sequential, each lease stopped afterwards (not timed) so load stays constant;
//  2. TTL precision: kill time − expires_at, the kill time seen by polling the proxy's pid
//     every 5 ms from this process (the agent's local deadline does the killing).
// Uses the e2e support (build the `test` workspace first). Env: BENCH_LEASES (30),
// BENCH_TTL_LEASES (20), BENCH_TTL_SECONDS (3).
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { alive, LeaseWorld } from '../../test/dist/leases/lease-world.js';

const LEASES = Number(process.env.BENCH_LEASES ?? 30);
const TTL_LEASES = Number(process.env.BENCH_TTL_LEASES ?? 20);
const TTL_SECONDS = Number(process.env.BENCH_TTL_SECONDS ?? 3);

const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  const f = (n) => `${n.toFixed(0)} ms`;
  return `min ${f(s[0])}  p50 ${f(pct(s, 50))}  p90 ${f(pct(s, 90))}  p99 ${f(pct(s, 99))}  max ${f(s[s.length - 1])}  (n=${s.length})`;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

console.log(
  `machine: ${os.cpus()[0]?.model} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `node ${process.version}, ${os.platform()} ${os.release()}, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
);
const world = await LeaseWorld.create({
  server: {
    policy: { max_concurrent_proxies_per_actor: 1000, max_proxy_ttl_seconds: 3600 },
  },
});
try {
  await world.start();
  await world.runAgent(await world.enrollAgent('bench-edge', { extra: { log_level: 'info' } }));
  const mcp = await world.mcp();
  await mcp.call('stop_proxy', { lease_id: (await mcp.startDb({ ttl_seconds: 60 })).lease_id }); // warm-up

  // 1. Start latency through MCP with the real agent and tsh process.
  const latencies = [];
  for (let i = 0; i < LEASES; i++) {
    const t = performance.now();
    const lease = await mcp.startDb({ ttl_seconds: 600 });
    latencies.push(performance.now() - t);
    if (lease.status !== 'active') throw new Error(`lease ${lease.lease_id} is ${lease.status}`);
    await mcp.call('stop_proxy', { lease_id: lease.lease_id, reason: 'bench' });
  }
  console.log(
    `start latency (MCP start_proxy → active, real agent + tsh sim, sequential): ${summary(latencies)}`,
  );

  // 2. TTL precision: leases started back to back, each watched until its process is gone.
  const watched = [];
  for (let i = 0; i < TTL_LEASES; i++) {
    const lease = await mcp.startDb({ ttl_seconds: TTL_SECONDS });
    const expiresAt = Date.parse(lease.expires_at);
    watched.push(
      (async () => {
        while (alive(lease.pid) || alive(-lease.pid)) await sleep(5);
        return Date.now() - expiresAt;
      })(),
    );
  }
  const lateness = await Promise.all(watched);
  console.log(
    `TTL precision (proxy gone − expires_at, agent's local deadline, SIGTERM then exit): ${summary(lateness)}`,
  );
  console.log(
    `TTL bound (≤ 1000 ms) held for ${lateness.filter((l) => l <= 1000).length}/${lateness.length}`,
  );
} finally {
  await world.close();
}
