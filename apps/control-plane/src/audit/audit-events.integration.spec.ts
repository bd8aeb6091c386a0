// Integration (real PostgreSQL, a database of its own): ingest and dedupe, search numbers,
// anomaly detection from stored events, retention.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseServerConfig, type ServerConfig } from '@tmcp/config';
import type { DataSource } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { connectDataSource } from '../database/data-source.js';
import { MigrationRunner } from '../database/migration-runner.js';
import { createLogger } from '../logging/create-logger.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { AuditAnomalyDetector } from './audit-anomaly-detector.service.js';
import { AuditEventsRepository } from './audit-events.repository.js';
import { AuditIngestStatusService } from './audit-ingest-status.service.js';
import { AuditIngestService } from './audit-ingest.service.js';
import { AuditRetentionService } from './audit-retention.service.js';
import { AuditSearchService } from './audit-search.service.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const logger = createLogger('silent');
const clock: Clock = { now: () => new Date(NOW) };

/** An event `msAgo` before NOW. */
function event(msAgo: number, fields: Record<string, unknown>): Record<string, unknown> {
  return { time: new Date(NOW.getTime() - msAgo).toISOString(), cluster_name: 'main', ...fields };
}

describe('audit events in PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: AuditEventsRepository;
  let status: AuditIngestStatusService;
  let ingest: AuditIngestService;
  let config: ServerConfig;

  const rowCount = async (): Promise<number> => {
    const [row] = await dataSource.query<
      {
        n: string;
      }[]
    >('SELECT count(*) AS n FROM teleport_events');
    return Number(row?.n);
  };

  before(async () => {
    db = await createTestDatabase();
    dataSource = await connectDataSource(db.config, logger);
    await new MigrationRunner(dataSource, logger).run();
    config = parseServerConfig({
      database: { url: db.url },
      redis: { url: 'redis://127.0.0.1:6379' },
      audit: { retention_days: 7 },
    });
    repository = new AuditEventsRepository(dataSource);
  });
  beforeEach(async () => {
    await dataSource.query('TRUNCATE teleport_events');
    status = new AuditIngestStatusService();
    ingest = new AuditIngestService(repository, status, clock, logger);
  });
  after(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('stores an event once: the same uid again is a duplicate', async () => {
    const body = event(1000, {
      event: 'user.login',
      uid: 'dup-1',
      user: 'alice',
      code: 'T1000I',
      success: true,
    });
    assert.deepEqual(await ingest.ingest(body), { accepted: true });
    assert.deepEqual(await ingest.ingest({ ...body, user: 'changed' }), { accepted: false });
    // Without a uid, the same content is the same event.
    const anonymous = event(2000, { event: 'session.start', user: 'bob' });
    assert.deepEqual(await ingest.ingest(anonymous), { accepted: true });
    assert.deepEqual(await ingest.ingest({ ...anonymous }), { accepted: false });

    assert.equal(await rowCount(), 2);
    const [row] = await dataSource.query<Record<string, unknown>[]>(
      `SELECT uid, event, code, "user", success, cluster, raw FROM teleport_events WHERE uid = 'dup-1'`,
    );
    assert.deepEqual(row, {
      uid: 'dup-1',
      event: 'user.login',
      code: 'T1000I',
      user: 'alice',
      success: true,
      cluster: 'main',
      raw: body,
    });
    const s = status.status();
    assert.deepEqual(
      { received: s.received, stored: s.stored, duplicates: s.duplicates, rejected: s.rejected },
      { received: 4, stored: 2, duplicates: 2, rejected: 0 },
    );
    assert.equal(s.lastEventTime, new Date(NOW.getTime() - 2000).toISOString());
  });

  it('rejects a bad shape with bad_parameter and stores nothing', async () => {
    for (const body of [
      { event: 'user.login' },
      [event(0, { event: 'x' })],
      { event: 'x', time: 'soon' },
    ]) {
      await assert.rejects(ingest.ingest(body), { code: 'bad_parameter' });
    }
    assert.equal(await rowCount(), 0);
    const s = status.status();
    assert.equal(s.rejected, 3);
    assert.equal(s.stored, 0);
    assert.match(s.lastError?.message ?? '', /^time: must be an RFC 3339 timestamp/);
  });

  it('stores join tokens masked', async () => {
    await ingest.ingest(
      event(0, {
        event: 'join_token.create',
        uid: 'jt',
        code: 'TJT00I',
        user: 'admin',
        name: 'f3a9c2d1e0b8a7f6e5d4c3b2a1f0e9d8',
        roles: ['Node'],
      }),
    );
    const rows = await dataSource.query<
      {
        raw: string;
      }[]
    >(`SELECT raw::text AS raw FROM teleport_events`);
    assert.equal(rows.length, 1);
    assert.ok(!rows[0]?.raw.includes('f3a9c2d1'), 'the token is not stored');
    assert.match(rows[0]?.raw ?? '', /"name": "\*\*\*"/);
  });

  describe('search over a seeded set of 200 events', () => {
    const search = (): AuditSearchService => new AuditSearchService(repository);

    beforeEach(async () => {
      const bodies: Record<string, unknown>[] = [];
      let n = 0;
      const add = (count: number, make: (i: number) => Record<string, unknown>): void => {
        for (let i = 0; i < count; i++) bodies.push({ uid: `seed-${n++}`, ...make(i) });
      };
      // Spread over the last 23 hours: i-th event of a group at (i * 7 + offset) minutes ago.
      const ago = (i: number, offset: number): number =>
        ((i * 7 + offset) % (23 * 60)) * 60_000 + 1000;
      add(50, (i) =>
        event(ago(i, 1), {
          event: 'user.login',
          user: 'alice',
          success: i >= 10,
          code: i < 10 ? 'T1000W' : 'T1000I',
          'addr.remote': `10.0.0.${i}:5000`,
        }),
      );
      add(40, (i) =>
        event(ago(i, 2), {
          event: 'user.login',
          user: 'bob',
          success: i >= 5,
          code: i < 5 ? 'T1000W' : 'T1000I',
        }),
      );
      add(30, (i) =>
        event(ago(i, 3), { event: 'user.login', user: 'carol', success: true, code: 'T1000I' }),
      );
      add(20, (i) =>
        event(ago(i, 4), {
          event: 'session.start',
          user: 'alice',
          code: 'T2000I',
          server_hostname: `node-${i}`,
        }),
      );
      add(20, (i) => event(ago(i, 5), { event: 'session.start', user: 'dave', code: 'T2000I' }));
      add(20, (i) =>
        event(ago(i, 6), {
          event: 'role.updated',
          user: 'admin',
          code: 'T9002I',
          name: `role-${i}`,
        }),
      );
      add(15, (i) =>
        event(ago(i, 7), {
          event: 'mcp.session.request',
          user: 'ai-user',
          app_name: 'mcp-everything',
          code: i < 5 ? 'TMCP003E' : 'TMCP003I',
          success: i >= 5,
          ...(i < 5 ? { error: 'access denied' } : {}),
          message: { method: 'tools/call', params: { name: 'echo' } },
        }),
      );
      // Outside a 24-hour window.
      add(5, (i) =>
        event(25 * HOUR + i * 60_000, {
          event: 'user.login',
          user: 'alice',
          success: false,
          code: 'T1000W',
        }),
      );
      assert.equal(bodies.length, 200);
      for (const body of bodies) await ingest.ingest(body);
      assert.equal(await rowCount(), 200);
    });

    it('aggregates exactly by type, failures and users', async () => {
      const result = await search().search({ hours: 24, now: NOW, limit: 10 });
      assert.deepEqual(result.window, {
        from: '2025-05-31T12:00:00.000Z',
        to: '2025-06-01T12:00:00.000Z',
      });
      assert.equal(result.total, 195);
      assert.deepEqual(result.byType, [
        { event: 'user.login', count: 120 },
        { event: 'session.start', count: 40 },
        { event: 'role.updated', count: 20 },
        { event: 'mcp.session.request', count: 15 },
      ]);
      assert.equal(result.failures.count, 20);
      assert.deepEqual(result.failures.byType, [
        { event: 'user.login', count: 15 },
        { event: 'mcp.session.request', count: 5 },
      ]);
      assert.equal(result.failures.recent.length, 10);
      assert.ok(result.failures.recent.every((e) => e.success === false));
      assert.deepEqual(result.topUsers, [
        { user: 'alice', count: 70, failures: 10 },
        { user: 'bob', count: 40, failures: 5 },
        { user: 'carol', count: 30, failures: 0 },
        { user: 'admin', count: 20, failures: 0 },
        { user: 'dave', count: 20, failures: 0 },
        { user: 'ai-user', count: 15, failures: 5 },
      ]);
      assert.equal(result.events.length, 10);
      assert.equal(result.truncated, true);
      const times = result.events.map((e) => e.time);
      assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
    });

    it('returns compact summaries, never the raw event', async () => {
      const result = await search().search({
        hours: 24,
        now: NOW,
        eventTypes: ['mcp.session.request'],
        limit: 500,
      });
      assert.equal(result.total, 15);
      assert.equal(result.truncated, false);
      const failed = result.events.find((e) => e.success === false);
      assert.ok(failed);
      assert.deepEqual(Object.keys(failed).sort(), [
        'code',
        'error',
        'event',
        'resource',
        'success',
        'time',
        'uid',
        'user',
      ]);
      assert.equal(failed.resource, 'mcp-everything');
      assert.equal(failed.error, 'access denied');
      const login = (
        await search().search({
          hours: 24,
          now: NOW,
          user: 'alice',
          eventTypes: ['user.login'],
          limit: 1,
        })
      ).events[0];
      assert.match(login?.remote ?? '', /^10\.0\.0\.\d+:5000$/);
    });

    it('filters by event type prefix and by user', async () => {
      const users = await search().search({ hours: 24, now: NOW, eventTypes: ['user.*'] });
      assert.equal(users.total, 120);
      assert.equal(users.events.length, 50);
      const bob = await search().search({ hours: 24, now: NOW, user: 'bob' });
      assert.deepEqual([bob.total, bob.failures.count], [40, 5]);
      const wide = await search().search({
        hours: 48,
        now: NOW,
        user: 'alice',
        eventTypes: ['user.login'],
      });
      assert.deepEqual([wide.total, wide.failures.count], [55, 15]);
    });

    it('refuses out-of-range arguments naming them', async () => {
      await assert.rejects(search().search({ hours: 0, now: NOW }), {
        code: 'bad_parameter',
        message: /^hours:/,
      });
      await assert.rejects(search().search({ hours: 721, now: NOW }), { message: /^hours:/ });
      await assert.rejects(search().search({ hours: 1, now: NOW, limit: 501 }), {
        message: /^limit:/,
      });
      await assert.rejects(search().search({ hours: 1, now: NOW, eventTypes: ["x' OR 1=1"] }), {
        message: /^event_types:/,
      });
    });
  });

  it('detects anomalies from stored events', async () => {
    for (let i = 0; i < 12; i++) {
      await ingest.ingest(
        event(30 * 60_000 - i * 30_000, {
          event: 'user.login',
          uid: `bf-${i}`,
          user: 'alice',
          success: false,
          code: 'T1000W',
          'addr.remote': '203.0.113.9:4000',
        }),
      );
    }
    await ingest.ingest(
      event(10 * 60_000, {
        event: 'user.login',
        uid: 'bf-ok',
        user: 'alice',
        success: true,
        code: 'T1000I',
      }),
    );
    await ingest.ingest(
      event(50 * 60_000, {
        event: 'user.login',
        uid: 'other-ok',
        user: 'zed',
        success: true,
        code: 'T1000I',
      }),
    );
    for (let i = 0; i < 120; i++) {
      await ingest.ingest(
        event(41 * 60_000 + i * 1000, {
          event: 'db.session.query',
          uid: `storm-${i}`,
          user: 'etl',
          code: 'TDB02I',
        }),
      );
    }
    await ingest.ingest(
      event(5 * 60_000, {
        event: 'access_request.create',
        uid: 'ar1',
        user: 'bob',
        id: 'req-1',
        state: 'PENDING',
        roles: ['dba'],
      }),
    );
    await ingest.ingest(
      event(4 * 60_000, {
        event: 'access_request.review',
        uid: 'ar2',
        user: 'bob',
        reviewer: 'bob',
        id: 'req-1',
        proposed_state: 'APPROVED',
      }),
    );

    const result = await new AuditAnomalyDetector(repository).detect({ hours: 2, now: NOW });
    assert.deepEqual(
      result.findings.map((f) => [f.kind, f.severity, f.id]),
      [
        ['brute_force', 'critical', 'brute_force:user:alice'],
        ['self_approved_request', 'critical', 'self_approved_request:req-1'],
        [
          'event_storm',
          'medium',
          `event_storm:db.session.query:${new Date(NOW.getTime() - 45 * 60_000).toISOString()}`,
        ],
      ],
    );
    // Loaded: 12 failures + alice's success + the 2 access request events (not zed, not the storm).
    assert.deepEqual(result.scanned, { events: 15, truncated: false });
    const storm = result.findings[2];
    assert.equal(storm?.counts.events, 120);
    assert.equal(storm?.evidence.length, 5);
    assert.ok(storm?.evidence.every((e) => e.event === 'db.session.query'));
    await assert.rejects(
      new AuditAnomalyDetector(repository).detect({
        hours: 2,
        now: NOW,
        thresholds: { failedLoginsPerUser: 0 },
      }),
      { code: 'bad_parameter', message: /^thresholds\.failedLoginsPerUser:/ },
    );
  });

  it('retention deletes only events older than retention_days, in batches', async () => {
    for (let i = 0; i < 25; i++) {
      await ingest.ingest(event((8 * 24 + i) * HOUR, { event: 'session.start', uid: `old-${i}` }));
    }
    for (let i = 0; i < 5; i++) {
      await ingest.ingest(
        event((6 * 24 + i) * HOUR, { event: 'session.start', uid: `young-${i}` }),
      );
    }
    const retention = new AuditRetentionService(repository, config, clock, logger, {
      intervalMs: 0,
      batchSize: 10,
    });
    assert.equal(await retention.sweep(NOW), 25);
    const rows = await dataSource.query<
      {
        uid: string;
      }[]
    >('SELECT uid FROM teleport_events ORDER BY uid');
    assert.deepEqual(
      rows.map((r) => r.uid),
      ['young-0', 'young-1', 'young-2', 'young-3', 'young-4'],
    );
    assert.equal(await retention.sweep(NOW), 0);
  });

  it('links mutation events to the operations that caused them (teleport_audit_refs)', async () => {
    await dataSource.query('TRUNCATE operations');
    const operation = async (
      tool: string,
      inputs: Record<string, unknown>,
      startedMsAgo: number,
      endedMsAgo: number | null,
    ): Promise<string> => {
      const [row] = await dataSource.query<{ op_id: string }[]>(
        `INSERT INTO operations (actor, capability, tool, inputs, status, started_at, ended_at)
         VALUES ('ops-bot', 'mcp.register', $1, $2, $3, $4, $5) RETURNING op_id`,
        [
          tool,
          JSON.stringify(inputs),
          endedMsAgo === null ? 'running' : 'succeeded',
          new Date(NOW.getTime() - startedMsAgo),
          endedMsAgo === null ? null : new Date(NOW.getTime() - endedMsAgo),
        ],
      );
      return row?.op_id ?? '';
    };
    const register = await operation('register_mcp_server', { name: 'notes' }, 60_000, 58_000);
    const otherApp = await operation('register_mcp_server', { name: 'wiki' }, 60_000, 58_000);
    const earlier = await operation('register_mcp_server', { name: 'notes' }, HOUR, HOUR - 2_000);
    const review = await operation('review_access_request', { id: 'req-1' }, 30_000, null);

    await ingest.ingest(event(59_000, { event: 'app.create', uid: 'ev-app', name: 'notes' }));
    // Same resource, an hour away from any call: someone else's change.
    await ingest.ingest(event(2 * HOUR, { event: 'app.create', uid: 'ev-late', name: 'notes' }));
    // An event type no tool causes (a login) is never linked.
    await ingest.ingest(event(59_000, { event: 'user.login', uid: 'ev-login', name: 'notes' }));
    await ingest.ingest(
      event(10_000, { event: 'access_request.review', uid: 'ev-rev', id: 'req-1' }),
    );
    // Re-delivery of a linked event adds nothing.
    await ingest.ingest(event(59_000, { event: 'app.create', uid: 'ev-app', name: 'notes' }));

    const refs = async (opId: string): Promise<string[]> => {
      const [row] = await dataSource.query<{ refs: string[] }[]>(
        'SELECT teleport_audit_refs AS refs FROM operations WHERE op_id = $1',
        [opId],
      );
      return row?.refs ?? [];
    };
    assert.deepEqual(await refs(register), ['ev-app']);
    assert.deepEqual(await refs(otherApp), []);
    assert.deepEqual(await refs(earlier), []);
    assert.deepEqual(await refs(review), ['ev-rev']);
  });
});
