// The control plane's public surface for tests and tooling in this workspace; the binary is
// bin/tmcp-server.js.
export { AppModule, type AppDependencies } from './app.module.js';
export { createDataSource, connectDataSource, MIGRATIONS_TABLE } from './database/data-source.js';
export * from './database/entities/index.js';
export { MigrationRunner, MIGRATION_LOCK_KEY } from './database/migration-runner.js';
export { pendingMigrations } from './database/pending-migrations.js';
export { MetricsService } from './metrics/metrics.service.js';
export { PrincipalsService } from './principals/principals.service.js';
export { startServer, type RunningServer } from './server.js';
