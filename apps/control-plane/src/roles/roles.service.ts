// Custom role management for the admin API and CLI: the repository plus cache invalidation.
import { Injectable } from '@nestjs/common';
import { BUILTIN_ROLES, type RoleDefinition } from '@tmcp/policy';
import { RoleResolverService } from './role-resolver.service.js';
import { RolesRepository, type StoredRole } from './roles.repository.js';

@Injectable()
export class RolesService {
  constructor(
    private readonly repository: RolesRepository,
    private readonly resolver: RoleResolverService,
  ) {}

  /** Built-in roles first, then custom roles. */
  async list(): Promise<{ builtin: RoleDefinition[]; custom: StoredRole[] }> {
    const { roles } = await this.repository.list();
    return { builtin: Object.values(BUILTIN_ROLES), custom: roles };
  }

  get(name: string): Promise<StoredRole> {
    return this.repository.get(name);
  }

  async upsert(input: unknown): Promise<StoredRole> {
    const stored = await this.repository.upsert(input);
    this.resolver.invalidate();
    return stored;
  }

  async delete(name: string): Promise<void> {
    await this.repository.delete(name);
    this.resolver.invalidate();
  }
}
