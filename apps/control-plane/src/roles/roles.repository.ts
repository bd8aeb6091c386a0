// Custom roles in Postgres (`roles`), validated with the policy engine's parseRoleDefinition on
// the way in and re-validated on the way out, so a hand-edited row cannot smuggle in a broken
// role. `requireTicket` has no column of its own yet: it is kept inside `constraints` under
// REQUIRE_TICKET_KEY and split off again when read.
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { AppError } from '@tmcp/errors';
import { parseRoleDefinition, type RoleDefinition } from '@tmcp/policy';
import { IsNull, type Repository } from 'typeorm';
import { PrincipalEntity, RoleEntity } from '../database/entities/index.js';

export const REQUIRE_TICKET_KEY = 'requireTicket';

export interface StoredRole {
  role: RoleDefinition;
  createdAt: Date;
  updatedAt: Date;
}

@Injectable()
export class RolesRepository {
  constructor(
    @InjectRepository(RoleEntity) private readonly roles: Repository<RoleEntity>,
    @InjectRepository(PrincipalEntity) private readonly principals: Repository<PrincipalEntity>,
  ) {}

  /** Every custom role, by name. Rows that no longer validate are skipped (see `invalid`). */
  async list(): Promise<{ roles: StoredRole[]; invalid: { name: string; problem: string }[] }> {
    const rows = await this.roles.find({ order: { name: 'ASC' } });
    const roles: StoredRole[] = [];
    const invalid: { name: string; problem: string }[] = [];
    for (const row of rows) {
      try {
        roles.push(fromRow(row));
      } catch (error) {
        invalid.push({
          name: row.name,
          problem: error instanceof Error ? error.message : 'invalid',
        });
      }
    }
    return { roles, invalid };
  }

  async get(name: string): Promise<StoredRole> {
    const row = await this.roles.findOneBy({ name });
    if (row === null) throw AppError.notFound(`role "${name}"`);
    return fromRow(row);
  }

  /** Creates or replaces a custom role; `input` is validated (all problems at once). */
  async upsert(input: unknown, now: Date = new Date()): Promise<StoredRole> {
    const role = parseRoleDefinition(input);
    const { requireTicket, constraints } = {
      requireTicket: role.requireTicket,
      constraints: role.constraints,
    };
    await this.roles
      .createQueryBuilder()
      .insert()
      .values({
        name: role.name,
        description: role.description,
        allow: role.allow,
        deny: role.deny,
        constraints: {
          ...constraints,
          ...(requireTicket === undefined ? {} : { [REQUIRE_TICKET_KEY]: requireTicket }),
        },
        createdAt: now,
        updatedAt: now,
      })
      .orUpdate(['description', 'allow', 'deny', 'constraints', 'updated_at'], ['name'])
      .execute();
    return this.get(role.name);
  }

  /**
   * Deletes a custom role. Refused while active principals hold it (they would silently lose
   * every permission); reassign or revoke them first.
   */
  async delete(name: string): Promise<void> {
    const holders = await this.principals.find({
      where: { role: name, revokedAt: IsNull() },
      select: { name: true },
      take: 6,
    });
    if (holders.length > 0) {
      const names = holders.slice(0, 5).map((p) => p.name);
      throw new AppError(
        'precondition_failed',
        `role "${name}" is held by principal(s) ${names.join(', ')}${holders.length > 5 ? ', …' : ''}; revoke or re-create them with another role first`,
      );
    }
    const result = await this.roles.delete({ name });
    if ((result.affected ?? 0) === 0) throw AppError.notFound(`role "${name}"`);
  }
}

function fromRow(row: RoleEntity): StoredRole {
  const { [REQUIRE_TICKET_KEY]: requireTicket, ...constraints } = row.constraints;
  const role = parseRoleDefinition({
    name: row.name,
    description: row.description,
    allow: row.allow,
    deny: row.deny,
    constraints,
    ...(requireTicket === undefined ? {} : { requireTicket }),
  });
  return { role, createdAt: row.createdAt, updatedAt: row.updatedAt };
}
