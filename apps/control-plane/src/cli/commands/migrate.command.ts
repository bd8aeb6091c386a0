import { loadServerConfig } from '@tmcp/config';
import { connectDataSource } from '../../database/data-source.js';
import { MigrationRunner } from '../../database/migration-runner.js';
import { createLogger } from '../../logging/create-logger.js';
import type { CliIo } from '../cli-io.js';

export interface MigrateOptions {
  config?: string | undefined;
}

export async function migrateCommand(options: MigrateOptions, io: CliIo): Promise<void> {
  const config = loadServerConfig({ file: options.config, env: io.env });
  // The summary line below is the output; logs only for warnings and worse.
  const logger = createLogger('warn');
  const dataSource = await connectDataSource(config.database, logger);
  try {
    const applied = await new MigrationRunner(dataSource, logger).run();
    io.stdout(
      applied.length === 0
        ? 'database schema is up to date; no migration applied\n'
        : `applied ${applied.length} migration(s): ${applied.join(', ')}\n`,
    );
  } finally {
    await dataSource.destroy();
  }
}
