// Integration (real Redis; for the gateway part also PostgreSQL and the Teleport simulator): the
// per-actor token bucket of RedisRateLimiter — the Lua script, not the pure copy in
// token-bucket.ts — and what a rate-limited tools/call looks like on the wire and in /metrics.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { JsonRpcErrorCode } from '@tmcp/errors';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { MetricsService } from '../metrics/metrics.service.js';
import { TEST_REDIS_URL } from '../testing/test-database.js';
import type { McpTestApp } from './mcp-test-app.js';
import { startMcpSpecWorld, type McpSpecWorld } from './testing/mcp-spec-world.js';
import { RATE_LIMIT_KEY_PREFIX, RedisRateLimiter } from './redis-rate-limiter.js';

async function deleteKeys(redis: Redis): Promise<void> {
  const prefix = redis.options.keyPrefix ?? '';
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys.map((k) => k.slice(prefix.length)));
}

describe('RedisRateLimiter (real Redis)', () => {
  let redis: Redis;
  let limiter: RedisRateLimiter;

  before(async () => {
    redis = new Redis(TEST_REDIS_URL, {
      keyPrefix: `tmcp-t-rl-${randomBytes(4).toString('hex')}:`,
      lazyConnect: true,
    });
    await redis.connect();
    limiter = new RedisRateLimiter(redis);
  });

  after(async () => {
    await deleteKeys(redis);
    await redis.quit();
  });

  it('allows the burst, then refuses with the time until the next token', async () => {
    // One token a minute: nothing refills while the test runs.
    const limit = { perMinute: 1, burst: 3 };
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await limiter.take('alice', limit));
    assert.deepEqual(
      decisions.map((d) => d.allowed),
      [true, true, true, false, false],
    );
    for (const allowed of decisions.slice(0, 3)) assert.equal(allowed.retryAfterMs, 0);
    for (const refused of decisions.slice(3)) {
      assert.ok(
        refused.retryAfterMs > 55_000 && refused.retryAfterMs <= 60_000,
        JSON.stringify(refused),
      );
    }
  });

  it('keeps one bucket per actor, under a key of the hex-encoded actor id', async () => {
    const limit = { perMinute: 1, burst: 1 };
    const actor = 'oidc|user:*\n{x}';
    assert.equal((await limiter.take(actor, limit)).allowed, true);
    assert.equal((await limiter.take(actor, limit)).allowed, false);
    // Another actor, including one whose id differs only in case, has a full bucket.
    assert.equal((await limiter.take(actor.toUpperCase(), limit)).allowed, true);
    assert.equal((await limiter.take('bob', limit)).allowed, true);
    const key = `${RATE_LIMIT_KEY_PREFIX}${Buffer.from(actor, 'utf8').toString('hex')}`;
    const bucket = await redis.hgetall(key);
    assert.equal(Number(bucket.tokens) < 1, true);
    // The bucket expires once it would be full again (one token a minute: ~60 s + 1 s).
    const ttl = await redis.pttl(key);
    assert.ok(ttl > 0 && ttl <= 61_000, String(ttl));
  });

  it('refills at the configured rate: the retry-after it gives is enough', async () => {
    // 600 a minute: one token every 100 ms.
    const limit = { perMinute: 600, burst: 1 };
    let refused;
    for (let i = 0; i < 20 && refused === undefined; i++) {
      const d = await limiter.take('carol', limit);
      if (!d.allowed) refused = d;
    }
    assert.ok(refused !== undefined, 'never refused');
    assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 100, JSON.stringify(refused));
    await sleep(refused.retryAfterMs + 5);
    assert.equal((await limiter.take('carol', limit)).allowed, true);
  });

  it('never holds more than the burst after a quiet period', async () => {
    const limit = { perMinute: 1, burst: 2 };
    const key = `${RATE_LIMIT_KEY_PREFIX}${Buffer.from('dave', 'utf8').toString('hex')}`;
    // A bucket last touched an hour ago with no tokens left.
    await redis.hset(key, 'tokens', '0', 'at', String(Date.now() - 3_600_000));
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push((await limiter.take('dave', limit)).allowed);
    assert.deepEqual(decisions, [true, true, false]);
  });
});

describe('rate-limited tools/call (gateway, real Redis and PostgreSQL)', () => {
  let dataSource: DataSource;
  let app: McpTestApp;
  let metrics: MetricsService;
  const keys: Record<string, string> = {};

  let world: McpSpecWorld | undefined;

  before(async () => {
    world = await startMcpSpecWorld({
      config: { rate_limit: { enabled: true } },
      roles: [
        {
          name: 'throttled',
          allow: ['inventory.*'],
          constraints: { rateLimit: { perMinute: 1, burst: 2 } },
        },
      ],
      principals: { slow: 'throttled', other: 'throttled' },
    });
    ({ dataSource, app } = world);
    Object.assign(keys, world.keys);
    metrics = app.app.get(MetricsService);
  });

  after(async () => {
    await world?.close();
  });

  async function callListNodes(key: string): Promise<{
    status: number;
    body: {
      result?: { isError?: boolean };
      error?: { code: number; message: string; data?: { code?: string; retryAfterMs?: number } };
    };
  }> {
    const res = await fetch(app.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: {
          name: 'list_nodes',
          arguments: {},
        },
      }),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('text/event-stream')
      ? (text
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5))
          .at(-1) ?? '')
      : text;
    return { status: res.status, body: JSON.parse(json) as never };
  }

  async function counter(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = metrics.registry.getSingleMetric(name);
    assert.ok(metric !== undefined, name);
    const values = (await metric.get()).values;
    return values
      .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
      .reduce((sum, v) => sum + v.value, 0);
  }

  it('refuses the call past the burst with retry-after data and counts it', async () => {
    const limitedBefore = await counter('tmcp_rate_limited_total');
    const callsBefore = await counter('tmcp_tool_calls_total', {
      tool: 'list_nodes',
      outcome: 'rate_limited',
    });
    for (let i = 0; i < 2; i++) {
      const ok = await callListNodes(keys.slow!);
      assert.equal(ok.body.error, undefined, JSON.stringify(ok.body));
      assert.notEqual(ok.body.result?.isError, true);
    }
    const refused = await callListNodes(keys.slow!);
    assert.equal(refused.body.error?.code, JsonRpcErrorCode.RATE_LIMITED);
    assert.equal(refused.body.error?.data?.code, 'rate_limited');
    const retry = refused.body.error?.data?.retryAfterMs ?? 0;
    assert.ok(retry > 55_000 && retry <= 60_000, String(retry));
    assert.match(
      refused.body.error?.message ?? '',
      /\(1 calls per minute, burst 2\); retry in \d+ s/,
    );

    assert.equal(await counter('tmcp_rate_limited_total'), limitedBefore + 1);
    assert.equal(
      await counter('tmcp_tool_calls_total', { tool: 'list_nodes', outcome: 'rate_limited' }),
      callsBefore + 1,
    );
    // A flood does not fill the operations table: only the two calls that ran are rows.
    const rows = await dataSource.query<{ status: string }[]>(
      `SELECT status FROM operations WHERE actor = 'p-slow' ORDER BY started_at`,
    );
    assert.deepEqual(
      rows.map((r) => r.status),
      ['succeeded', 'succeeded'],
    );
    // The bucket is the actor's own.
    const other = await callListNodes(keys.other!);
    assert.equal(other.body.error, undefined);
  });
});
