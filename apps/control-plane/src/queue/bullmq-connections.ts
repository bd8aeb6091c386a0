// Redis connections for BullMQ, with the production settings of its guide: producers fail fast
// while Redis is away (an MCP call gets an error instead of hanging), workers block and retry
// forever (`maxRetriesPerRequest: null`), every connection has an `error` listener, and all
// queues live under `redis.keyPrefix` (BullMQ's own prefix; ioredis' keyPrefix is not allowed).
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import type { DefaultJobOptions, QueueOptions, WorkerOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { LOGGER } from '../logging/logger.token.js';
import { closeRedis } from '../redis/redis-client.js';

/** Completed jobs are kept an hour (for debugging), failed ones a day; both bounded in count. */
export const JOB_RETENTION: Pick<DefaultJobOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { age: 3_600, count: 1_000 },
  removeOnFail: { age: 86_400, count: 5_000 },
};

@Injectable()
export class BullmqConnections implements OnApplicationShutdown {
  readonly prefix: string;
  private readonly url: string;
  private producerClient: Redis | undefined;

  constructor(
    @Inject(SERVER_CONFIG) config: Pick<ServerConfig, 'redis'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.url = config.redis.url;
    // BullMQ joins prefix and queue name with ":"; a trailing one would double it.
    this.prefix = `${config.redis.keyPrefix.replace(/:+$/, '')}:bull`;
  }

  /** Options for a Queue (producer): one shared fail-fast connection. */
  queueOptions(): QueueOptions {
    return { connection: this.producer(), prefix: this.prefix, defaultJobOptions: JOB_RETENTION };
  }

  /** Options for a Worker: its own blocking connections, closed by the worker itself. */
  workerOptions(extra: Omit<WorkerOptions, 'connection' | 'prefix'> = {}): WorkerOptions {
    return {
      ...extra,
      connection: this.connectionOptions({ maxRetriesPerRequest: null }),
      prefix: this.prefix,
    };
  }

  /** Logs a BullMQ component's `error` events (without them Node would crash on one). */
  watch(
    component: { on(event: 'error', listener: (error: Error) => void): unknown },
    name: string,
  ): void {
    component.on('error', (error) => {
      this.logger.warn({ err: error, component: name }, 'BullMQ error');
    });
  }

  private producer(): Redis {
    if (this.producerClient === undefined) {
      const client = new Redis(
        this.url,
        this.connectionOptions({ enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
      );
      this.watch(client, 'bullmq-producer');
      this.producerClient = client;
    }
    return this.producerClient;
  }

  private connectionOptions(overrides: RedisOptions): RedisOptions {
    const parsed = new URL(this.url);
    return {
      host: parsed.hostname || '127.0.0.1',
      port: parsed.port === '' ? 6379 : Number(parsed.port),
      ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
      ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
      ...(parsed.pathname.length > 1 ? { db: Number(parsed.pathname.slice(1)) } : {}),
      ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 5_000),
      ...overrides,
    };
  }

  /** Runs after every beforeApplicationShutdown hook, so queues and workers are closed first. */
  async onApplicationShutdown(): Promise<void> {
    if (this.producerClient !== undefined) await closeRedis(this.producerClient);
    this.producerClient = undefined;
  }
}
