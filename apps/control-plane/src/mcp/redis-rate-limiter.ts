// Per-actor rate limit in Redis (DESIGN §3.1): one token bucket per actor, updated atomically by
// a Lua script using Redis's clock, so every replica shares the bucket and replica clock skew
// does not matter. The rule is the one in ./token-bucket.ts.
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS } from '../redis/redis.token.js';
import type { BucketLimit } from './token-bucket.js';

const TAKE_TOKEN_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perMs = tonumber(ARGV[1]) / 60000
local burst = tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(s[1])
local at = tonumber(s[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * perMs)
  at = now
end
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) / perMs)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / perMs) + 1000)
return {allowed, retry}
`;

export interface RateDecision {
  allowed: boolean;
  retryAfterMs: number;
}

export const RATE_LIMIT_KEY_PREFIX = 'mcp:ratelimit:';

@Injectable()
export class RedisRateLimiter {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async take(actorId: string, limit: BucketLimit): Promise<RateDecision> {
    // The actor id is free text (OIDC subjects); hex-encode it into a safe key.
    const key = `${RATE_LIMIT_KEY_PREFIX}${Buffer.from(actorId, 'utf8').toString('hex')}`;
    const reply = (await this.redis.eval(
      TAKE_TOKEN_LUA,
      1,
      key,
      String(limit.perMinute),
      String(limit.burst),
    )) as [number, number];
    return { allowed: reply[0] === 1, retryAfterMs: reply[1] };
  }
}
