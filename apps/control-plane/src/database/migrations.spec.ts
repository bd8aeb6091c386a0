// Integration (real PostgreSQL): the Init migration, the entities, and the advisory-locked runner.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { createLogger } from '../logging/create-logger.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { connectDataSource, MIGRATIONS_TABLE } from './data-source.js';
import { MigrationRunner } from './migration-runner.js';
import { MIGRATIONS } from './migrations/index.js';
import { pendingMigrations } from './pending-migrations.js';
import { ensureSchemaUpToDate } from './schema-state.js';

const logger: Logger = createLogger('silent');

const TABLES = [
  'agent_certificates',
  'edge_agents',
  'join_tokens',
  'lease_logs',
  'leases',
  'operations',
  'principals',
  'roles',
  'teleport_events',
];

async function userTables(dataSource: DataSource): Promise<string[]> {
  const rows: { table_name: string }[] = await dataSource.query(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_name <> $1 ORDER BY table_name`,
    [MIGRATIONS_TABLE],
  );
  return rows.map((row) => row.table_name);
}

describe('migrations', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  before(async () => {
    db = await createTestDatabase();
    dataSource = await connectDataSource(db.config, logger);
  });
  after(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('a fresh database has every migration pending and the server refuses to serve it', async () => {
    assert.deepEqual(
      await pendingMigrations(dataSource),
      MIGRATIONS.map((m) => m.name),
    );
    await assert.rejects(ensureSchemaUpToDate(dataSource, false, logger), {
      code: 'precondition_failed',
      message: `database schema is not up to date: ${MIGRATIONS.length} pending migration(s); run \`tmcp-server migrate\``,
    });
    assert.deepEqual(await userTables(dataSource), [], 'the check must not create anything');
  });

  it('applies every migration, creating every table of the design', async () => {
    const applied = await new MigrationRunner(dataSource, logger).run();
    assert.deepEqual(
      applied,
      MIGRATIONS.map((m) => m.name),
    );
    assert.deepEqual(await userTables(dataSource), TABLES);
    assert.deepEqual(await pendingMigrations(dataSource), []);
    await ensureSchemaUpToDate(dataSource, false, logger);
  });

  it('leaves nothing for TypeORM to change: the entities describe exactly this schema', async () => {
    const sql = await dataSource.driver.createSchemaBuilder().log();
    assert.deepEqual(
      sql.upQueries.map((query) => query.query),
      [],
    );
  });

  it('a second run applies nothing', async () => {
    assert.deepEqual(await new MigrationRunner(dataSource, logger).run(), []);
  });

  it('keeps the configured statement timeout on pooled connections after migrating', async () => {
    const rows: { statement_timeout: string }[] = await dataSource.query('SHOW statement_timeout');
    assert.equal(rows[0]?.statement_timeout, '30s');
  });

  it('enforces the status CHECK constraints and cascades lease logs', async () => {
    await assert.rejects(
      dataSource.query(
        `INSERT INTO operations (actor, capability, tool, status) VALUES ('a', 'c', 't', 'bogus')`,
      ),
      /ck_operations_status/,
    );
    const [lease] = await dataSource.query<{ lease_id: string }[]>(
      `INSERT INTO leases (kind, actor, cluster, target, expires_at, status)
       VALUES ('proxy_db', 'alice', 'main', '{}', now() + interval '1 hour', 'pending')
       RETURNING lease_id`,
    );
    assert.ok(lease);
    await assert.rejects(
      dataSource.query(`UPDATE leases SET status = 'zombie' WHERE lease_id = $1`, [lease.lease_id]),
      /ck_leases_status/,
    );
    await dataSource.query(
      `INSERT INTO lease_logs (lease_id, seq, ts, stream, line) VALUES ($1, 1, now(), 'stdout', 'hello')`,
      [lease.lease_id],
    );
    await dataSource.query(`DELETE FROM leases WHERE lease_id = $1`, [lease.lease_id]);
    const logs: unknown[] = await dataSource.query(`SELECT 1 FROM lease_logs WHERE lease_id = $1`, [
      lease.lease_id,
    ]);
    assert.equal(logs.length, 0);
  });

  it('down() removes everything up() created', async () => {
    const queryRunner = dataSource.createQueryRunner();
    try {
      for (const Migration of [...MIGRATIONS].reverse()) await new Migration().down(queryRunner);
      assert.deepEqual(await userTables(dataSource), []);
      for (const Migration of MIGRATIONS) await new Migration().up(queryRunner);
      assert.deepEqual(await userTables(dataSource), TABLES);
    } finally {
      await queryRunner.release();
    }
  });
});

describe('MigrationRunner under concurrency', () => {
  let db: TestDatabase;
  const dataSources: DataSource[] = [];

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(dataSources.filter((d) => d.isInitialized).map((d) => d.destroy()));
    await db?.drop();
  });

  it('two runners racing on a fresh database both succeed and apply each migration once', async () => {
    // Separate data sources stand for separate replicas (separate pools and sessions).
    for (let i = 0; i < 2; i++) dataSources.push(await connectDataSource(db.config, logger));
    const results = await Promise.all(
      dataSources.map((dataSource) => new MigrationRunner(dataSource, logger).run()),
    );
    const names = MIGRATIONS.map((m) => m.name);
    assert.deepEqual(
      results.flat().sort(),
      [...names].sort(),
      'each migration applied by exactly one runner',
    );
    const [first] = dataSources;
    assert.ok(first);
    const rows: { name: string }[] = await first.query(
      `SELECT name FROM "${MIGRATIONS_TABLE}" ORDER BY id`,
    );
    assert.deepEqual(
      rows.map((row) => row.name),
      names,
    );
    assert.deepEqual(await userTables(first), TABLES);
  });
});
