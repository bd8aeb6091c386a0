import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describePostgresTarget, postgresUnreachable } from '../database/postgres-target.js';
import { describeRedisTarget, redisUnreachable } from '../redis/redis-client.js';
import { connectionFailureReason } from './connection-failure-reason.js';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('connectionFailureReason', () => {
  const cases: [string, unknown, string][] = [
    ['refused', withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), 'connection refused'],
    ['unknown host', withCode('getaddrinfo ENOTFOUND db', 'ENOTFOUND'), 'host not found'],
    [
      'happy-eyeballs AggregateError',
      new AggregateError([withCode('connect ECONNREFUSED ::1:1', 'ECONNREFUSED')], ''),
      'connection refused',
    ],
    ['driver timeout', new Error('timeout expired'), 'connection timed out'],
    [
      'server message, first line only',
      new Error('database "x" does not exist\nDETAIL'),
      'database "x" does not exist',
    ],
    ['not an error', 42, 'unknown error'],
  ];
  for (const [title, error, expected] of cases) {
    it(title, () => {
      assert.ok(
        connectionFailureReason(error).startsWith(expected),
        connectionFailureReason(error),
      );
    });
  }

  it('masks secrets a driver echoed back', () => {
    assert.equal(
      connectionFailureReason(new Error('bad password hunter2 for user'), ['hunter2']),
      'bad password *** for user',
    );
  });
});

describe('connection targets never show credentials', () => {
  const cases: [string, string][] = [
    ['postgresql://tmcp:s3cret@db.internal:6432/tmcp', 'db.internal:6432/tmcp'],
    ['postgresql://tmcp:s3cret@db.internal/tmcp', 'db.internal:5432/tmcp'],
    ['postgresql:///tmcp?host=/var/run/postgresql', '/var/run/postgresql:5432/tmcp'],
    ['not a url s3cret', '(unparsable database.url)'],
  ];
  for (const [url, expected] of cases) {
    it(`postgres ${expected}`, () => {
      assert.equal(describePostgresTarget(url), expected);
    });
  }

  it('postgres error', () => {
    const error = postgresUnreachable(
      'postgresql://tmcp:s3cret@db:5432/tmcp',
      new Error('password authentication failed (s3cret)'),
    );
    assert.equal(error.code, 'unreachable');
    assert.equal(
      error.message,
      'cannot connect to PostgreSQL at db:5432/tmcp: password authentication failed (***)',
    );
  });

  it('redis', () => {
    assert.equal(describeRedisTarget('redis://:s3cret@cache:6380/0'), 'cache:6380');
    assert.equal(describeRedisTarget('rediss://cache'), 'cache:6379');
    const error = redisUnreachable('redis://:s3cret@cache:6380', withCode('x', 'ECONNREFUSED'));
    assert.match(error.message, /^cannot connect to Redis at cache:6380: connection refused/);
    assert.doesNotMatch(error.message, /s3cret/);
  });
});
