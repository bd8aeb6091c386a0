// Integration (real PostgreSQL and Redis): the HTTP surface startServer() assembles — /metrics
// behind its scrape token.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseServerConfig } from '@tmcp/config';
import { systemClock } from './common/clock.js';
import { connectDataSource } from './database/data-source.js';
import { PrincipalEntity, RoleEntity } from './database/entities/index.js';
import { createLogger } from './logging/create-logger.js';
import { PrincipalsService } from './principals/principals.service.js';
import { startServer, type RunningServer } from './server.js';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './testing/test-database.js';

const METRICS_TOKEN = `metrics-${randomBytes(12).toString('hex')}`;

describe('startServer: HTTP surface', () => {
  let db: TestDatabase;
  let dir: string;
  let server: RunningServer;
  let apiKey: string;
  const logLines: Record<string, unknown>[] = [];
  const redisPrefix = `tmcp-t-${randomBytes(4).toString('hex')}`;

  before(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'tmcp-server-spec-'));
    const config = parseServerConfig({
      database: { url: db.url },
      redis: { url: TEST_REDIS_URL, key_prefix: redisPrefix },
      service: { host: '127.0.0.1', port: 0, max_body_bytes: 4096 },
      grpc: { host: '127.0.0.1', port: 0 },
      agent_service: { host: '127.0.0.1', port: 0, ca_dir: path.join(dir, 'agent-ca') },
      metrics: { bearer_token: METRICS_TOKEN },
    });
    const logger = createLogger('info', {
      write(line: string) {
        logLines.push(JSON.parse(line) as Record<string, unknown>);
      },
    });
    server = await startServer(config, logger);

    const dataSource = await connectDataSource(db.config, logger);
    try {
      const principals = new PrincipalsService(
        dataSource.getRepository(PrincipalEntity),
        dataSource.getRepository(RoleEntity),
        systemClock,
        { N: 1024, r: 8, p: 1 },
      );
      apiKey = (await principals.create({ name: 'reader', kind: 'user', role: 'readonly' })).apiKey;
    } finally {
      await dataSource.destroy();
    }
  });

  after(async () => {
    await server?.close();
    await db?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  describe('/metrics', () => {
    it('refuses a scrape without the bearer token (401 with a challenge)', async () => {
      const res = await fetch(`${server.httpUrl}/metrics`);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'unauthenticated');
    });

    it('refuses a wrong token and an API key of the MCP gateway', async () => {
      for (const token of [`${METRICS_TOKEN}x`, apiKey]) {
        const res = await fetch(`${server.httpUrl}/metrics`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(res.status, 401);
        await res.body?.cancel();
      }
    });

    it('serves the Prometheus exposition with the token', async () => {
      const res = await fetch(`${server.httpUrl}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      assert.match(text, /^# HELP tmcp_http_requests_total /m);
    });

    it('keeps /healthz anonymous', async () => {
      const res = await fetch(`${server.httpUrl}/healthz`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    });
  });
});
