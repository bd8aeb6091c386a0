import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseApps,
  parseRoles,
  parseUsers,
  type TeleportApp,
  type TeleportRole,
} from '@tmcp/teleport';
import { diagnoseMcpAccess, type McpAccessFacts } from './mcp-access-diagnosis.js';
import { decideTool, interpolate, matchesLabels, mcpToolPermissions } from './teleport-rbac.js';

const role = (
  name: string,
  allow: Record<string, unknown>,
  deny: Record<string, unknown> = {},
): TeleportRole => parseRoles([{ kind: 'role', metadata: { name }, spec: { allow, deny } }])[0]!;
const mcpApp = (
  name: string,
  labels: Record<string, string>,
  mcp: Record<string, unknown> = { command: 'node', run_as_host_user: 'mcp' },
): TeleportApp =>
  parseApps([
    {
      kind: 'app',
      sub_kind: 'mcp',
      metadata: { name, labels: { ...labels, 'teleport.internal/app-sub-kind': 'mcp' } },
      spec: { uri: 'mcp+stdio://', mcp },
    },
  ])[0]!;
const MCP = { 'teleport.internal/app-sub-kind': 'mcp' };

const roles = [
  role('access', { app_labels: { '*': '*' }, mcp: { tools: ['{{internal.mcp_tools}}'] } }),
  role(
    'mcp-dev',
    { app_labels: { ...MCP, env: 'dev' }, mcp: { tools: ['get-*', '^echo$'] } },
    { mcp: { tools: ['get-env'] } },
  ),
  role('mcp-user', { app_labels: MCP, mcp: { tools: ['*'] } }),
  role('no-tools', { app_labels: MCP }),
  role('blocked', {}, { app_labels: { env: 'prod' } }),
];
const facts = (
  user: Record<string, unknown>,
  app: TeleportApp | undefined,
  extra: Partial<McpAccessFacts> = {},
): McpAccessFacts => ({
  user: String((user.metadata as { name: string }).name),
  server: app?.name ?? 'missing',
  userRecord: parseUsers([user])[0]!,
  ...(app ? { app } : {}),
  roles,
  tshVersion: { version: '18.2.3' },
  tshVersionSource: 'gateway',
  ...extra,
});
const u = (name: string, r: string[], traits: Record<string, string[]> = {}) => ({
  kind: 'user',
  metadata: { name },
  spec: { roles: r, traits },
});
const statuses = (d: ReturnType<typeof diagnoseMcpAccess>) =>
  Object.fromEntries(d.checks.map((c) => [c.id, c.status]));

describe('Teleport RBAC semantics', () => {
  it('interpolates traits, matches labels, deny wins', () => {
    assert.deepEqual(
      interpolate(['a', '{{internal.mcp_tools}}', 'x-{{external.team}}'], {
        mcp_tools: ['b', 'c'],
        team: ['t'],
      }),
      ['a', 'b', 'c', 'x-t'],
    );
    assert.deepEqual(interpolate(['{{internal.missing}}'], {}), []);
    const table: [Record<string, string[]>, Record<string, string>, boolean][] = [
      [{ '*': ['*'] }, { env: 'x' }, true],
      [{}, { env: 'x' }, false],
      [{ env: ['dev', 'prod'] }, { env: 'prod' }, true],
      [{ env: ['d*'] }, { env: 'dev' }, true],
      [{ env: ['^st.*$'] }, { env: 'staging' }, true],
      [{ env: ['dev'], team: ['a'] }, { env: 'dev' }, false],
    ];
    for (const [sel, labels, expected] of table)
      assert.equal(matchesLabels(sel, labels), expected, JSON.stringify(sel));
    const perms = mcpToolPermissions([roles[1]!], {}, { ...MCP, env: 'dev' });
    assert.deepEqual(decideTool(perms, 'get-env'), { allow: false, deniedBy: 'get-env' });
    assert.deepEqual(decideTool(perms, 'get-sum'), { allow: true, allowedBy: 'get-*' });
    assert.deepEqual(decideTool(perms, 'echo'), { allow: true, allowedBy: '^echo$' });
    assert.deepEqual(decideTool(perms, 'echo2'), { allow: false });
  });
});

describe('diagnoseMcpAccess', () => {
  it('no tools because the mcp_tools trait is missing → set_user_mcp_tools', () => {
    const d = diagnoseMcpAccess(facts(u('alice', ['access']), mcpApp('payments', { env: 'prod' })));
    assert.equal(d.ok, false);
    const tools = d.checks.find((c) => c.id === 'tools_allowed');
    assert.equal(tools?.status, 'fail');
    assert.match(tools?.fix ?? '', /trait "mcp_tools".*set_user_mcp_tools/);
  });

  it('no tools because no role sets mcp.tools → names a role that would', () => {
    const d = diagnoseMcpAccess(facts(u('bob', ['no-tools']), mcpApp('fs', { env: 'dev' })));
    assert.match(
      d.checks.find((c) => c.id === 'tools_allowed')?.fix ?? '',
      /assign role mcp-dev|assign role mcp-user/,
    );
  });

  it('labels do not match → candidate roles; deny.app_labels → the denying role', () => {
    const d = diagnoseMcpAccess(
      facts(u('carol', ['mcp-dev']), mcpApp('payments', { env: 'prod' })),
    );
    const access = d.checks.find((c) => c.id === 'server_access');
    assert.equal(access?.status, 'fail');
    assert.match(access?.fix ?? '', /--set-roles=mcp-dev,access/);
    const denied = diagnoseMcpAccess(
      facts(u('dan', ['mcp-user', 'blocked']), mcpApp('payments', { env: 'prod' })),
    );
    assert.match(denied.checks.find((c) => c.id === 'server_access')?.fix ?? '', /blocked/);
  });

  it('everything passes for a user with tools; below 18.2.3 tsh warns only behind managed updates, below 18.1 it fails', () => {
    const ok = diagnoseMcpAccess(
      facts(u('erin', ['mcp-dev']), mcpApp('everything', { env: 'dev' })),
    );
    assert.equal(ok.ok, true);
    assert.deepEqual(ok.allowedTools, ['get-*', '^echo$']);
    const table: [string, boolean | undefined, string, RegExp][] = [
      ['18.2.3', true, 'pass', /18\.2\.3/],
      ['18.2.0', true, 'warn', /managed updates are on/],
      ['18.2.0', false, 'pass', /managed updates are off/],
      ['18.2.0', undefined, 'pass', /not known here.*managed_updates/],
      ['18.0.9', false, 'fail', /exists from 18\.1\.0/],
      ['19.0.0', undefined, 'pass', /19\.0\.0/],
    ];
    for (const [version, managedUpdates, expected, detail] of table) {
      const d = diagnoseMcpAccess(
        facts(u('erin', ['mcp-dev']), mcpApp('everything', { env: 'dev' }), {
          tshVersion: { version },
          ...(managedUpdates === undefined ? {} : { managedUpdates }),
        }),
      );
      const check = d.checks.find((c) => c.id === 'tsh_version');
      assert.equal(check?.status, expected, `${version} managed=${String(managedUpdates)}`);
      assert.match(check?.detail ?? '', detail);
    }
  });

  it("judges the user's login by the expiry of the user record, and says certificates are not visible", () => {
    const now = new Date('2026-06-01T12:00:00Z');
    const sso = (expires: string | undefined) =>
      diagnoseMcpAccess(
        facts(
          {
            kind: 'user',
            metadata: { name: 'sam' },
            spec: { roles: ['mcp-dev'], ...(expires === undefined ? {} : { expires }) },
          },
          mcpApp('everything', { env: 'dev' }),
          { now },
        ),
      );
    const expired = sso('2026-06-01T11:59:00Z');
    const check = expired.checks.find((c) => c.id === 'user_identity');
    assert.equal(check?.status, 'fail');
    assert.match(check?.fix ?? '', /tsh login/);
    assert.equal(expired.ok, false);
    const valid = sso('2026-06-01T20:00:00Z');
    assert.equal(valid.checks.find((c) => c.id === 'user_identity')?.status, 'pass');
    assert.equal(valid.ok, true);
    const local = sso(undefined).checks.find((c) => c.id === 'user_identity');
    assert.equal(local?.status, 'pass');
    assert.match(local?.detail ?? '', /not visible to the cluster/);
  });

  it('stdio definition without command/run_as_host_user fails with the field to set', () => {
    const d = diagnoseMcpAccess(
      facts(u('erin', ['mcp-dev']), mcpApp('broken', { env: 'dev' }, { command: 'node' })),
    );
    const def = d.checks.find((c) => c.id === 'server_definition');
    assert.equal(def?.status, 'fail');
    assert.match(def?.fix ?? '', /run_as_host_user/);
  });

  it('missing user or app skips what depends on them; expired credentials stop at the first check', () => {
    const d = diagnoseMcpAccess({ user: 'x', server: 'y', roles });
    assert.deepEqual(statuses(d), {
      gateway_credentials: 'pass',
      user_exists: 'fail',
      server_exists: 'fail',
      server_definition: 'skip',
      server_access: 'skip',
      tools_allowed: 'skip',
      tsh_version: 'skip',
    });
    const e = diagnoseMcpAccess({ user: 'x', server: 'y', roles, credentialsError: 'expired' });
    assert.deepEqual(
      e.checks.map((c) => `${c.id} ${c.status}`),
      ['gateway_credentials fail'],
    );
  });
});
