// The control plane's agent and lease half, in-process, for integration tests and the bench:
// its own database, its own Redis prefix, an agent port on a free port, a temporary CA dir.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parseServerConfig, type ServerConfig } from '@tmcp/config';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AGENT_CA } from '../agents/agent-ca.token.js';
import { AgentServiceServer } from '../agents/agent-service.server.js';
import { AgentsModule } from '../agents/agents.module.js';
import type { CertificateAuthority } from '../agents/certificate-authority.js';
import {
  enrollFakeAgent,
  FakeAgent,
  type FakeAgentBehaviour,
} from '../agents/fake-agent.testing.js';
import { JoinTokensService } from '../agents/join-tokens.service.js';
import { ConfigModule } from '../config/config.module.js';
import { connectDataSource } from '../database/data-source.js';
import { DatabaseModule } from '../database/database.module.js';
import { MigrationRunner } from '../database/migration-runner.js';
import { createLogger } from '../logging/create-logger.js';
import { LoggingModule } from '../logging/logging.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { connectRedis } from '../redis/redis-client.js';
import { RedisModule } from '../redis/redis.module.js';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from '../testing/test-database.js';
import { LeaseDispatcher } from '../queue/lease-dispatcher.js';
import { LeaseReaper } from './lease-reaper.js';
import { LeaseReportService } from './lease-report.service.js';
import { LeaseRepository } from './lease.repository.js';
import { LeaseService } from './lease.service.js';

@Module({})
class HarnessModule {
  static forRoot(
    config: ServerConfig,
    logger: Logger,
    dataSource: DataSource,
    redis: Redis,
  ): DynamicModule {
    return {
      module: HarnessModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot(dataSource),
        RedisModule.forRoot(redis),
        MetricsModule,
        AgentsModule,
      ],
    };
  }
}

export interface LeaseHarness {
  readonly app: INestApplicationContext;
  readonly config: ServerConfig;
  readonly dataSource: DataSource;
  readonly address: string;
  readonly ca: CertificateAuthority;
  readonly tokens: JoinTokensService;
  readonly leases: LeaseService;
  readonly repository: LeaseRepository;
  readonly reports: LeaseReportService;
  readonly reaper: LeaseReaper;
  readonly dispatcher: LeaseDispatcher;
  /** Enrolls (through the real Enroll RPC) and connects a fake agent. */
  connectAgent(behaviour?: FakeAgentBehaviour): Promise<FakeAgent>;
  /** Deletes every Redis key of this harness (as if Redis had been flushed). */
  flushRedis(): Promise<void>;
  close(): Promise<void>;
}

export async function startLeaseHarness(
  overrides: Record<string, unknown> = {},
  logger: Logger = createLogger('silent'),
): Promise<LeaseHarness> {
  const db: TestDatabase = await createTestDatabase();
  const caDir = await mkdtemp(path.join(tmpdir(), 'tmcp-ca-'));
  const keyPrefix = `tmcp-t-${randomBytes(5).toString('hex')}`;
  const config = parseServerConfig({
    database: { url: db.url, pool_size: 10 },
    redis: { url: TEST_REDIS_URL, key_prefix: keyPrefix },
    agent_service: { host: '127.0.0.1', port: 0, ca_dir: caDir, heartbeat_interval_seconds: 5 },
    ...overrides,
  });
  const dataSource = await connectDataSource(config.database, logger);
  await new MigrationRunner(dataSource, logger).run();
  const redis = await connectRedis(config.redis, logger);
  const app = await NestFactory.createApplicationContext(
    HarnessModule.forRoot(config, logger, dataSource, redis),
    {
      logger: false,
      abortOnError: false,
    },
  );
  await app.init();
  const server = app.get(AgentServiceServer);
  const ca = app.get<CertificateAuthority>(AGENT_CA);
  const tokens = app.get(JoinTokensService);
  const agents: FakeAgent[] = [];
  const address = `127.0.0.1:${server.port}`;

  const flushRedis = async (): Promise<void> => {
    const client = new Redis(TEST_REDIS_URL);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
    } finally {
      client.disconnect();
    }
  };

  return {
    app,
    config,
    dataSource,
    address,
    ca,
    tokens,
    leases: app.get(LeaseService),
    repository: app.get(LeaseRepository),
    reports: app.get(LeaseReportService),
    reaper: app.get(LeaseReaper),
    dispatcher: app.get(LeaseDispatcher),
    async connectAgent(behaviour = {}) {
      const { token } = await tokens.create({ createdBy: 'test' });
      const identity = await enrollFakeAgent(address, ca.certificatePem, token);
      const agent = new FakeAgent(identity, address, behaviour);
      agents.push(agent);
      await agent.connect();
      return agent;
    },
    flushRedis,
    async close() {
      for (const agent of agents) agent.close();
      await app.close();
      await flushRedis();
      await db.drop();
      await rm(caDir, { recursive: true, force: true });
    },
  };
}
