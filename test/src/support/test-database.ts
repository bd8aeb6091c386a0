// A database of the suite's own, created from the shared `test` database and dropped after.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const E2E_DATABASE_URL =
  process.env.TMCP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const E2E_REDIS_URL = process.env.TMCP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface E2eDatabase {
  name: string;
  url: string;
  /** Runs one query on the suite's database. */
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

export async function createE2eDatabase(): Promise<E2eDatabase> {
  const name = `tmcp_e2e_${randomBytes(6).toString('hex')}`;
  await maintenance(`CREATE DATABASE "${name}"`);
  const url = new URL(E2E_DATABASE_URL);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    name,
    url: url.toString(),
    query: async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
      (await pool.query<R>(sql, params)).rows,
    drop: async () => {
      await pool.end();
      await maintenance(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

async function maintenance(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: E2E_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
