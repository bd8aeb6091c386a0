// Shared state of 2025-era sessions, in Redis so every replica sees it: the HMAC key (when the
// configuration gives none) and the revocation list filled by DELETE.
//
// The key is created once with SET NX and re-read every KEY_REFRESH_MS. If Redis loses it
// (flush, new instance), the next replica to look creates a new one and all replicas converge on
// it within one refresh: existing sessions then answer 404 and clients re-initialize — which is
// also what must happen, since the revocation list was lost with it.
import { randomBytes } from 'node:crypto';
import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { LOGGER } from '../logging/logger.token.js';
import { REDIS } from '../redis/redis.token.js';
import {
  DEFAULT_MCP_GATEWAY_OPTIONS,
  MCP_GATEWAY_OPTIONS,
  type McpGatewayOptions,
} from './mcp-gateway-options.js';
import { SessionTokenCodec, type SessionClaims } from './session-token.js';

export const SESSION_KEY_REDIS_KEY = 'mcp:session-key';
export const REVOKED_SESSION_PREFIX = 'mcp:revoked:';
const KEY_REFRESH_MS = 30_000;

@Injectable()
export class SessionStore implements OnModuleInit, OnApplicationShutdown {
  private codec: SessionTokenCodec | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly options: McpGatewayOptions;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(MCP_GATEWAY_OPTIONS) options?: McpGatewayOptions,
  ) {
    this.options = options ?? DEFAULT_MCP_GATEWAY_OPTIONS;
  }

  async onModuleInit(): Promise<void> {
    if (this.options.sessionKey !== undefined) {
      this.codec = new SessionTokenCodec(this.options.sessionKey, this.options.sessionTtlSeconds);
      return;
    }
    await this.loadSharedKey();
    this.timer = setInterval(() => {
      this.loadSharedKey().catch((error: unknown) => {
        this.logger.warn(
          { err: error },
          'could not refresh the shared MCP session key; keeping the current one',
        );
      });
    }, KEY_REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  mint(actorId: string, protocolVersion: string): { token: string; claims: SessionClaims } {
    return this.requireCodec().mint(actorId, protocolVersion);
  }

  /** Claims of a genuine, unexpired, unrevoked session id; undefined otherwise. */
  async verify(token: string): Promise<SessionClaims | undefined> {
    const claims = this.requireCodec().verify(token);
    if (claims === undefined) return undefined;
    const revoked = await this.redis.exists(`${REVOKED_SESSION_PREFIX}${claims.jti}`);
    return revoked === 1 ? undefined : claims;
  }

  /** Ends a session everywhere: its jti is listed until the token would have expired anyway. */
  async revoke(claims: SessionClaims): Promise<void> {
    const ttl = Math.max(1, claims.exp - Math.floor(Date.now() / 1000));
    await this.redis.set(`${REVOKED_SESSION_PREFIX}${claims.jti}`, '1', 'EX', ttl);
  }

  private async loadSharedKey(): Promise<void> {
    const fresh = randomBytes(32).toString('base64');
    await this.redis.set(SESSION_KEY_REDIS_KEY, fresh, 'NX');
    const stored = await this.redis.get(SESSION_KEY_REDIS_KEY);
    const key = Buffer.from(stored ?? fresh, 'base64');
    if (key.length < 32)
      throw new Error(
        `the Redis key ${SESSION_KEY_REDIS_KEY} holds a key shorter than 32 bytes; delete it`,
      );
    this.codec = new SessionTokenCodec(key, this.options.sessionTtlSeconds);
  }

  private requireCodec(): SessionTokenCodec {
    if (this.codec === undefined) throw new Error('SessionStore used before module init');
    return this.codec;
  }
}
