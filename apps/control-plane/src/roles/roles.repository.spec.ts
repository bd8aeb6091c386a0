// Integration (real PostgreSQL): custom roles stored, validated, resolved beside built-ins.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { evaluate } from '@tmcp/policy';
import type { DataSource } from 'typeorm';
import { connectDataSource } from '../database/data-source.js';
import { PrincipalEntity, RoleEntity } from '../database/entities/index.js';
import { MigrationRunner } from '../database/migration-runner.js';
import { createLogger } from '../logging/create-logger.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { RoleResolverService } from './role-resolver.service.js';
import { RolesRepository } from './roles.repository.js';
import { RolesService } from './roles.service.js';

describe('custom roles', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repo: RolesRepository;
  let resolver: RoleResolverService;
  let sut: RolesService;

  before(async () => {
    db = await createTestDatabase();
    const logger = createLogger('silent');
    dataSource = await connectDataSource(db.config, logger);
    await new MigrationRunner(dataSource, logger).run();
    repo = new RolesRepository(
      dataSource.getRepository(RoleEntity),
      dataSource.getRepository(PrincipalEntity),
    );
    resolver = new RoleResolverService(repo, logger, 60_000);
    sut = new RolesService(repo, resolver);
  });
  after(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('stores a role with a ticket requirement and reads it back with defaults', async () => {
    const stored = await sut.upsert({
      name: 'auditor',
      allow: ['audit.*', 'inventory.nodes'],
      requireTicket: { pattern: '^CHG-[0-9]+$' },
    });
    assert.equal(stored.role.constraints.maxTtlSeconds, 3600);
    assert.equal(stored.role.requireTicket?.pattern, '^CHG-[0-9]+$');
    assert.deepEqual((await sut.get('auditor')).role.allow, ['audit.*', 'inventory.nodes']);
  });

  it('refuses invalid roles listing every problem, and built-in names', async () => {
    await assert.rejects(sut.upsert({ name: 'Bad Name', allow: ['nope.*'] }), (e: Error) =>
      /name:.*allow\[0\]/s.test(e.message),
    );
    await assert.rejects(sut.upsert({ name: 'admin' }), /built-in role/);
  });

  it('resolves custom roles beside built-ins, and sees changes at once on this replica', async () => {
    const actor = { id: 'x', roles: ['auditor'], kind: 'user' as const };
    assert.equal(evaluate(actor, 'audit.search', {}, await resolver.resolver()).allow, true);
    assert.equal(evaluate(actor, 'inventory.roles', {}, await resolver.resolver()).allow, false);
    await sut.upsert({ name: 'auditor', allow: ['inventory.*'] });
    assert.equal(evaluate(actor, 'inventory.roles', {}, await resolver.resolver()).allow, true);
    assert.ok((await resolver.resolver()).get('admin'));
  });

  it('refuses to delete a role a principal holds, then deletes it', async () => {
    await dataSource.getRepository(PrincipalEntity).insert({
      name: 'holder',
      kind: 'user',
      role: 'auditor',
      keyPrefix: 'AbCdEfGh',
      keyHash: 'scrypt$x',
    });
    await assert.rejects(sut.delete('auditor'), /held by principal\(s\) holder/);
    await dataSource
      .getRepository(PrincipalEntity)
      .update({ name: 'holder' }, { revokedAt: new Date() });
    await sut.delete('auditor');
    await assert.rejects(sut.get('auditor'), /not found/);
    await assert.rejects(sut.delete('auditor'), /not found/);
  });
});
