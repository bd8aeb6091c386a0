// The one TypeORM DataSource factory, shared by the Nest app, `tmcp-server migrate` and tests,
// so all three see the same entities, migrations and connection settings.
import type { ServerConfig } from '@tmcp/config';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';
import { postgresUnreachable } from './postgres-target.js';
import { TypeOrmPinoLogger } from './typeorm-pino-logger.js';

export type DatabaseConfig = ServerConfig['database'];

export const MIGRATIONS_TABLE = 'schema_migrations';
const CONNECT_TIMEOUT_MS = 5_000;
const SLOW_QUERY_MS = 1_000;

export function createDataSource(config: DatabaseConfig, logger?: Logger): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.url,
    poolSize: config.poolSize,
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    applicationName: 'tmcp-server',
    extra: { statement_timeout: config.statementTimeoutMs },
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    // The schema belongs to the migrations: never synchronize, never install extensions.
    synchronize: false,
    migrationsRun: false,
    installExtensions: false,
    // gen_random_uuid() is built into PostgreSQL 13+; no uuid-ossp needed.
    uuidExtension: 'pgcrypto',
    maxQueryExecutionTime: SLOW_QUERY_MS,
    ...(logger === undefined
      ? { logging: false }
      : {
          logging: ['error', 'warn', 'migration'] as const,
          logger: new TypeOrmPinoLogger(logger.child({ component: 'typeorm' })),
          poolErrorHandler: (error: unknown) =>
            logger.warn({ err: error }, 'PostgreSQL connection lost'),
        }),
  });
}

/** Creates and connects a DataSource; a failure is one `cannot connect to PostgreSQL …` error. */
export async function connectDataSource(
  config: DatabaseConfig,
  logger?: Logger,
): Promise<DataSource> {
  const dataSource = createDataSource(config, logger);
  try {
    return await dataSource.initialize();
  } catch (error) {
    throw postgresUnreachable(config.url, error);
  }
}
