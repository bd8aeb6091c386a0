import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../state/sim-state.js';
import { AccessChecker, interpolate, matchesLabels, matchesPattern } from './access-checker.js';

describe('matchesPattern', () => {
  const cases: [pattern: string, value: string, expected: boolean][] = [
    ['*', 'anything', true],
    ['read_*', 'read_file', true],
    ['read_*', 'write_file', false],
    ['^search_[a-z]+$', 'search_docs', true],
    ['^search_[a-z]+$', 'search_2', false],
    ['echo', 'echo', true],
    ['echo', 'echo2', false],
    ['a.b', 'axb', false],
  ];
  for (const [pattern, value, expected] of cases) {
    it(`${pattern} ~ ${value} = ${String(expected)}`, () =>
      assert.equal(matchesPattern(pattern, value), expected));
  }
});

describe('interpolate', () => {
  it('expands traits, keeps literals, drops missing traits', () => {
    assert.deepEqual(
      interpolate(['x', '{{internal.mcp_tools}}', 'p-{{external.team}}', '{{internal.none}}'], {
        mcp_tools: ['a', 'b'],
        team: ['red'],
      }),
      ['x', 'a', 'b', 'p-red'],
    );
  });
});

describe('matchesLabels', () => {
  it('needs every key, accepts wildcards, and an empty selector matches nothing', () => {
    assert.equal(matchesLabels({ '*': '*' }, { env: 'dev' }), true);
    assert.equal(matchesLabels({ env: ['dev', 'prod'] }, { env: 'prod' }), true);
    assert.equal(matchesLabels({ env: 'dev', team: 'x' }, { env: 'dev' }), false);
    assert.equal(matchesLabels({}, { env: 'dev' }), false);
  });
});

describe('AccessChecker', () => {
  const role = (
    name: string,
    allow: Record<string, unknown>,
    deny: Record<string, unknown> = {},
  ): Resource => ({
    kind: 'role',
    version: 'v8',
    metadata: { name },
    spec: { options: {}, allow, deny },
  });
  const user: Resource = {
    kind: 'user',
    version: 'v2',
    metadata: { name: 'u' },
    spec: { roles: ['dev', 'ops'], traits: { mcp_tools: ['search_*'] } },
  };
  const roles = [
    role(
      'dev',
      {
        app_labels: { env: 'dev' },
        mcp: { tools: ['read_*', '{{internal.mcp_tools}}'] },
        rules: [{ resources: ['role'], verbs: ['list', 'read'] }],
      },
      { mcp: { tools: ['read_secret'] } },
    ),
    role(
      'ops',
      { app_labels: { env: 'prod' }, mcp: { tools: ['*'] } },
      { rules: [{ resources: ['role'], verbs: ['read'] }] },
    ),
  ];
  const checker = AccessChecker.forUser('u', [user], roles);
  const app = (env: string): Resource => ({
    kind: 'app',
    version: 'v3',
    metadata: { name: env, labels: { env } },
    spec: {},
  });

  it('collects allowed tools of matching roles and denied tools of all', () => {
    assert.deepEqual(checker.mcpTools(app('dev')), {
      allowed: ['read_*', 'search_*'],
      denied: ['read_secret'],
    });
    assert.equal(checker.isToolAllowed(app('dev'), 'read_file'), true);
    assert.equal(checker.isToolAllowed(app('dev'), 'read_secret'), false);
    assert.equal(checker.isToolAllowed(app('dev'), 'write_file'), false);
    assert.equal(checker.isToolAllowed(app('prod'), 'write_file'), true);
    assert.equal(checker.isToolAllowed(app('staging'), 'read_file'), false);
  });

  it('lets a deny rule win over an allow rule', () => {
    assert.doesNotThrow(() => checker.checkAction('role', 'list'));
    assert.throws(() => checker.checkAction('role', 'list', 'read'), {
      message: 'access denied to perform action "read" on "role"',
    });
    assert.throws(() => checker.checkAction('user', 'create'), {
      message: 'access denied to perform action "create" on "user"',
    });
  });
});
