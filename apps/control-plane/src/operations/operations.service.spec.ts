// Integration (real PostgreSQL): operations rows from begin to end, denials, paging, the sweep.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseServerConfig } from '@tmcp/config';
import type { DataSource } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { connectDataSource } from '../database/data-source.js';
import { OperationEntity } from '../database/entities/index.js';
import { MigrationRunner } from '../database/migration-runner.js';
import { createLogger } from '../logging/create-logger.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { INTERRUPTED_MESSAGE, OperationsService } from './operations.service.js';

class FakeClock implements Clock {
  constructor(public current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
}

describe('OperationsService', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let clock: FakeClock;
  let sut: OperationsService;

  before(async () => {
    db = await createTestDatabase();
    const logger = createLogger('silent');
    dataSource = await connectDataSource(db.config, logger);
    await new MigrationRunner(dataSource, logger).run();
    clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
    const config = parseServerConfig({ database: { url: db.url } });
    sut = new OperationsService(dataSource.getRepository(OperationEntity), clock, config, {
      staleRunningAfterMs: 60_000,
    });
  });
  after(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  const base = { actor: 'ci-bot', capability: 'inventory.nodes', tool: 'list_nodes' };

  it('records a run from running to succeeded, redacting inputs and output', async () => {
    const opId = await sut.begin({
      ...base,
      inputs: { cluster: 'main', token: 'abc' },
      requestId: '7',
    });
    assert.equal((await sut.get(opId)).status, 'running');
    clock.current = new Date(clock.current.getTime() + 1500);
    await sut.complete(opId, {
      status: 'succeeded',
      exitCode: 0,
      stdout: `ok password=hunter2 ${'x'.repeat(20_000)}`,
    });
    const op = await sut.get(opId);
    assert.equal(op.status, 'succeeded');
    assert.equal(op.durationMs, 1500);
    assert.deepEqual(op.inputs, { cluster: 'main', token: '***' });
    assert.doesNotMatch(op.stdout ?? '', /hunter2/);
    assert.ok((op.stdout ?? '').length < 17_000);
    assert.equal(op.requestId, '7');
  });

  it('a completed row is not completed twice', async () => {
    const opId = await sut.begin({ ...base, inputs: {} });
    await sut.complete(opId, { status: 'failed', error: { code: 'timeout', message: 'too slow' } });
    await sut.complete(opId, { status: 'succeeded' });
    const op = await sut.get(opId);
    assert.equal(op.status, 'failed');
    assert.deepEqual(op.error, { code: 'timeout', message: 'too slow' });
  });

  it('records a denial with its decision', async () => {
    const decision = {
      allow: false,
      rule: 'default deny',
      reason: 'Denied: nope',
      constraints: {
        maxTtlSeconds: 0,
        maxConcurrentLeases: 0,
        allowedLeaseKinds: [],
        allowedTargets: [],
        federatedTools: { allow: [], deny: [] },
        rateLimit: { perMinute: 1, burst: 1 },
        leaseScope: 'own' as const,
      },
    };
    const opId = await sut.deny({
      ...base,
      actor: 'eve',
      inputs: {},
      decision,
      error: { code: 'access_denied', message: 'no' },
    });
    const op = await sut.get(opId);
    assert.equal(op.status, 'denied');
    assert.equal(op.decision?.rule, 'default deny');
    assert.ok(op.endedAt !== null);
  });

  it('pages newest first with filters', async () => {
    for (let i = 0; i < 5; i++) {
      clock.current = new Date(clock.current.getTime() + 1000);
      await sut.reject(
        { ...base, actor: 'pager', inputs: { i } },
        { code: 'bad_parameter', message: 'x' },
      );
    }
    const first = await sut.list({ actor: 'pager' }, { pageSize: 2 });
    assert.deepEqual(
      first.operations.map((o) => o.inputs.i),
      [4, 3],
    );
    const second = await sut.list(
      { actor: 'pager' },
      { pageSize: 2, pageToken: first.nextPageToken },
    );
    assert.deepEqual(
      second.operations.map((o) => o.inputs.i),
      [2, 1],
    );
    const third = await sut.list(
      { actor: 'pager' },
      { pageSize: 2, pageToken: second.nextPageToken },
    );
    assert.deepEqual(
      third.operations.map((o) => o.inputs.i),
      [0],
    );
    assert.equal(third.nextPageToken, undefined);
    assert.equal((await sut.list({ actor: 'pager', status: 'succeeded' })).operations.length, 0);
    await assert.rejects(sut.list({}, { pageToken: 'garbage' }), /page_token/);
  });

  it('the sweep fails running rows older than the bound, and only those', async () => {
    const old = await sut.begin({ ...base, actor: 'sweep', inputs: {} });
    clock.current = new Date(clock.current.getTime() + 61_000);
    const fresh = await sut.begin({ ...base, actor: 'sweep', inputs: {} });
    assert.ok((await sut.sweepOrphans()) >= 1);
    const swept = await sut.get(old);
    assert.equal(swept.status, 'failed');
    assert.equal(swept.error?.message, INTERRUPTED_MESSAGE);
    assert.equal((await sut.get(fresh)).status, 'running');
  });
});
