// Removes what a suite's servers left in the shared Redis under their key prefix.
import { Redis } from 'ioredis';
import { E2E_REDIS_URL } from './test-database.js';

export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(E2E_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
