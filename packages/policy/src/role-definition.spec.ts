import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import { BUILTIN_ROLES, ROLE_NAMES, builtinRoleResolver } from './builtin-roles.js';
import {
  DEFAULT_ROLE_CONSTRAINTS,
  parseRoleDefinition,
  roleDefinitionSchema,
} from './role-definition.js';

function problemsOf(input: unknown): string[] {
  try {
    parseRoleDefinition(input);
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'bad_parameter');
    const problems = err.details?.problems;
    assert.ok(Array.isArray(problems));
    for (const p of problems)
      assert.ok(err.message.includes(String(p)), `message lists ${String(p)}`);
    return problems.map(String);
  }
  return [];
}

describe('custom role validation', () => {
  it('fills every default of a minimal role', () => {
    const role = parseRoleDefinition({ name: 'dev', allow: ['inventory.*'] });
    assert.equal(role.description, '');
    assert.deepEqual(role.deny, []);
    // No rateLimit: the resolver's default (the server config) applies to it.
    const { rateLimit, ...rest } = DEFAULT_ROLE_CONSTRAINTS;
    assert.deepEqual(rateLimit, { perMinute: 60, burst: 20 });
    assert.deepEqual(role.constraints, rest);
    assert.equal(role.constraints.rateLimit, undefined);
  });

  it('accepts a complete role', () => {
    const role = parseRoleDefinition({
      name: 'db-oncall',
      description: 'Database on-call',
      allow: ['inventory.databases', 'proxy.*', 'admin.*.read'],
      deny: ['proxy.extend'],
      constraints: {
        maxTtlSeconds: 1800,
        maxConcurrentLeases: 2,
        allowedLeaseKinds: ['proxy_db', 'mcp_db'],
        allowedTargets: ['pg-*', 'env=staging,team=*'],
        federatedTools: { allow: ['teleport_*', '^list_[a-z]+$'], deny: ['*_delete'] },
        rateLimit: { perMinute: 30, burst: 5 },
        leaseScope: 'own',
      },
      requireTicket: { pattern: 'INC-[0-9]+', capabilities: ['proxy.start'] },
    });
    assert.equal(role.constraints.maxTtlSeconds, 1800);
    assert.deepEqual(role.requireTicket, { pattern: 'INC-[0-9]+', capabilities: ['proxy.start'] });
  });

  const bad: [name: string, input: unknown, expected: string[]][] = [
    ['not an object', 'admin', ['role: Invalid input: expected object, received string']],
    ['missing name', { allow: ['*'] }, ['name: ']],
    ['bad name', { name: 'Has Space' }, ['name: must be 1-64 characters']],
    ['built-in name', { name: 'operator' }, ['name: "operator" is a built-in role']],
    [
      'unknown capability patterns, every one listed',
      { name: 'x', allow: ['inventroy.*', 'proxy.*', 'proxy.strat'], deny: ['pasthrough.*'] },
      [
        'allow[0]: "inventroy.*" matches no known capability',
        'allow[2]: "proxy.strat" matches no known capability',
        'deny[0]: "pasthrough.*" matches no known capability',
      ],
    ],
    ['pattern with foreign characters', { name: 'x', allow: ['proxy.+'] }, ['allow[0]: "proxy.+"']],
    ['typo in a key', { name: 'x', alow: ['*'] }, ['role: Unrecognized key: "alow"']],
    [
      'constraint out of range and unknown lease kind',
      { name: 'x', constraints: { maxTtlSeconds: 0, allowedLeaseKinds: ['proxy_ftp'] } },
      ['constraints.maxTtlSeconds: ', 'constraints.allowedLeaseKinds[0]: '],
    ],
    [
      'TTL above a day',
      { name: 'x', constraints: { maxTtlSeconds: 86401 } },
      ['constraints.maxTtlSeconds: '],
    ],
    [
      'label selector without a key',
      { name: 'x', constraints: { allowedTargets: ['=prod', 'ok-*'] } },
      ['constraints.allowedTargets[0]: "=prod": each label selector term'],
    ],
    [
      'federated tool patterns: invalid regex and trait template',
      {
        name: 'x',
        constraints: { federatedTools: { allow: ['^read_[$', '{{internal.mcp_tools}}'] } },
      },
      [
        'constraints.federatedTools.allow[0]: "^read_[$" is not a valid regular expression',
        'constraints.federatedTools.allow[1]: "{{internal.mcp_tools}}": trait templates',
      ],
    ],
    [
      'ticket pattern that does not compile or escapes its anchors',
      { name: 'x', requireTicket: { pattern: 'a)|(b' } },
      ['requireTicket.pattern: is not a valid regular expression'],
    ],
    [
      'ticket capabilities must name capabilities',
      { name: 'x', requireTicket: { pattern: 'T-1', capabilities: ['nope.*'] } },
      ['requireTicket.capabilities[0]: "nope.*" matches no known capability'],
    ],
  ];
  for (const [name, input, expected] of bad) {
    it(`rejects ${name}`, () => {
      const problems = problemsOf(input);
      assert.equal(problems.length, expected.length, problems.join('\n'));
      expected.forEach((prefix, i) => {
        assert.ok(problems[i]?.startsWith(prefix), `${problems[i]} starts with ${prefix}`);
      });
    });
  }

  it('names the role and says what to do', () => {
    assert.throws(
      () => parseRoleDefinition({ name: 'dev', allow: ['nope'] }),
      /^AppError: invalid role "dev": allow\[0\]: "nope" matches no known capability\. Fix it and try again\.$/,
    );
  });
});

describe('built-in roles', () => {
  it('are valid role definitions themselves', () => {
    for (const name of ROLE_NAMES) {
      assert.deepEqual(roleDefinitionSchema.parse(BUILTIN_ROLES[name]), BUILTIN_ROLES[name]);
    }
  });

  it('keep the safe defaults of DESIGN §5: TTL ≤ 1 h, ≤ 10 leases per actor', () => {
    for (const name of ROLE_NAMES) {
      const c = BUILTIN_ROLES[name].constraints;
      assert.ok(c.maxTtlSeconds <= 3600, name);
      assert.ok(c.maxConcurrentLeases <= 10, name);
    }
  });
});

describe('builtinRoleResolver', () => {
  const custom = parseRoleDefinition({ name: 'dev', allow: ['inventory.*'] });

  it('resolves built-in and custom roles, and nothing else', () => {
    const resolver = builtinRoleResolver([custom]);
    assert.equal(resolver.get('admin'), BUILTIN_ROLES.admin);
    assert.equal(resolver.get('dev'), custom);
    assert.equal(resolver.get('nobody'), undefined);
    assert.equal(resolver.get('toString'), undefined);
  });

  it('refuses a custom role that shadows a built-in or repeats a name', () => {
    assert.throws(
      () => builtinRoleResolver([{ ...custom, name: 'admin' }, custom, custom]),
      (err: unknown) =>
        err instanceof AppError &&
        err.code === 'bad_parameter' &&
        err.message.includes('"admin" is a built-in role; "dev" is defined twice'),
    );
  });
});
