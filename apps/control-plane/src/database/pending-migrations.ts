import { type DataSource, MigrationExecutor } from 'typeorm';

/** Names of the migrations this build knows that the database has not applied (read-only). */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
  return pending.map((migration) => migration.name);
}
