// One-time join tokens for agent enrollment: random, shown once, stored as sha256 (the token
// has 256 bits of entropy, so a fast hash is enough), consumed atomically by one UPDATE.
import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { DataSource, type EntityManager } from 'typeorm';
import { SERVER_CONFIG } from '../config/server-config.token.js';

export const JOIN_TOKEN_PREFIX = 'tmcp_jt_';

export interface JoinTokenInfo {
  readonly tokenId: string;
  readonly labels: Record<string, string>;
  readonly description: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
  readonly usedByAgentId: string | null;
  readonly revokedAt: Date | null;
}

export interface CreatedJoinToken {
  readonly info: JoinTokenInfo;
  /** The token itself; only its hash is stored. */
  readonly token: string;
}

export interface CreateJoinTokenInput {
  readonly ttlSeconds?: number;
  readonly labels?: Record<string, string>;
  readonly description?: string;
  readonly createdBy: string;
}

interface TokenRow {
  token_id: string;
  labels: Record<string, string>;
  description: string | null;
  created_by: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  used_by_agent_id: string | null;
  revoked_at: Date | null;
}

const COLUMNS =
  'token_id, labels, description, created_by, created_at, expires_at, used_at, used_by_agent_id, revoked_at';
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;

export function hashJoinToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

@Injectable()
export class JoinTokensService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(SERVER_CONFIG) private readonly config: Pick<ServerConfig, 'agentService'>,
  ) {}

  async create(input: CreateJoinTokenInput): Promise<CreatedJoinToken> {
    const ttl = input.ttlSeconds ?? this.config.agentService.joinTokenTtlSeconds;
    if (!Number.isInteger(ttl) || ttl <= 0 || ttl > 7 * 86_400) {
      throw AppError.badParameter('ttl', 'must be between 1 second and 7 days');
    }
    const labels = validateLabels(input.labels ?? {});
    const token = `${JOIN_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const rows = await this.dataSource.query<TokenRow[]>(
      `INSERT INTO join_tokens (token_hash, description, labels, created_by, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING ${COLUMNS}`,
      [
        hashJoinToken(token),
        input.description ?? null,
        JSON.stringify(labels),
        input.createdBy,
        ttl,
      ],
    );
    return { info: toInfo(first(rows)), token };
  }

  async list(options: { includeInactive?: boolean } = {}): Promise<JoinTokenInfo[]> {
    const rows = await this.dataSource.query<TokenRow[]>(
      `SELECT ${COLUMNS} FROM join_tokens
        ${options.includeInactive === true ? '' : 'WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > now()'}
        ORDER BY created_at DESC`,
    );
    return rows.map(toInfo);
  }

  async revoke(tokenId: string): Promise<JoinTokenInfo> {
    const [rows] = await this.dataSource.query<[TokenRow[], number]>(
      `UPDATE join_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE token_id::text = $1 RETURNING ${COLUMNS}`,
      [tokenId],
    );
    const row = rows[0];
    if (row === undefined) throw new AppError('not_found', `join token ${tokenId} does not exist`);
    return toInfo(row);
  }

  /**
   * Consumes `token` for `agentId` (whose row the caller inserted in the same transaction).
   * Exactly one of any number of concurrent consumers wins: the UPDATE takes the row lock and
   * the losers re-check `used_at IS NULL` after it. Every refusal is the same message, so a
   * caller learns nothing about which tokens exist.
   */
  async consume(manager: EntityManager, token: string, agentId: string): Promise<JoinTokenInfo> {
    const [rows] = await manager.query<[TokenRow[], number]>(
      `UPDATE join_tokens SET used_at = now(), used_by_agent_id = $2
        WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
        RETURNING ${COLUMNS}`,
      [hashJoinToken(token), agentId],
    );
    const row = rows[0];
    if (row === undefined) {
      throw new AppError(
        'unauthenticated',
        'the join token is invalid, expired, revoked or already used: create a new one with `tmcp-server tokens create`',
      );
    }
    return toInfo(row);
  }
}

export function validateLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (!LABEL_KEY.test(key))
      throw AppError.badParameter('labels', `key "${key}" must be 1..63 letters, digits, . _ / -`);
    if (typeof value !== 'string' || value.length > 256 || /[\p{Cc}]/u.test(value)) {
      throw AppError.badParameter(
        'labels',
        `value of "${key}" must be at most 256 printable characters`,
      );
    }
    out[key] = value;
  }
  return out;
}

function first(rows: TokenRow[]): TokenRow {
  const row = rows[0];
  if (row === undefined) throw new AppError('internal', 'the database returned no row');
  return row;
}

function toInfo(row: TokenRow): JoinTokenInfo {
  return {
    tokenId: row.token_id,
    labels: row.labels,
    description: row.description,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    usedByAgentId: row.used_by_agent_id,
    revokedAt: row.revoked_at,
  };
}
