// Integration tests get a database of their own, created from the shared `test` database and
// dropped afterwards, so suites can run in parallel and never see each other's rows.
import { randomBytes } from 'node:crypto';
import type { ServerConfig } from '@tmcp/config';
import pg from 'pg';

export const TEST_DATABASE_URL =
  process.env.TMCP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TMCP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  name: string;
  url: string;
  config: ServerConfig['database'];
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `tmcp_t_${randomBytes(6).toString('hex')}`;
  await maintenance(`CREATE DATABASE "${name}"`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    config: { url: url.toString(), poolSize: 4, migrateOnStart: false, statementTimeoutMs: 30_000 },
    drop: () => maintenance(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function maintenance(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
