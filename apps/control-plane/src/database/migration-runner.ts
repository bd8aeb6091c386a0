// Applies pending migrations under a PostgreSQL advisory lock, so several replicas (or a replica
// and `tmcp-server migrate`) starting together apply each migration exactly once: the first
// holds the lock and migrates, the others wait, then find nothing left to do.
import type { Logger } from 'pino';
import { type DataSource, MigrationExecutor } from 'typeorm';

/** 'tmcpmigr' in ASCII: a fixed key no other lock of ours uses. */
export const MIGRATION_LOCK_KEY = '8389471015384213362';

export class MigrationRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
  ) {}

  /** Applies what is pending; returns the names of the migrations this call applied. */
  async run(): Promise<string[]> {
    // One dedicated connection: the session-level lock and the migrations share it, so the lock
    // is held for exactly as long as they run (and dies with the connection if we crash).
    const queryRunner = this.dataSource.createQueryRunner();
    await queryRunner.connect();
    try {
      // Waiting for the lock or a long migration must not trip database.statement_timeout_ms.
      await queryRunner.query('SET statement_timeout = 0');
      await queryRunner.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      try {
        const executor = new MigrationExecutor(this.dataSource, queryRunner);
        executor.transaction = 'each';
        const applied = await executor.executePendingMigrations();
        const names = applied.map((migration) => migration.name);
        this.logger.info({ applied: names }, `applied ${names.length} migration(s)`);
        return names;
      } finally {
        await queryRunner.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      // Back to the configured timeout before the connection returns to the pool.
      await queryRunner.query('RESET statement_timeout').catch(() => undefined);
      await queryRunner.release();
    }
  }
}
