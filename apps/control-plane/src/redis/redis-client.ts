// The shared ioredis client: connects on demand, fails commands fast while Redis is away (so a
// readiness check answers instead of queueing forever), reconnects in the background.
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { connectionFailureReason } from '../common/connection-failure-reason.js';

export type RedisConfig = ServerConfig['redis'];

const CONNECT_TIMEOUT_MS = 5_000;
const MAX_RECONNECT_DELAY_MS = 5_000;

export function createRedisClient(config: RedisConfig): Redis {
  return new Redis(config.url, {
    lazyConnect: true,
    // Every key this client touches lives under `<key_prefix>:`.
    keyPrefix: config.keyPrefix.endsWith(':') ? config.keyPrefix : `${config.keyPrefix}:`,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
  });
}

/**
 * Creates and connects the client; a failure is one `cannot connect to Redis at …` error.
 * Once connected, outages are logged (once each) while ioredis reconnects in the background.
 */
export async function connectRedis(config: RedisConfig, logger: Logger): Promise<Redis> {
  const client = createRedisClient(config);
  const target = describeRedisTarget(config.url);
  let connected = false;
  let firstError: unknown;
  let outage = false;
  // ioredis emits an error per failed attempt; without a listener it prints them to stderr.
  client.on('error', (error: unknown) => {
    if (!connected) {
      firstError ??= error;
      return;
    }
    if (outage) return;
    outage = true;
    logger.warn(
      { target, reason: connectionFailureReason(error) },
      'Redis connection lost; reconnecting',
    );
  });
  client.on('ready', () => {
    if (outage) logger.info({ target }, 'Redis reconnected');
    outage = false;
  });
  try {
    await client.connect();
    connected = true;
    return client;
  } catch (error) {
    client.disconnect();
    // connect() rejects with "Connection is closed."; the socket error says why.
    throw redisUnreachable(config.url, firstError ?? error);
  }
}

/** Closes politely, or drops the connection when Redis is not answering. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

export function describeRedisTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '6379'}`;
  } catch {
    return '(unparsable redis.url)';
  }
}

export function redisUnreachable(url: string, cause: unknown): AppError {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // An unparsable URL has no password we could strip.
  }
  return new AppError(
    'unreachable',
    `cannot connect to Redis at ${describeRedisTarget(url)}: ${connectionFailureReason(cause, [password])}`,
    { cause },
  );
}
