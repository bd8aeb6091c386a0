import { AppError } from '@tmcp/errors';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { MigrationRunner } from './migration-runner.js';
import { pendingMigrations } from './pending-migrations.js';

/**
 * Start-up gate of DESIGN §4: migrate when configured to, otherwise refuse to serve a database
 * whose schema is behind this build.
 */
export async function ensureSchemaUpToDate(
  dataSource: DataSource,
  migrateOnStart: boolean,
  logger: Logger,
): Promise<void> {
  if (migrateOnStart) {
    await new MigrationRunner(dataSource, logger).run();
    return;
  }
  const pending = await pendingMigrations(dataSource);
  if (pending.length > 0) {
    throw new AppError(
      'precondition_failed',
      `database schema is not up to date: ${pending.length} pending migration(s); run \`tmcp-server migrate\``,
      { details: { pending } },
    );
  }
}
