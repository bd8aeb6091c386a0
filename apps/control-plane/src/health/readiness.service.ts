// The readiness checks of DESIGN §6: Postgres answers, Redis answers, no pending migrations.
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { connectionFailureReason } from '../common/connection-failure-reason.js';
import { pendingMigrations } from '../database/pending-migrations.js';
import { REDIS } from '../redis/redis.token.js';
import { checkReadiness, type ReadinessCheck, type ReadinessReport } from './readiness.js';

const CHECK_TIMEOUT_MS = 2_000;

@Injectable()
export class ReadinessService {
  private readonly checks: readonly ReadinessCheck[];

  constructor(dataSource: DataSource, @Inject(REDIS) redis: Redis) {
    this.checks = [
      {
        name: 'postgres',
        run: async () => {
          await withShortReason(dataSource.query('SELECT 1'));
        },
      },
      {
        name: 'redis',
        run: async () => {
          await withShortReason(redis.ping());
        },
      },
      {
        name: 'migrations',
        run: async () => {
          const pending = await withShortReason(pendingMigrations(dataSource));
          if (pending.length > 0) {
            throw new Error(`${pending.length} pending migration(s); run \`tmcp-server migrate\``);
          }
        },
      },
    ];
  }

  check(): Promise<ReadinessReport> {
    return checkReadiness(this.checks, CHECK_TIMEOUT_MS);
  }
}

/** Driver errors become the short, secret-free reason /readyz shows. */
async function withShortReason<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw new Error(connectionFailureReason(error), { cause: error });
  }
}
