// API-key principals: create (the key is returned once), verify a presented key, revoke.
// Transport-free: the CLI, the MCP authentication and the admin gRPC API all call this.
import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { AppError } from '@tmcp/errors';
import { ROLE_NAMES } from '@tmcp/policy';
import { QueryFailedError, type Repository } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock.js';
import {
  PRINCIPAL_KINDS,
  PrincipalEntity,
  type PrincipalKind,
  RoleEntity,
} from '../database/entities/index.js';
import {
  generateApiKey,
  hashApiKey,
  lookupPrefixOf,
  verifyApiKey,
  type ScryptParams,
} from './api-key.js';
import { type Principal, toPrincipal } from './principal.js';

/** The role of a service principal created without one (DESIGN §3.3). */
export const DEFAULT_SERVICE_ROLE = 'operator';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNIQUE_VIOLATION = '23505';
const PREFIX_ATTEMPTS = 3;
const INVALID_KEY_MESSAGE = 'invalid API key';

export interface CreatePrincipalRequest {
  name: string;
  kind: PrincipalKind;
  /** Required for user principals; service principals default to `operator`. */
  role?: string | undefined;
  expiresAt?: Date | undefined;
  createdBy?: string | undefined;
}

export interface CreatedPrincipal {
  principal: Principal;
  /** Shown once; only its hash is stored. */
  apiKey: string;
}

export interface ListPrincipalsQuery {
  /** Only principals with this name. */
  name?: string | undefined;
  /** Include revoked and expired principals (default: only usable ones). */
  includeRevoked?: boolean | undefined;
  /** Rows to return, at most. */
  limit: number;
  /** Keyset cursor: the (name, id) of the last row of the previous page. */
  after?: { name: string; id: string } | undefined;
}

export const PRINCIPALS_SCRYPT_PARAMS = Symbol('PRINCIPALS_SCRYPT_PARAMS');

@Injectable()
export class PrincipalsService {
  /** A hash nobody's key matches, verified when a prefix is unknown so timing reveals nothing. */
  private decoyHash: Promise<string> | undefined;

  constructor(
    @InjectRepository(PrincipalEntity) private readonly principals: Repository<PrincipalEntity>,
    @InjectRepository(RoleEntity) private readonly roles: Repository<RoleEntity>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional()
    @Inject(PRINCIPALS_SCRYPT_PARAMS)
    private readonly scryptParams?: ScryptParams,
  ) {}

  async create(request: CreatePrincipalRequest): Promise<CreatedPrincipal> {
    const { name, kind, expiresAt, createdBy } = request;
    if (!NAME_PATTERN.test(name)) {
      throw AppError.badParameter(
        'name',
        'must be 1-128 characters: letters, digits, ".", "_", "@", "-", starting with a letter or digit',
      );
    }
    if (!(PRINCIPAL_KINDS as readonly string[]).includes(kind)) {
      throw AppError.badParameter('kind', `must be one of ${PRINCIPAL_KINDS.join(', ')}`);
    }
    const role = await this.resolveRole(kind, request.role);
    if (expiresAt !== undefined) {
      if (Number.isNaN(expiresAt.getTime()))
        throw AppError.badParameter('expires', 'is not a valid time');
      if (expiresAt.getTime() <= this.clock.now().getTime()) {
        throw AppError.badParameter('expires', 'must be in the future');
      }
    }

    for (let attempt = 1; ; attempt++) {
      const { apiKey, lookupPrefix } = generateApiKey();
      const entity = this.principals.create({
        name,
        kind,
        role,
        keyPrefix: lookupPrefix,
        keyHash: await hashApiKey(apiKey, this.scryptParams),
        createdBy: createdBy ?? null,
        createdAt: this.clock.now(),
        expiresAt: expiresAt ?? null,
      });
      try {
        const saved = await this.principals.save(entity);
        return { principal: toPrincipal(saved), apiKey };
      } catch (error) {
        const constraint = uniqueViolation(error);
        if (constraint === 'uq_principals_name_active') {
          throw new AppError(
            'already_exists',
            `principal "${name}" already exists; revoke it first or choose another name`,
            { cause: error },
          );
        }
        // 48 bits of prefix rarely collide; when they do, a fresh key settles it.
        if (constraint === 'uq_principals_key_prefix' && attempt < PREFIX_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /**
   * The principal a presented API key belongs to. Every failure is `unauthenticated`; revoked
   * and expired keys say so, since only the key's holder can get that far.
   */
  async verify(apiKey: string): Promise<Principal> {
    const prefix = lookupPrefixOf(apiKey);
    const entity =
      prefix === undefined ? null : await this.principals.findOneBy({ keyPrefix: prefix });
    if (entity === null) {
      await verifyApiKey(apiKey, await this.decoy());
      throw new AppError('unauthenticated', INVALID_KEY_MESSAGE);
    }
    if (!(await verifyApiKey(apiKey, entity.keyHash))) {
      throw new AppError('unauthenticated', INVALID_KEY_MESSAGE);
    }
    if (entity.revokedAt !== null) {
      throw new AppError(
        'unauthenticated',
        'this API key has been revoked; ask an admin for a new one',
      );
    }
    const now = this.clock.now();
    if (entity.expiresAt !== null && entity.expiresAt.getTime() <= now.getTime()) {
      throw new AppError(
        'unauthenticated',
        `this API key expired at ${entity.expiresAt.toISOString()}; ask an admin for a new one`,
      );
    }
    await this.principals.update({ principalId: entity.principalId }, { lastUsedAt: now });
    return toPrincipal({ ...entity, lastUsedAt: now });
  }

  /** Revokes a principal's key; revoking twice is not an error. */
  async revoke(id: string): Promise<Principal> {
    if (!UUID_PATTERN.test(id)) throw AppError.badParameter('principal_id', 'must be a UUID');
    await this.principals
      .createQueryBuilder()
      .update()
      .set({ revokedAt: this.clock.now() })
      .where('principal_id = :id AND revoked_at IS NULL', { id })
      .execute();
    const entity = await this.principals.findOneBy({ principalId: id });
    if (entity === null) throw AppError.notFound(`principal ${id}`);
    return toPrincipal(entity);
  }

  /** Principals ordered by (name, id), one page after `after`. */
  async list(query: ListPrincipalsQuery): Promise<Principal[]> {
    const q = this.principals.createQueryBuilder('p');
    if (query.name !== undefined) q.andWhere('p.name = :name', { name: query.name });
    if (query.includeRevoked !== true) {
      q.andWhere('p.revoked_at IS NULL').andWhere('(p.expires_at IS NULL OR p.expires_at > :now)', {
        now: this.clock.now(),
      });
    }
    if (query.after !== undefined) {
      q.andWhere('(p.name, p.principal_id) > (:afterName, :afterId)', {
        afterName: query.after.name,
        afterId: query.after.id,
      });
    }
    const rows = await q
      .orderBy('p.name', 'ASC')
      .addOrderBy('p.principal_id', 'ASC')
      .limit(query.limit)
      .getMany();
    return rows.map(toPrincipal);
  }

  private async resolveRole(kind: PrincipalKind, requested: string | undefined): Promise<string> {
    if (requested === undefined || requested === '') {
      if (kind === 'service') return DEFAULT_SERVICE_ROLE;
      throw AppError.badParameter('role', 'is required for user principals');
    }
    if ((ROLE_NAMES as readonly string[]).includes(requested)) return requested;
    if (await this.roles.existsBy({ name: requested })) return requested;
    throw AppError.badParameter(
      'role',
      `unknown role "${requested}": use one of ${ROLE_NAMES.join(', ')} or a custom role created with \`tmcpctl roles apply\``,
    );
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= hashApiKey(generateApiKey().apiKey, this.scryptParams);
    return this.decoyHash;
  }
}

/** The name of the unique index a failed insert violated, if that is what happened. */
function uniqueViolation(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const driverError: unknown = error.driverError;
  if (typeof driverError !== 'object' || driverError === null) return undefined;
  const { code, constraint } = driverError as { code?: unknown; constraint?: unknown };
  return code === UNIQUE_VIOLATION && typeof constraint === 'string' ? constraint : undefined;
}
