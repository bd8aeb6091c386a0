// API-key authentication on the hot path. PrincipalsService.verify does the scrypt check (tens
// of ms of CPU) and writes last_used_at; doing both on every MCP request would cap throughput
// and hammer the table. So a key verified once is remembered (by its SHA-256, never the key) for
// VERIFIED_TTL_MS, and every request still reads the principal row by primary key: a revoked or
// expired key, or a replaced hash, is refused at once. last_used_at is written at most once a
// LAST_USED_WRITE_MS per key.
import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { Repository } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock.js';
import { PrincipalEntity } from '../database/entities/index.js';
import { LOGGER } from '../logging/logger.token.js';
import { PrincipalsService } from '../principals/principals.service.js';
import type { AuthenticatedActor } from './authenticated-actor.js';

const VERIFIED_TTL_MS = 5 * 60_000;
const LAST_USED_WRITE_MS = 60_000;
const MAX_CACHED_KEYS = 10_000;

interface VerifiedKey {
  principalId: string;
  keyHash: string;
  verifiedAt: number;
  lastUsedWrittenAt: number;
}

@Injectable()
export class ApiKeyAuthenticator {
  private readonly verified = new Map<string, VerifiedKey>();

  constructor(
    private readonly principals: PrincipalsService,
    @InjectRepository(PrincipalEntity) private readonly rows: Repository<PrincipalEntity>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Throws AppError `unauthenticated` (invalid, revoked or expired key). */
  async authenticate(apiKey: string): Promise<AuthenticatedActor> {
    const digest = createHash('sha256').update(apiKey, 'utf8').digest('base64url');
    const now = this.clock.now();
    const hit = this.verified.get(digest);
    if (hit !== undefined && now.getTime() - hit.verifiedAt < VERIFIED_TTL_MS) {
      const row = await this.rows.findOneBy({ principalId: hit.principalId });
      if (
        row !== null &&
        row.keyHash === hit.keyHash &&
        row.revokedAt === null &&
        (row.expiresAt === null || row.expiresAt.getTime() > now.getTime())
      ) {
        if (now.getTime() - hit.lastUsedWrittenAt >= LAST_USED_WRITE_MS) {
          hit.lastUsedWrittenAt = now.getTime();
          this.touch(row.principalId, now);
        }
        return actorOf(row);
      }
      // Revoked, expired or replaced: the full check below gives the precise refusal.
      this.verified.delete(digest);
    }
    const principal = await this.principals.verify(apiKey);
    const row = await this.rows.findOneBy({ principalId: principal.id });
    if (row !== null) {
      if (this.verified.size >= MAX_CACHED_KEYS) this.verified.clear();
      this.verified.set(digest, {
        principalId: row.principalId,
        keyHash: row.keyHash,
        verifiedAt: now.getTime(),
        lastUsedWrittenAt: now.getTime(),
      });
    }
    return {
      id: principal.name,
      name: principal.name,
      roles: [principal.role],
      kind: principal.kind,
      via: 'api_key',
      principalId: principal.id,
    };
  }

  private touch(principalId: string, now: Date): void {
    this.rows.update({ principalId }, { lastUsedAt: now }).catch((error: unknown) => {
      this.logger.warn({ err: error, principal_id: principalId }, 'could not record last_used_at');
    });
  }
}

function actorOf(row: PrincipalEntity): AuthenticatedActor {
  return {
    id: row.name,
    name: row.name,
    roles: [row.role],
    kind: row.kind,
    via: 'api_key',
    principalId: row.principalId,
  };
}
