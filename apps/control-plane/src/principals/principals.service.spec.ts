// Integration (real PostgreSQL): create, verify and revoke API-key principals.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import type { Clock } from '../common/clock.js';
import { connectDataSource } from '../database/data-source.js';
import { PrincipalEntity, RoleEntity } from '../database/entities/index.js';
import { MigrationRunner } from '../database/migration-runner.js';
import { createLogger } from '../logging/create-logger.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { generateApiKey } from './api-key.js';
import { PrincipalsService } from './principals.service.js';

class FakeClock implements Clock {
  constructor(public current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

describe('PrincipalsService', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let clock: FakeClock;
  let sut: PrincipalsService;

  before(async () => {
    db = await createTestDatabase();
    const logger = createLogger('silent');
    dataSource = await connectDataSource(db.config, logger);
    await new MigrationRunner(dataSource, logger).run();
    clock = new FakeClock(new Date());
    sut = new PrincipalsService(
      dataSource.getRepository(PrincipalEntity),
      dataSource.getRepository(RoleEntity),
      clock,
      { N: 1024, r: 8, p: 1 },
    );
  });
  after(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('creates a service principal with the operator role by default and returns the key once', async () => {
    const { principal, apiKey } = await sut.create({ name: 'ci-bot', kind: 'service' });
    assert.equal(principal.role, 'operator');
    assert.equal(principal.kind, 'service');
    assert.match(apiKey, /^tmcp_[0-9A-Za-z]{43}$/);
    assert.equal(principal.keyPrefix, apiKey.slice(5, 13));
    assert.ok(!('keyHash' in principal), 'the hash never leaves the service');

    const [row] = await dataSource.query<{ key_hash: string; key_prefix: string }[]>(
      'SELECT key_hash, key_prefix FROM principals WHERE principal_id = $1',
      [principal.id],
    );
    assert.ok(row);
    assert.ok(row.key_hash.startsWith('scrypt$'));
    assert.ok(!row.key_hash.includes(apiKey.slice(5)), 'the key is not stored');
  });

  it('verifies the key it issued and records its use', async () => {
    const { principal, apiKey } = await sut.create({
      name: 'alice',
      kind: 'user',
      role: 'readonly',
    });
    const verified = await sut.verify(apiKey);
    assert.equal(verified.id, principal.id);
    assert.equal(verified.role, 'readonly');
    const [row] = await dataSource.query<{ last_used_at: Date | null }[]>(
      'SELECT last_used_at FROM principals WHERE principal_id = $1',
      [principal.id],
    );
    assert.ok(row?.last_used_at instanceof Date);
  });

  it('rejects unknown, malformed and altered keys with the same message', async () => {
    const { apiKey } = await sut.create({ name: 'bob', kind: 'user', role: 'user' });
    const altered = `${apiKey.slice(0, -1)}${apiKey.endsWith('a') ? 'b' : 'a'}`;
    for (const candidate of [generateApiKey().apiKey, 'not-a-key', '', altered]) {
      await assert.rejects(sut.verify(candidate), {
        code: 'unauthenticated',
        message: 'invalid API key',
      });
    }
  });

  it('revokes: the key stops working, revoking again is harmless, the name is free again', async () => {
    const { principal, apiKey } = await sut.create({ name: 'temp', kind: 'service' });
    const revoked = await sut.revoke(principal.id);
    assert.ok(revoked.revokedAt instanceof Date);
    await assert.rejects(sut.verify(apiKey), { code: 'unauthenticated', message: /revoked/ });
    const again = await sut.revoke(principal.id);
    assert.equal(again.revokedAt?.getTime(), revoked.revokedAt.getTime());
    const replacement = await sut.create({ name: 'temp', kind: 'service' });
    assert.equal((await sut.verify(replacement.apiKey)).id, replacement.principal.id);
  });

  it('respects expiry', async () => {
    const expiresAt = new Date(clock.now().getTime() + 60_000);
    const { apiKey } = await sut.create({ name: 'short-lived', kind: 'service', expiresAt });
    await sut.verify(apiKey);
    clock.advance(60_000);
    await assert.rejects(sut.verify(apiKey), { code: 'unauthenticated', message: /expired at/ });
    clock.advance(-60_000);
  });

  it('accepts an existing custom role and refuses unknown roles', async () => {
    await dataSource.getRepository(RoleEntity).insert({ name: 'dba', allow: ['proxy.*'] });
    const { principal } = await sut.create({ name: 'dba-bot', kind: 'service', role: 'dba' });
    assert.equal(principal.role, 'dba');
    await assert.rejects(sut.create({ name: 'x', kind: 'service', role: 'root' }), {
      code: 'bad_parameter',
      message: /^role: unknown role "root"/,
    });
  });

  const invalid: [string, Parameters<PrincipalsService['create']>[0], RegExp][] = [
    ['a user without a role', { name: 'carol', kind: 'user' }, /^role: is required/],
    ['an empty name', { name: '', kind: 'service' }, /^name: /],
    ['a name starting with -', { name: '-rf', kind: 'service' }, /^name: /],
    ['a name with spaces', { name: 'a b', kind: 'service' }, /^name: /],
    [
      'an expiry in the past',
      { name: 'old', kind: 'service', expiresAt: new Date(0) },
      /^expires: /,
    ],
    ['an invalid expiry', { name: 'nan', kind: 'service', expiresAt: new Date('x') }, /^expires: /],
  ];
  for (const [title, request, message] of invalid) {
    it(`refuses ${title}`, async () => {
      await assert.rejects(sut.create(request), { code: 'bad_parameter', message });
    });
  }

  it('refuses a second active principal with the same name', async () => {
    await sut.create({ name: 'dup', kind: 'service' });
    await assert.rejects(sut.create({ name: 'dup', kind: 'service' }), {
      code: 'already_exists',
      message: /principal "dup" already exists/,
    });
  });

  it('revoke reports unknown and malformed ids', async () => {
    await assert.rejects(sut.revoke('00000000-0000-4000-8000-000000000000'), { code: 'not_found' });
    await assert.rejects(sut.revoke('nope'), { code: 'bad_parameter' });
  });
  it('lists by name in pages, hiding revoked and expired principals unless asked', async () => {
    const names = ['list-c', 'list-a', 'list-b', 'list-d'];
    const created = [];
    for (const name of names) created.push(await sut.create({ name, kind: 'service' }));
    await sut.revoke(created[3]!.principal.id);
    const mine = (ps: { name: string }[]): string[] =>
      ps.map((p) => p.name).filter((n) => n.startsWith('list-'));

    const all = await sut.list({ limit: 500 });
    assert.deepEqual(mine(all), ['list-a', 'list-b', 'list-c']);
    const first = (await sut.list({ limit: 500 })).filter((p) => p.name.startsWith('list-'));
    const second = await sut.list({
      limit: 500,
      after: { name: first[0]!.name, id: first[0]!.id },
    });
    assert.deepEqual(mine(second), ['list-b', 'list-c']);
    assert.deepEqual(
      mine(await sut.list({ limit: 500, includeRevoked: true })),
      names.slice().sort(),
    );
    assert.deepEqual(
      (await sut.list({ limit: 5, name: 'list-b' })).map((p) => p.id),
      [created[2]!.principal.id],
    );
  });
});
