import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import { normalizeDatabaseUrl } from './database-url.js';

describe('normalizeDatabaseUrl', () => {
  const accepted: [string, string][] = [
    [
      'postgresql+psycopg://mcp:mcp@localhost:5432/mcpteleport',
      'postgresql://mcp:mcp@localhost:5432/mcpteleport',
    ],
    ['postgresql+asyncpg://u:p@db/tmcp', 'postgresql://u:p@db/tmcp'],
    [
      'postgresql+psycopg2://u@db:6432/tmcp?sslmode=require',
      'postgresql://u@db:6432/tmcp?sslmode=require',
    ],
    ['postgres://u:p@db/tmcp', 'postgresql://u:p@db/tmcp'],
    ['postgresql://u:p@db/tmcp', 'postgresql://u:p@db/tmcp'],
    ['POSTGRESQL://db/tmcp', 'postgresql://db/tmcp'],
    ['postgresql:///tmcp?host=/var/run/postgresql', 'postgresql:///tmcp?host=/var/run/postgresql'],
  ];
  for (const [input, expected] of accepted) {
    it(`normalizes ${input}`, () => {
      assert.equal(normalizeDatabaseUrl(input), expected);
    });
  }

  const rejected = [
    'mysql://u:p@db/tmcp',
    'sqlite:///tmp/x.db',
    'db.example.com:5432',
    'postgresql:///tmcp',
    '',
  ];
  for (const input of rejected) {
    it(`rejects "${input}"`, () => {
      assert.throws(
        () => normalizeDatabaseUrl(input),
        (error: unknown) =>
          error instanceof AppError &&
          error.code === 'bad_parameter' &&
          !error.message.includes(':p@'),
      );
    });
  }
});
