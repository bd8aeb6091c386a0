// The policy engine's RoleResolver over the built-in roles plus the custom roles in Postgres.
// Custom roles are cached for a few seconds: a changed role reaches every replica within
// CACHE_TTL_MS, and this replica at once (upsert/delete through RolesService invalidate).
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { builtinRoleResolver, type RateLimit, type RoleResolver } from '@tmcp/policy';
import type { Logger } from 'pino';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { LOGGER } from '../logging/logger.token.js';
import { RolesRepository } from './roles.repository.js';

export const ROLE_CACHE_TTL_MS = Symbol('ROLE_CACHE_TTL_MS');
const DEFAULT_CACHE_TTL_MS = 5_000;

@Injectable()
export class RoleResolverService {
  private cached: { resolver: RoleResolver; at: number } | undefined;
  private loading: Promise<RoleResolver> | undefined;
  private readonly ttlMs: number;
  /** rate_limit.per_actor_per_minute / burst: the limit of roles without their own. */
  private readonly defaultRateLimit: RateLimit | undefined;

  constructor(
    private readonly repository: RolesRepository,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(ROLE_CACHE_TTL_MS) ttlMs?: number,
    @Optional() @Inject(SERVER_CONFIG) config?: ServerConfig,
  ) {
    this.ttlMs = ttlMs ?? DEFAULT_CACHE_TTL_MS;
    this.defaultRateLimit =
      config === undefined
        ? undefined
        : { perMinute: config.rateLimit.perActorPerMinute, burst: config.rateLimit.burst };
  }

  /** Built-ins plus current custom roles. */
  async resolver(): Promise<RoleResolver> {
    const cached = this.cached;
    if (cached !== undefined && performance.now() - cached.at < this.ttlMs) return cached.resolver;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Forget the cache (after a change made through this replica). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async load(): Promise<RoleResolver> {
    const { roles, invalid } = await this.repository.list();
    for (const bad of invalid) {
      this.logger.warn(
        { role: bad.name, problem: bad.problem },
        'custom role ignored: it no longer validates',
      );
    }
    const resolver = builtinRoleResolver(
      roles.map((r) => r.role),
      this.defaultRateLimit === undefined ? {} : { defaultRateLimit: this.defaultRateLimit },
    );
    this.cached = { resolver, at: performance.now() };
    return resolver;
  }
}
