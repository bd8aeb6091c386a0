import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRoles, parseUsers, type TeleportUser } from '@tmcp/teleport';
import { privilegedRoleNames, scanRbac } from './rbac-scan.js';

const role = (
  name: string,
  allow: Record<string, unknown>,
  options: Record<string, unknown> = {},
) =>
  parseRoles([
    { kind: 'role', version: 'v7', metadata: { name }, spec: { options, allow, deny: {} } },
  ])[0]!;
const user = (name: string, roles: string[], traits: Record<string, string[]> = {}): TeleportUser =>
  parseUsers([{ kind: 'user', metadata: { name }, spec: { roles, traits } }])[0]!;
const ids = (findings: { id: string; severity: string; resource: string }[]) =>
  findings.map((f) => `${f.id} ${f.severity} ${f.resource}`);

describe('scanRbac', () => {
  it('finds each risky pattern in a crafted role (table)', () => {
    const table: [string, Record<string, unknown>, Record<string, unknown>, string[]][] = [
      [
        'clean',
        { app_labels: { env: 'dev' }, logins: ['{{internal.logins}}'], mcp: { tools: ['read_*'] } },
        {},
        [],
      ],
      ['wild-nodes', { node_labels: { '*': '*' } }, {}, ['RBAC-001 medium role/wild-nodes']],
      ['wild-db', { db_labels: { '*': ['*'] } }, {}, ['RBAC-001 medium role/wild-db']],
      [
        'rootish',
        { logins: ['root'] },
        { require_session_mfa: true },
        ['RBAC-002 high role/rootish'],
      ],
      ['star-login', { logins: ['*'] }, {}, ['RBAC-002 high role/star-login']],
      [
        'writer',
        { rules: [{ resources: ['*'], verbs: ['create', 'read'] }] },
        { require_session_mfa: 'session' },
        ['RBAC-003 critical role/writer'],
      ],
      ['reader', { rules: [{ resources: ['*'], verbs: ['list', 'read'] }] }, {}, []],
      [
        'imp',
        { impersonate: { users: ['bot'], roles: ['bot-role'] } },
        { require_session_mfa: true },
        ['RBAC-004 high role/imp'],
      ],
      [
        'imp-all',
        { impersonate: { users: ['*'], roles: ['*'] } },
        { require_session_mfa: true },
        ['RBAC-004 critical role/imp-all'],
      ],
      ['mcp-all', { mcp: { tools: ['*'] } }, {}, ['RBAC-005 medium role/mcp-all']],
      ['req-all', { request: { roles: ['*'] } }, {}, ['RBAC-009 high role/req-all']],
    ];
    for (const [name, allow, options, expected] of table) {
      assert.deepEqual(
        ids(scanRbac({ roles: [role(name, allow, options)], users: [] })),
        expected,
        name,
      );
    }
  });

  it('privileged roles without session MFA, unless required cluster-wide', () => {
    const r = role(
      'admin-ish',
      { rules: [{ resources: ['role'], verbs: ['update'] }] },
      { require_session_mfa: 0 },
    );
    assert.deepEqual(ids(scanRbac({ roles: [r], users: [] })), ['RBAC-008 high role/admin-ish']);
    assert.deepEqual(
      ids(
        scanRbac({
          roles: [r],
          users: [],
          authPreference: {
            type: 'local',
            secondFactors: [],
            labels: {},
            requireSessionMfa: 'session',
          },
        }),
      ),
      [],
    );
    assert.deepEqual(
      [
        ...privilegedRoleNames([
          r,
          role('viewer', { rules: [{ resources: ['role'], verbs: ['read'] }] }),
        ]),
      ],
      ['admin-ish'],
    );
  });

  it('holders over the threshold, editor widely assigned, reviews of privileged roles', () => {
    const boss = role('boss', { logins: ['root'] }, { require_session_mfa: true });
    const editor = role(
      'editor',
      { rules: [{ resources: ['user'], verbs: ['create'] }] },
      { require_session_mfa: true },
    );
    const reviewer = role('rev', { review_requests: { roles: ['boss'] } });
    const users = ['a', 'b', 'c', 'd'].map((n) => user(n, ['boss', 'editor']));
    const found = ids(
      scanRbac(
        { roles: [boss, editor, reviewer], users },
        { privilegedHolderThreshold: 3, editorHolderThreshold: 2 },
      ),
    );
    assert.ok(found.includes('RBAC-006 high role/boss'), found.join('\n'));
    assert.ok(found.includes('RBAC-007 high role/editor'));
    assert.ok(found.includes('RBAC-010 medium role/rev'));
    const fewer = ids(
      scanRbac(
        { roles: [boss, editor], users: users.slice(0, 2) },
        { privilegedHolderThreshold: 3, editorHolderThreshold: 2 },
      ),
    );
    assert.ok(!fewer.some((f) => f.startsWith('RBAC-006') || f.startsWith('RBAC-007')));
  });

  it('wildcards that arrive through trait templates', () => {
    const access = role('access', {
      logins: ['{{internal.logins}}'],
      mcp: { tools: ['{{internal.mcp_tools}}'] },
    });
    const found = scanRbac({
      roles: [access],
      users: [
        user('u', ['access'], { logins: ['root'], mcp_tools: ['*'] }),
        user('v', ['access'], { logins: ['v'] }),
      ],
    });
    assert.deepEqual(ids(found), ['RBAC-011 high user/u', 'RBAC-011 medium user/u']);
    assert.match(
      found[0]?.evidence ?? '',
      /trait logins: \["root"\] expands allow.logins "\{\{internal.logins\}\}" of role access/,
    );
  });
});
