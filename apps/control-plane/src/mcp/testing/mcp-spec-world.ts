// The world an MCP integration spec runs in: a database of its own (migrated), its own Redis key
// prefix, the Teleport simulator, custom roles and one principal per named key, and the full app
// on free loopback ports. `close()` removes all of it, also after a start that failed half-way.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseServerConfig, type ServerConfig } from '@tmcp/config';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { systemClock } from '../../common/clock.js';
import { connectDataSource } from '../../database/data-source.js';
import { PrincipalEntity, RoleEntity } from '../../database/entities/index.js';
import { MigrationRunner } from '../../database/migration-runner.js';
import { createLogger } from '../../logging/create-logger.js';
import { PrincipalsService } from '../../principals/principals.service.js';
import { connectRedis } from '../../redis/redis-client.js';
import { RolesRepository } from '../../roles/roles.repository.js';
import { TELEPORT_CLUSTERS_OPTIONS } from '../../teleport/teleport-clusters.js';
import {
  createTestDatabase,
  TEST_REDIS_URL,
  type TestDatabase,
} from '../../testing/test-database.js';
import { startMcpTestApp, type McpTestApp } from '../mcp-test-app.js';
import { createSimTeleportFixture, type SimTeleportFixture } from './sim-teleport-fixture.js';

export interface McpSpecWorldOptions {
  /** Raw configuration sections merged over the world's own (database, redis, ports, clusters). */
  config?: Record<string, unknown>;
  /** Custom roles stored before the principals are created (RolesRepository.upsert input). */
  roles?: readonly unknown[];
  /** Principals to create: key name → role. Each principal is named `p-<key name>`. */
  principals: Readonly<Record<string, string>>;
}

export interface McpSpecWorld {
  readonly db: TestDatabase;
  readonly dataSource: DataSource;
  readonly redis: Redis;
  readonly sim: SimTeleportFixture;
  readonly app: McpTestApp;
  readonly config: ServerConfig;
  /** API key per principal key name. */
  readonly keys: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export async function startMcpSpecWorld(options: McpSpecWorldOptions): Promise<McpSpecWorld> {
  const parts: {
    db?: TestDatabase;
    dataSource?: DataSource;
    redis?: Redis;
    sim?: SimTeleportFixture;
    app?: McpTestApp;
  } = {};
  const close = async (): Promise<void> => {
    const { redis, app, dataSource, db, sim } = parts;
    if (redis !== undefined) {
      const prefix = redis.options.keyPrefix ?? '';
      const leftovers = await redis.keys(`${prefix}*`);
      if (leftovers.length > 0) await redis.del(...leftovers.map((k) => k.slice(prefix.length)));
    }
    // Closing the app also quits the shared Redis client.
    if (app !== undefined) await app.close();
    else await redis?.quit();
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
    sim?.cleanup();
  };
  try {
    const db = (parts.db = await createTestDatabase());
    const sim = (parts.sim = createSimTeleportFixture());
    const logger = createLogger('silent');
    const dataSource = (parts.dataSource = await connectDataSource(db.config, logger));
    await new MigrationRunner(dataSource, logger).run();
    const config = parseServerConfig({
      database: { url: db.url },
      redis: { url: TEST_REDIS_URL, key_prefix: `tmcp-t-${randomBytes(4).toString('hex')}` },
      teleport: { clusters: sim.clusters },
      // Every listener on a free loopback port, the agent CA in the fixture's own directory, so
      // suites running at the same time never clash.
      grpc: { host: '127.0.0.1', port: 0 },
      agent_service: { host: '127.0.0.1', port: 0, ca_dir: path.join(sim.dir, 'agent-ca') },
      ...options.config,
    });
    const redis = (parts.redis = await connectRedis(config.redis, logger));
    const roles = new RolesRepository(
      dataSource.getRepository(RoleEntity),
      dataSource.getRepository(PrincipalEntity),
    );
    for (const role of options.roles ?? []) await roles.upsert(role);
    const principals = new PrincipalsService(
      dataSource.getRepository(PrincipalEntity),
      dataSource.getRepository(RoleEntity),
      systemClock,
      { N: 1024, r: 8, p: 1 },
    );
    const keys: Record<string, string> = {};
    for (const [name, role] of Object.entries(options.principals)) {
      keys[name] = (await principals.create({ name: `p-${name}`, kind: 'user', role })).apiKey;
    }
    const app = (parts.app = await startMcpTestApp(
      { config, logger, dataSource, redis },
      {
        providers: [
          {
            provide: TELEPORT_CLUSTERS_OPTIONS,
            useValue: {
              envAllowList: ['TELEPORT_SIM_STATE'],
              baseEnv: { ...process.env, ...sim.env },
            },
          },
        ],
      },
    ));
    return { db, dataSource, redis, sim, app, config, keys, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
