// Integration (real PostgreSQL and Redis, the real agent port, a fake agent speaking the proto):
// the lease lifecycle, the per-actor cap under racing starts, extend and stale generations,
// reconciliation on Hello, expiry by the reaper after Redis lost its jobs, bounded logs.
import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { LeaseExitReason } from '@tmcp/proto';
import { Queue } from 'bullmq';
import { waitUntil } from '../agents/wait-until.testing.js';
import { leaseMessage } from '../admin/admin-proto-mappers.js';
import { FakeAgent } from '../agents/fake-agent.testing.js';
import { BullmqConnections } from '../queue/bullmq-connections.js';
import { jobIds, LEASE_EXPIRY_QUEUE } from '../queue/job-catalogue.js';
import { splitAtDrops } from './lease-log-drops.js';
import { LOST_LEASE_MESSAGE } from './lease-reconciler.js';
import { LEASE_LOG_RETENTION_LINES } from './lease-report.service.js';
import { startLeaseHarness, type LeaseHarness } from './lease-test-harness.testing.js';
import type { LeaseCaller, StartLeaseOptions } from './lease.service.js';

const any: LeaseCaller = { actor: 'admin', leaseScope: 'any' };

describe('leases end to end through a fake agent', () => {
  let h: LeaseHarness;
  let agent: FakeAgent;
  /** The expiry queue, to see which job expired a lease. */
  let expiryQueue: Queue;

  before(async () => {
    h = await startLeaseHarness({ policy: { max_concurrent_proxies_per_actor: 50 } });
    agent = await h.connectAgent();
    expiryQueue = new Queue(LEASE_EXPIRY_QUEUE, h.app.get(BullmqConnections).queueOptions());
  });
  after(async () => {
    await expiryQueue.close();
    await h.close();
  });

  const start = (
    actor: string,
    extra: Record<string, unknown> = {},
    options: StartLeaseOptions = {},
  ) =>
    h.leases.start(
      {
        actor,
        kind: 'proxy_db',
        target: { db: 'pg-main', db_user: 'alice', db_name: 'app' },
        reason: 'test',
        ...extra,
      },
      options,
    );

  it('start → active with the agent-reported pid and address; stop → stopped', async () => {
    const lease = await start('alice', { agentId: agent.agentId, ttlSeconds: 600 });
    assert.equal(lease.status, 'active');
    assert.equal(lease.agentId, agent.agentId);
    assert.ok(lease.pid !== null && lease.pid > 0);
    assert.match(lease.listenAddr ?? '', /^127\.0\.0\.1:\d+$/);
    assert.equal(lease.generation, 1);
    assert.ok(Math.abs(lease.expiresAt.getTime() - Date.now() - 600_000) < 5_000);

    const stopping = await h.leases.stop({ actor: 'alice', leaseScope: 'own' }, lease.leaseId);
    assert.equal(stopping.status, 'stopping');
    await waitUntil(async () => (await h.repository.get(lease.leaseId))?.status === 'stopped');
  });

  it('a heartbeat naming a lease records it in last_heartbeat_at, and only for its own agent', async () => {
    const lease = await start('lena', { agentId: agent.agentId, ttlSeconds: 600 });
    assert.equal(lease.lastHeartbeatAt, null);
    // Another agent claiming the lease in its inventory does not count (and is told to stop it).
    const other = await h.connectAgent();
    other.running.set(lease.leaseId, { generation: 1, pid: 1, listenAddr: '127.0.0.1:1' });
    await other.heartbeat();
    await other.next((m) => m.body.case === 'stopLease' && m.body.value.leaseId === lease.leaseId);
    assert.equal((await h.repository.get(lease.leaseId))?.lastHeartbeatAt, null);
    other.close();

    await agent.heartbeat();
    await waitUntil(async () => (await h.repository.get(lease.leaseId))?.lastHeartbeatAt !== null);
    const seen = (await h.repository.get(lease.leaseId))?.lastHeartbeatAt;
    assert.ok(seen !== null && seen !== undefined && seen >= lease.createdAt);
    assert.equal(
      leaseMessage((await h.repository.get(lease.leaseId))!).lastHeartbeatAt?.seconds,
      BigInt(Math.floor(seen.getTime() / 1000)),
    );
    await h.leases.stop(any, lease.leaseId);
  });

  it('start_proxy reports progress as the lease goes pending → starting → active', async () => {
    const slow = await h.connectAgent({ autoStart: false });
    const messages: string[] = [];
    const starting = start(
      'mona',
      { agentId: slow.agentId },
      { onProgress: (m) => messages.push(m) },
    );
    const command = await slow.next((m) => m.body.case === 'startLease');
    const spec = command.body.case === 'startLease' ? command.body.value.spec : undefined;
    assert.ok(spec !== undefined);
    await waitUntil(() => Promise.resolve(messages.length === 2));
    assert.match(messages[0] ?? '', /created; waiting for agent/);
    assert.match(messages[1] ?? '', /is starting lease/);
    await slow.send({
      case: 'leaseStarted',
      value: {
        leaseId: spec.leaseId,
        generation: spec.generation,
        pid: 4321,
        listenAddr: '127.0.0.1:15432',
      },
    });
    const lease = await starting;
    assert.equal(lease.status, 'active');
    assert.deepEqual(messages.slice(2), [`lease ${lease.leaseId} is active on 127.0.0.1:15432`]);
    await h.leases.stop(any, lease.leaseId);
    slow.close();
  });

  it("a user with `own` scope cannot see or stop another actor's lease", async () => {
    const lease = await start('carol');
    await assert.rejects(h.leases.get({ actor: 'mallory', leaseScope: 'own' }, lease.leaseId), {
      code: 'not_found',
    });
    await assert.rejects(h.leases.stop({ actor: 'mallory', leaseScope: 'own' }, lease.leaseId), {
      code: 'not_found',
    });
    const mine = await h.leases.list({ actor: 'mallory', leaseScope: 'own' }, { activeOnly: true });
    assert.equal(mine.length, 0);
    assert.ok(
      (await h.leases.list(any, { activeOnly: true })).some((l) => l.leaseId === lease.leaseId),
    );
    await h.leases.stop(any, lease.leaseId);
  });

  it('refuses a bad target before anything is stored', async () => {
    await assert.rejects(
      h.leases.start({ actor: 'alice', kind: 'proxy_db', target: { db: '-oProxyCommand=x' } }),
      { code: 'bad_parameter', message: /target\.db/ },
    );
    await assert.rejects(
      h.leases.start({
        actor: 'alice',
        kind: 'proxy_db',
        target: { db: 'pg' },
        listenAddr: '0.0.0.0:5432',
      }),
      { code: 'bad_parameter', message: /loopback/ },
    );
  });

  it('the per-actor cap holds under racing starts', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => start('racer', { maxConcurrentLeases: 3 })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    assert.equal(ok.length, 3);
    for (const r of results) {
      if (r.status === 'rejected')
        assert.equal((r.reason as { code?: string }).code, 'limit_exceeded');
    }
    for (const r of ok) if (r.status === 'fulfilled') await h.leases.stop(any, r.value.leaseId);
  });

  it('extend bumps the generation, re-arms expiry, tells the agent; a stale report is ignored', async () => {
    const lease = await start('dave', { ttlSeconds: 60 });
    const extended = await h.leases.extend(any, lease.leaseId, 900);
    assert.equal(extended.generation, 2);
    assert.ok(extended.expiresAt.getTime() > lease.expiresAt.getTime());
    const command = await agent.next(
      (m) => m.body.case === 'extendLease' && m.body.value.leaseId === lease.leaseId,
    );
    assert.equal(command.body.case === 'extendLease' ? command.body.value.generation : 0, 2);

    // A crash report of generation 1 arrives late: it must not end generation 2.
    await agent.send({
      case: 'leaseExited',
      value: {
        leaseId: lease.leaseId,
        generation: 1,
        exitCode: 1,
        reason: LeaseExitReason.CRASHED,
      },
    });
    // The stream's messages are handled in order: once a log line sent after the stale report
    // is stored, the report has been handled.
    await agent.send({
      case: 'leaseLogBatch',
      value: {
        leaseId: lease.leaseId,
        generation: 2,
        lines: [
          { seq: 1n, stream: 1, line: 'after the stale report', ts: timestampFromDate(new Date()) },
        ],
      },
    });
    await waitUntil(
      async () =>
        (await h.leases.logs(any, lease.leaseId, 1))[0]?.line === 'after the stale report',
    );
    const after = await h.repository.get(lease.leaseId);
    assert.equal(after?.status, 'active');
    assert.equal(after?.generation, 2);
    await h.leases.stop(any, lease.leaseId);
  });

  it('a start the agent refuses in its ack fails the lease with the agent message', async () => {
    const refusing = await h.connectAgent({ refuseStarts: 'this agent is draining' });
    const lease = await start('erin', { agentId: refusing.agentId });
    assert.equal(lease.status, 'failed');
    assert.match(lease.error ?? '', /draining/);
    refusing.disconnect();
  });

  it('on Hello: a lease the agent lost is failed, a lease that must not run is stopped', async () => {
    const other = await h.connectAgent();
    const lost = await start('frank', { agentId: other.agentId });
    const ended = await start('frank', { agentId: other.agentId });
    await h.leases.stop(any, ended.leaseId);
    await waitUntil(async () => (await h.repository.get(ended.leaseId))?.status === 'stopped');
    other.disconnect();

    // The agent restarts: it reports it still runs `ended` (say its stop was lost), not `lost`.
    const restarted = new FakeAgent(other.identity, h.address);
    await restarted.connect({
      leases: [
        {
          leaseId: ended.leaseId,
          generation: 1,
          pid: 4242,
          pgid: 4242,
          listenAddr: '127.0.0.1:1',
          state: 2,
          deadline: timestampFromDate(new Date(Date.now() + 60_000)),
        },
      ],
    });
    const stop = await restarted.next(
      (m) => m.body.case === 'stopLease' && m.body.value.leaseId === ended.leaseId,
    );
    assert.ok(stop);
    await waitUntil(async () => (await h.repository.get(lost.leaseId))?.status === 'failed');
    assert.equal((await h.repository.get(lost.leaseId))?.error, LOST_LEASE_MESSAGE);
    restarted.close();
  });

  it('the reaper expires an overdue lease even after Redis lost every job, and tells the agent', async () => {
    const lease = await start('gina', { agentId: agent.agentId, ttlSeconds: 3600 });
    await h.flushRedis();
    await h.dataSource.query(
      `UPDATE leases SET expires_at = now() - interval '1 second' WHERE lease_id = $1`,
      [lease.leaseId],
    );
    const report = await h.reaper.reap();
    assert.ok(report.expired >= 1);
    assert.equal((await h.repository.get(lease.leaseId))?.status, 'expired');
    const stop = await agent.next(
      (m) => m.body.case === 'stopLease' && m.body.value.leaseId === lease.leaseId,
    );
    assert.equal(
      stop.body.case === 'stopLease' ? stop.body.value.reason : 0,
      LeaseExitReason.EXPIRED,
    );
  });

  it('the reaper re-enqueues a lost expiry job, which then expires the lease on time', async () => {
    const lease = await start('hank', { agentId: agent.agentId, ttlSeconds: 3600 });
    await h.flushRedis();
    // The deadline is near but not yet due: reap() cannot expire it itself, only re-arm its job.
    await h.dataSource.query(
      `UPDATE leases SET expires_at = now() + interval '1 second' WHERE lease_id = $1`,
      [lease.leaseId],
    );
    const report = await h.reaper.reap();
    assert.equal(report.expired, 0);
    assert.ok(report.requeued >= 1);
    assert.equal((await h.repository.get(lease.leaseId))?.status, 'active');
    // The re-enqueued job did it (not a later reaper tick): its processor says so.
    const jobId = jobIds.expire(lease.leaseId, 1);
    await waitUntil(async () => (await expiryQueue.getJob(jobId))?.finishedOn !== undefined);
    assert.equal((await expiryQueue.getJob(jobId))?.returnvalue, 'expired');
    assert.equal((await h.repository.get(lease.leaseId))?.status, 'expired');
  });

  it('an extend whose Redis jobs were lost still reaches the agent, and the lease lives on', async () => {
    const lease = await start('kim', { agentId: agent.agentId, ttlSeconds: 60 });
    // Redis fails while extending: Postgres has the new generation, no job was added.
    const down = (): Promise<never> => Promise.reject(new Error('Redis unavailable'));
    const sends = mock.method(h.dispatcher, 'sendToAgent', down);
    const expiries = mock.method(h.dispatcher, 'scheduleExpiry', down);
    const extended = await h.leases.extend(any, lease.leaseId, 900).finally(() => {
      sends.mock.restore();
      expiries.mock.restore();
    });
    assert.equal(extended.generation, 2);
    assert.equal(agent.running.get(lease.leaseId)?.generation, 1);

    // The next heartbeat shows generation 1 running: the control plane sends the extend again.
    await agent.heartbeat();
    const command = await agent.next(
      (m) => m.body.case === 'extendLease' && m.body.value.leaseId === lease.leaseId,
    );
    assert.ok(command.body.case === 'extendLease');
    assert.equal(command.body.value.generation, 2);
    assert.equal(
      command.body.value.expiresAt && timestampDate(command.body.value.expiresAt).getTime(),
      extended.expiresAt.getTime(),
    );
    assert.equal(agent.running.get(lease.leaseId)?.generation, 2);

    // The reaper re-derives the lost jobs: the extend (to the agent) and the new expiry.
    const report = await h.reaper.reap();
    assert.ok(report.requeued >= 2);
    const again = await agent.next(
      (m) => m.body.case === 'extendLease' && m.body.value.leaseId === lease.leaseId,
    );
    assert.equal(again.body.case === 'extendLease' ? again.body.value.generation : 0, 2);
    assert.ok(await expiryQueue.getJob(jobIds.expire(lease.leaseId, 2)));

    // The old deadline's expiry is a no-op and the heartbeats agree: the lease lives on.
    assert.equal(await h.reaper.expire(lease.leaseId, 1), undefined);
    await agent.heartbeat();
    await agent.send({
      case: 'leaseLogBatch',
      value: {
        leaseId: lease.leaseId,
        generation: 2,
        lines: [{ seq: 1n, stream: 1, line: 'still here', ts: timestampFromDate(new Date()) }],
      },
    });
    await waitUntil(
      async () => (await h.leases.logs(any, lease.leaseId, 1))[0]?.line === 'still here',
    );
    const after = await h.repository.get(lease.leaseId);
    assert.equal(after?.status, 'active');
    assert.equal(after?.generation, 2);
    await h.leases.stop(any, lease.leaseId);
  });

  it('log batches are idempotent on (lease, seq) and bounded per lease', async () => {
    const lease = await start('ivy', { agentId: agent.agentId });
    const batch = (from: number, n: number) => ({
      leaseId: lease.leaseId,
      generation: 1,
      dropped: 0,
      lines: Array.from({ length: n }, (_, i) => ({
        seq: from + i,
        ts: new Date(),
        stream: 'stdout' as const,
        line: `line ${from + i}`,
      })),
    });
    assert.equal(await h.reports.logs(agent.agentId, batch(1, 3000)), 3000);
    assert.equal(
      await h.reports.logs(agent.agentId, batch(1, 3000)),
      0,
      'a replayed batch stores nothing',
    );
    await h.reports.logs(agent.agentId, batch(3001, 3000));
    const [count] = await h.dataSource.query<{ n: number; min: string }[]>(
      'SELECT count(*)::int AS n, min(seq) AS min FROM lease_logs WHERE lease_id = $1',
      [lease.leaseId],
    );
    assert.equal(count?.n, LEASE_LOG_RETENTION_LINES);
    assert.equal(Number(count?.min), 6000 - LEASE_LOG_RETENTION_LINES + 1);
    const tail = await h.leases.logs(any, lease.leaseId, 2);
    assert.deepEqual(
      tail.map((l) => l.line),
      ['line 5999', 'line 6000'],
    );
    // Another agent cannot write into this lease's log.
    assert.equal(await h.reports.logs('00000000-0000-0000-0000-000000000000', batch(7000, 1)), 0);

    // Through the stream: a batch from the agent shows up in get_proxy_logs.
    await agent.send({
      case: 'leaseLogBatch',
      value: {
        leaseId: lease.leaseId,
        generation: 1,
        lines: [
          { seq: 9000n, stream: 2, line: 'from the stream', ts: timestampFromDate(new Date()) },
        ],
      },
    });
    await waitUntil(
      async () => (await h.leases.logs(any, lease.leaseId, 1))[0]?.line === 'from the stream',
    );
    await h.leases.stop(any, lease.leaseId);
  });

  it('lines the agent dropped show up in the log where the gap is', async () => {
    const lease = await start('jack', { agentId: agent.agentId });
    const line = (seq: number) => ({
      seq: BigInt(seq),
      stream: 1,
      line: `line ${seq}`,
      ts: timestampFromDate(new Date()),
    });
    const batch = (lines: ReturnType<typeof line>[], dropped: number) =>
      agent.send({
        case: 'leaseLogBatch',
        value: { leaseId: lease.leaseId, generation: 1, lines, dropped: BigInt(dropped) },
      });
    await batch([line(1), line(2)], 0);
    // Lines 3-5 were dropped while the control plane was away; 6 and 7 made it.
    await batch([line(6), line(7)], 3);
    // Then every queued line of this lease was dropped: a batch with the count only.
    await batch([], 4);
    await waitUntil(async () => (await h.leases.logs(any, lease.leaseId, 10)).length === 6);
    const logs = await h.leases.logs(any, lease.leaseId, 10);
    assert.deepEqual(
      logs.map((l) => [l.seq, l.stream, l.line.replace(/ \(.*\)$/, '')]),
      [
        [1, 'stdout', 'line 1'],
        [2, 'stdout', 'line 2'],
        [5, 'system', '3 line(s) dropped by the agent'],
        [6, 'stdout', 'line 6'],
        [7, 'stdout', 'line 7'],
        [8, 'system', '4 line(s) dropped by the agent'],
      ],
    );
    assert.deepEqual(
      splitAtDrops(logs).map((p) => [p.dropped, p.lines.length]),
      [
        [0, 2],
        [3, 2],
        [4, 0],
      ],
    );
    await h.leases.stop(any, lease.leaseId);
  });
});
