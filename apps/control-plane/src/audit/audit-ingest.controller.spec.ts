// HTTP level: the ingest endpoint in a small Nest app built the way server.ts builds the real
// one (no default body parser, then a JSON parser with the configured limit), on port 0.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { parseServerConfig, type ServerConfig } from '@tmcp/config';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { ConfigModule } from '../config/config.module.js';
import { connectDataSource } from '../database/data-source.js';
import { DatabaseModule } from '../database/database.module.js';
import { MigrationRunner } from '../database/migration-runner.js';
import { createLogger } from '../logging/create-logger.js';
import { LoggingModule } from '../logging/logging.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { AuditIngestStatusService } from './audit-ingest-status.service.js';
import { NOT_CONFIGURED_MESSAGE } from './audit-ingest-auth.guard.js';
import { AuditModule } from './audit.module.js';

const TOKEN = 'audit-ingest-token-0123456789';
const METRICS_TOKEN = 'metrics-token-0123456789';
const logger: Logger = createLogger('silent');

@Module({})
class AuditTestModule {
  static forRoot(config: ServerConfig, dataSource: DataSource): DynamicModule {
    return {
      module: AuditTestModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot(dataSource),
        MetricsModule,
        AuditModule,
      ],
    };
  }
}

interface TestApp {
  url: string;
  app: NestExpressApplication;
  dataSource: DataSource;
}

async function startApp(
  db: TestDatabase,
  options: { token?: string; bodyParser: boolean },
): Promise<TestApp> {
  const config = parseServerConfig({
    database: { url: db.url },
    redis: { url: 'redis://127.0.0.1:6379' },
    metrics: { bearer_token: METRICS_TOKEN },
    ...(options.token === undefined ? {} : { audit: { ingest_token: options.token } }),
  });
  const dataSource = await connectDataSource(db.config, logger);
  const app = await NestFactory.create<NestExpressApplication>(
    AuditTestModule.forRoot(config, dataSource),
    new ExpressAdapter(),
    { logger: false, abortOnError: false, bodyParser: false },
  );
  if (options.bodyParser) app.useBodyParser('json', { limit: config.service.maxBodyBytes });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, app, dataSource };
}

const EVENT = {
  code: 'T1000W',
  event: 'user.login',
  time: '2025-06-01T10:00:00.000Z',
  uid: 'b4f1b0c2-6f7e-4c3e-9a51-0f5a3e2f1c11',
  user: 'alice',
  success: false,
  error: 'invalid credentials',
  method: 'local',
  'addr.remote': '203.0.113.7:51234',
  cluster_name: 'teleport.example.com',
};

function post(
  url: string,
  body: string,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const json = (await res.json()) as { error: { code: string; message: string } };
  return json.error;
}

describe('POST /audit/events', () => {
  let db: TestDatabase;
  let apps: TestApp[] = [];
  let main: TestApp;
  let withoutParser: TestApp;
  let unconfigured: TestApp;

  const rows = async (): Promise<number> => {
    const [row] = await main.dataSource.query<
      {
        n: string;
      }[]
    >('SELECT count(*) AS n FROM teleport_events');
    return Number(row?.n);
  };

  before(async () => {
    db = await createTestDatabase();
    const migrator = await connectDataSource(db.config, logger);
    await new MigrationRunner(migrator, logger).run();
    await migrator.destroy();
    main = await startApp(db, { token: TOKEN, bodyParser: true });
    withoutParser = await startApp(db, { token: TOKEN, bodyParser: false });
    unconfigured = await startApp(db, { bodyParser: true });
    apps = [main, withoutParser, unconfigured];
  });
  after(async () => {
    // Closing an app destroys its data source (TypeORM module shutdown).
    await Promise.all(apps.map((a) => a.app.close()));
    await db?.drop();
  });

  it('401 without a bearer token, with a challenge', async () => {
    const res = await post(`${main.url}/audit/events`, JSON.stringify(EVENT), {});
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.deepEqual(await errorOf(res), {
      code: 'unauthenticated',
      message: 'missing bearer token: send "Authorization: Bearer <audit ingest token>"',
    });
  });

  it('401 with a wrong token, and nothing stored', async () => {
    for (const authorization of [`Bearer ${TOKEN}x`, 'Bearer short', `Basic ${TOKEN}`]) {
      const res = await post(`${main.url}/audit/events`, JSON.stringify(EVENT), { authorization });
      assert.equal(res.status, 401, authorization);
      await res.body?.cancel();
    }
    assert.equal(await rows(), 0);
  });

  it('503 when no ingest token is configured, whatever is presented', async () => {
    const res = await post(`${unconfigured.url}/audit/events`, JSON.stringify(EVENT));
    assert.equal(res.status, 503);
    assert.deepEqual(await errorOf(res), { code: 'unavailable', message: NOT_CONFIGURED_MESSAGE });
    assert.equal(await rows(), 0);
  });

  it('200 {"accepted": true} for a new event, then false for its re-delivery', async () => {
    const first = await post(`${main.url}/audit/events`, JSON.stringify(EVENT));
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { accepted: true });
    const again = await post(`${main.url}/audit/events/teleport.events`, JSON.stringify(EVENT));
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { accepted: false });
    assert.equal(await rows(), 1);
  });

  it('accepts a fluentd-style tagged URL', async () => {
    const res = await post(
      `${main.url}/audit/events/session.log`,
      JSON.stringify({ ...EVENT, uid: 'tagged-1' }),
    );
    assert.deepEqual([res.status, await res.json()], [200, { accepted: true }]);
  });

  const badRequests: { title: string; body: string; contentType?: string; message: RegExp }[] = [
    { title: 'malformed JSON', body: '{"event": "user.login",', message: /./ },
    {
      title: 'a JSON array',
      body: JSON.stringify([EVENT]),
      message: /^body: must be one JSON object/,
    },
    {
      title: 'an event without time',
      body: JSON.stringify({ event: 'user.login', uid: 'x' }),
      message: /^time: is required/,
    },
    {
      title: 'a text body',
      body: JSON.stringify(EVENT),
      contentType: 'text/plain',
      message: /^content-type: must be application\/json/,
    },
  ];
  for (const { title, body, contentType, message } of badRequests) {
    it(`400 for ${title}, nothing stored`, async () => {
      const before = await rows();
      for (const target of [main, withoutParser]) {
        const res = await post(`${target.url}/audit/events`, body, {
          authorization: `Bearer ${TOKEN}`,
          ...(contentType === undefined ? {} : { 'content-type': contentType }),
        });
        assert.equal(res.status, 400, await res.clone().text());
        if (target === withoutParser || !title.startsWith('malformed')) {
          assert.match((await errorOf(res)).message, message);
        } else {
          await res.body?.cancel();
        }
      }
      assert.equal(await rows(), before);
    });
  }

  it('413 for a body over 1 MiB', async () => {
    const big = JSON.stringify({ ...EVENT, uid: 'big', padding: 'x'.repeat(1024 * 1024) });
    for (const target of [main, withoutParser]) {
      const res = await post(`${target.url}/audit/events`, big);
      assert.equal(res.status, 413);
      await res.body?.cancel();
    }
  });

  it('works without the app-wide JSON body parser', async () => {
    const res = await post(
      `${withoutParser.url}/audit/events`,
      JSON.stringify({ ...EVENT, uid: 'no-parser-1' }),
    );
    assert.deepEqual([res.status, await res.json()], [200, { accepted: true }]);
  });

  it('keeps ingest status and Prometheus counters', async () => {
    const status = main.app.get(AuditIngestStatusService).status();
    assert.equal(status.stored, 2);
    assert.equal(status.duplicates, 1);
    assert.equal(status.unauthorized, 4);
    // Array, missing time, text body. Malformed and oversized JSON are refused by the app-wide
    // parser before the endpoint runs, so they are not counted here.
    assert.equal(status.rejected, 3);
    assert.equal(status.lastEventTime, EVENT.time);
    const metrics = await (
      await fetch(`${main.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    assert.match(metrics, /^tmcp_audit_ingest_events_total\{outcome="stored"\} 2$/m);
    assert.match(metrics, /^tmcp_audit_ingest_events_total\{outcome="duplicate"\} 1$/m);
  });
});
