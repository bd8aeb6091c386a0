// Lease benchmark: start latency, expiry precision, control-plane cost of many heartbeating
// agents, log throughput into PostgreSQL. Runs the control plane's agent/lease half in-process
// (real PostgreSQL, Redis, gRPC over mTLS) against lightweight simulated agents (FakeAgent:
// real proto clients that run no processes). Prints figures and machine info.
//   npm run build -w @tmcp/control-plane && node bench/leases/run.mjs
import 'reflect-metadata';
import os from 'node:os';

const cp = new URL('../../apps/control-plane/dist/', import.meta.url);
const { startLeaseHarness } = await import(
  new URL('leases/lease-test-harness.testing.js', cp).href
);

const LEASES = Number(process.env.BENCH_LEASES ?? 300);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 100);
const EXPIRING = Number(process.env.BENCH_EXPIRING ?? 50);
const LOG_LINES = Number(process.env.BENCH_LOG_LINES ?? 200_000);

const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (n) => `${n.toFixed(1)} ms`;
function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  return `p50 ${ms(pct(s, 50))}  p90 ${ms(pct(s, 90))}  p99 ${ms(pct(s, 99))}  max ${ms(s[s.length - 1])}  (n=${s.length})`;
}
async function pool(items, concurrency, fn) {
  const out = [];
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) {
        const k = i++;
        out[k] = await fn(items[k], k);
      }
    }),
  );
  return out;
}

console.log(
  `machine: ${os.cpus()[0]?.model} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`,
);
const h = await startLeaseHarness({
  policy: { max_concurrent_proxies_per_actor: 100_000, max_proxy_ttl_seconds: 86_400 },
});
try {
  const agents = [];
  for (let i = 0; i < AGENTS; i++) agents.push(await h.connectAgent());
  console.log(`${AGENTS} simulated agents enrolled and connected`);

  // 1. Start latency: LeaseService.start → active (insert under the cap lock, BullMQ dispatch,
  // stream write, agent ack + LeaseStarted, Postgres update, waiter wake-up).
  const latencies = await pool(Array.from({ length: LEASES }), 16, async (_, k) => {
    const t = performance.now();
    const lease = await h.leases.start({
      actor: `actor-${k % 50}`,
      kind: 'proxy_db',
      target: { db: 'pg' },
      ttlSeconds: 3600,
    });
    if (lease.status !== 'active') throw new Error(`lease ${lease.leaseId} is ${lease.status}`);
    return performance.now() - t;
  });
  console.log(`start latency (start → active, 16 concurrent callers): ${summary(latencies)}`);

  // 2. Expiry precision of the control plane: ended_at (DB clock when the delayed expiry job
  // marked it expired) − expires_at. The agent-side kill needs the real tmcp-agent (not measured).
  const expiring = await pool(Array.from({ length: EXPIRING }), 16, async (_, k) =>
    h.leases.start({ actor: `exp-${k}`, kind: 'proxy_db', target: { db: 'pg' }, ttlSeconds: 2 }),
  );
  const ids = expiring.map((l) => l.leaseId);
  for (;;) {
    const [row] = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM leases WHERE lease_id = ANY($1) AND status = 'expired'`,
      [ids],
    );
    if (row.n === ids.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const rows = await h.dataSource.query(
    `SELECT extract(epoch FROM (ended_at - expires_at)) * 1000 AS late FROM leases WHERE lease_id = ANY($1)`,
    [ids],
  );
  console.log(
    `expiry precision (ended_at − expires_at, delayed BullMQ job): ${summary(rows.map((r) => Number(r.late)))}`,
  );

  // 3. Cost of many heartbeating agents with many active leases (each heartbeat = presence
  // update + inventory reconcile query). Agents heartbeat every second for 10 s.
  const [active] = await h.dataSource.query(
    `SELECT count(*)::int AS n FROM leases WHERE status = 'active'`,
  );
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let beats = 0;
  for (let s = 0; s < 10; s++) {
    const tick = performance.now();
    await Promise.all(
      agents.map(async (a) => {
        await a.heartbeat();
        beats++;
      }),
    );
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - tick))));
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mem = process.memoryUsage();
  console.log(
    `heartbeats: ${AGENTS} agents × 1/s for ${wall.toFixed(1)} s with ${active.n} active leases: ` +
      `${(beats / wall).toFixed(0)} heartbeats/s, CPU ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1)}% of one core ` +
      `(control plane AND simulated agents, one process), RSS ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`,
  );

  // 4. Log throughput into PostgreSQL: batches of 500 lines (≈ one agent batch), 20 leases in
  // parallel, through LeaseReportService (idempotent insert + per-lease retention delete).
  const leases = await h.dataSource.query(
    `SELECT lease_id, edge_agent_id FROM leases WHERE status = 'active' LIMIT 20`,
  );
  const perLease = Math.ceil(LOG_LINES / leases.length);
  const tl = performance.now();
  await Promise.all(
    leases.map(async (l) => {
      for (let seq = 1; seq <= perLease; seq += 500) {
        const lines = Array.from({ length: Math.min(500, perLease - seq + 1) }, (_, i) => ({
          seq: seq + i,
          ts: new Date(),
          stream: 'stdout',
          line: `2026-01-01T00:00:00Z INFO proxy: connection ${seq + i} from 127.0.0.1:54321 accepted`,
        }));
        await h.reports.logs(l.edge_agent_id, {
          leaseId: l.lease_id,
          generation: 1,
          dropped: 0,
          lines,
        });
      }
    }),
  );
  const secs = (performance.now() - tl) / 1000;
  console.log(
    `log throughput: ${((perLease * leases.length) / secs).toFixed(0)} lines/s into lease_logs (${perLease * leases.length} lines, ${leases.length} leases in parallel, retention 5000/lease)`,
  );
} finally {
  await h.close();
}
