import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CAPABILITIES, TOOL_CAPABILITIES, isMutating } from './capabilities.js';
import { BUILTIN_ROLES, ROLE_NAMES, builtinRoleResolver } from './builtin-roles.js';
import {
  MAX_REASON_LENGTH,
  evaluate,
  rateLimitFor,
  visibleTools,
  type Actor,
  type PolicyContext,
} from './evaluate.js';
import { parseRoleDefinition } from './role-definition.js';

const actor = (...roles: string[]): Actor => ({ id: 'alice', roles, kind: 'user' });
const full: PolicyContext = { reason: 'incident 42', ticket: 'CHG-1234', tool: 'read_file' };

// Written out, not derived from the code: this is the contract docs/policy.md describes.
const READONLY = [
  'inventory.nodes',
  'inventory.proxies',
  'inventory.roles',
  'inventory.users',
  'inventory.tokens',
  'inventory.cas',
  'inventory.auth_preference',
  'inventory.apps',
  'inventory.databases',
  'inventory.mcp_servers',
  'health.check',
  'health.scan_rbac',
  'health.diagnose_mcp',
  'audit.search',
  'audit.anomalies',
  'access_request.list',
  'access_request.show',
  'proxy.status',
  'proxy.logs',
  'proxy.list',
  'admin.agents.read',
  'admin.leases.read',
  'admin.operations.read',
  'admin.roles.read',
  'admin.principals.read',
  'admin.tokens.read',
  'admin.policy.check',
  'admin.status.read',
  'admin.audit.read',
];
const USER = [
  'inventory.nodes',
  'inventory.proxies',
  'inventory.apps',
  'inventory.databases',
  'inventory.mcp_servers',
  'access_request.list',
  'access_request.show',
  'access_request.create',
  'access_request.drop',
  'proxy.start',
  'proxy.status',
  'proxy.logs',
  'proxy.stop',
  'proxy.extend',
  'proxy.list',
  'mcp.client_config',
  'mcp.db_config',
  'federation.call',
];
const OPERATOR_DENIED = [
  'passthrough.tsh',
  'passthrough.tctl',
  'admin.roles.write',
  'admin.principals.write',
  'mcp.set_user_tools',
];
const EXPECTED: Record<string, ReadonlySet<string>> = {
  admin: new Set(CAPABILITIES),
  operator: new Set(CAPABILITIES.filter((c) => !OPERATOR_DENIED.includes(c))),
  user: new Set(USER),
  readonly: new Set(READONLY),
};

describe('every built-in role over every capability', () => {
  const resolver = builtinRoleResolver();
  for (const role of ROLE_NAMES) {
    for (const capability of CAPABILITIES) {
      const expected = EXPECTED[role]?.has(capability) ?? false;
      it(`${role} ${expected ? 'may' : 'may not'} ${capability}`, () => {
        const d = evaluate(actor(role), capability, full, resolver);
        assert.equal(d.allow, expected, d.reason);
        if (expected) {
          assert.match(d.rule, new RegExp(`^role ${role} allow `));
        } else if (role === 'operator') {
          assert.match(d.rule, /^role operator deny /);
        } else {
          assert.equal(d.rule, 'default deny');
        }
      });
    }
  }

  it('readonly holds no mutating capability', () => {
    assert.deepEqual(
      READONLY.filter((c) => isMutating(c as never)),
      [],
    );
  });
});

describe('evaluate', () => {
  const custom = [
    parseRoleDefinition({
      name: 'db-dev',
      allow: ['inventory.databases', 'proxy.*', 'federation.call'],
      deny: ['proxy.extend'],
      constraints: {
        maxTtlSeconds: 900,
        maxConcurrentLeases: 2,
        allowedLeaseKinds: ['proxy_db', 'mcp_db'],
        allowedTargets: ['dev-*', 'env=staging'],
        federatedTools: { allow: ['teleport_*'], deny: ['teleport_postgres_query'] },
        rateLimit: { perMinute: 1000, burst: 200 },
      },
    }),
    parseRoleDefinition({
      name: 'ticketed',
      allow: ['proxy.*', 'mcp.register'],
      requireTicket: { pattern: 'CHG-[0-9]{4}' },
      constraints: { maxTtlSeconds: 7200, allowedLeaseKinds: ['proxy_ssh'] },
    }),
    parseRoleDefinition({
      name: 'ticket-for-logs',
      allow: ['proxy.logs'],
      requireTicket: { pattern: 'INC-[0-9]+', capabilities: ['proxy.logs'] },
    }),
    parseRoleDefinition({ name: 'no-passthrough', deny: ['passthrough.*'] }),
    parseRoleDefinition({ name: 'fed-default', allow: ['federation.call'] }),
    parseRoleDefinition({
      name: 'lender',
      allow: ['inventory.nodes'],
      constraints: { federatedTools: { allow: ['*'] } },
    }),
    parseRoleDefinition({
      name: 'tools-deny',
      deny: ['passthrough.tctl'],
      constraints: { federatedTools: { deny: ['^write_.*$'] } },
    }),
  ];
  const resolver = builtinRoleResolver(custom);

  // prettier-ignore
  const cases: [
    name: string,
    roles: string[],
    capability: string,
    context: PolicyContext,
    allow: boolean,
    rule: string,
  ][] = [
    ['unknown capability', ['admin'], 'inventory.everything', full, false, 'unknown capability'],
    ['no role at all', [], 'inventory.nodes', full, false, 'no known role'],
    ['only unknown roles', ['ghost'], 'inventory.nodes', full, false, 'no known role'],
    ['unknown roles are ignored beside known ones', ['ghost', 'readonly'], 'inventory.nodes', {}, true, 'role readonly allow inventory.*'],
    ['default deny', ['readonly'], 'proxy.start', full, false, 'default deny'],
    ['operator allow names role and pattern', ['operator'], 'proxy.start', full, true, 'role operator allow *'],
    ['operator passthrough deny', ['operator'], 'passthrough.tsh', full, false, 'role operator deny passthrough.*'],
    ['deny of one role beats allow of another', ['admin', 'no-passthrough'], 'passthrough.tsh', full, false, 'role no-passthrough deny passthrough.*'],
    ['deny wins whatever the role order', ['no-passthrough', 'admin'], 'passthrough.tctl', full, false, 'role no-passthrough deny passthrough.*'],
    ['a deny-only role takes away only what it names', ['admin', 'tools-deny'], 'passthrough.tsh', full, true, 'role admin allow *'],
    ['deny inside a custom role', ['db-dev'], 'proxy.extend', full, false, 'role db-dev deny proxy.extend'],
    // reason
    ['mutating without reason', ['admin'], 'proxy.stop', {}, false, 'requirement: reason'],
    ['mutating with a blank reason', ['admin'], 'admin.tokens.write', { reason: '  \n ' }, false, 'requirement: reason'],
    ['mutating with an over-long reason', ['admin'], 'mcp.register', { reason: 'x'.repeat(MAX_REASON_LENGTH + 1) }, false, 'requirement: reason'],
    ['mutating with a reason at the limit', ['admin'], 'mcp.register', { reason: 'x'.repeat(MAX_REASON_LENGTH) }, true, 'role admin allow *'],
    ['read-only needs no reason', ['readonly'], 'audit.search', {}, true, 'role readonly allow audit.*'],
    ['denial is reported before a missing reason', ['readonly'], 'proxy.stop', {}, false, 'default deny'],
    // ticket
    ['ticket required on mutating', ['ticketed'], 'mcp.register', { reason: 'r' }, false, 'requirement: ticket'],
    ['ticket must match the whole pattern', ['ticketed'], 'mcp.register', { reason: 'r', ticket: 'see CHG-1234' }, false, 'requirement: ticket'],
    ['matching ticket', ['ticketed'], 'mcp.register', { reason: 'r', ticket: 'CHG-1234' }, true, 'role ticketed allow mcp.register'],
    ['no ticket for reads by default', ['ticketed'], 'proxy.list', {}, true, 'role ticketed allow proxy.*'],
    ['ticket for a listed read capability', ['ticket-for-logs'], 'proxy.logs', {}, false, 'requirement: ticket'],
    ['ticket for a listed read capability, given', ['ticket-for-logs'], 'proxy.logs', { ticket: 'INC-7' }, true, 'role ticket-for-logs allow proxy.logs'],
    ['another role grants without a ticket', ['ticketed', 'operator'], 'mcp.register', { reason: 'r' }, true, 'role operator allow *'],
    // leases
    ['lease within the limits', ['db-dev'], 'proxy.start', { reason: 'r', lease: { kind: 'proxy_db', target: { name: 'dev-pg' }, ttlSeconds: 900 } }, true, 'role db-dev allow proxy.*'],
    ['lease TTL above the role maximum', ['db-dev'], 'proxy.start', { reason: 'r', lease: { kind: 'proxy_db', target: { name: 'dev-pg' }, ttlSeconds: 901 } }, false, 'constraint: ttl'],
    ['lease kind not allowed', ['db-dev'], 'proxy.start', { reason: 'r', lease: { kind: 'proxy_kube', target: { name: 'dev-k8s' } } }, false, 'constraint: kind'],
    ['lease target outside the globs', ['db-dev'], 'proxy.start', { reason: 'r', lease: { kind: 'proxy_db', target: { name: 'prod-pg' } } }, false, 'constraint: target'],
    ['lease target admitted by label selector', ['db-dev'], 'proxy.start', { reason: 'r', lease: { kind: 'proxy_db', target: { name: 'prod-pg', labels: { env: 'staging' } } } }, true, 'role db-dev allow proxy.*'],
    ['lease concurrency', ['db-dev'], 'proxy.start', { reason: 'r', lease: { kind: 'proxy_db', target: { name: 'dev-pg' } }, activeLeases: 2 }, false, 'constraint: concurrency'],
    ['built-in TTL is one hour', ['operator'], 'proxy.start', { reason: 'r', lease: { kind: 'proxy_ssh', target: { name: 'n1' }, ttlSeconds: 3601 } }, false, 'constraint: ttl'],
    ['built-in lease count is ten', ['user'], 'proxy.start', { reason: 'r', lease: { kind: 'vnet' }, activeLeases: 10 }, false, 'constraint: concurrency'],
    // constraints of several roles: the most permissive among the granting roles
    ['TTL of the more permissive role', ['db-dev', 'ticketed'], 'proxy.start', { reason: 'r', ticket: 'CHG-0001', lease: { kind: 'proxy_db', target: { name: 'dev-pg' }, ttlSeconds: 7200 } }, true, 'role db-dev allow proxy.*'],
    ['kinds are united', ['db-dev', 'ticketed'], 'proxy.start', { reason: 'r', ticket: 'CHG-0001', lease: { kind: 'proxy_ssh', target: { name: 'node-1' } } }, true, 'role db-dev allow proxy.*'],
    ['a role without its ticket does not lend its constraints', ['db-dev', 'ticketed'], 'proxy.start', { reason: 'r', lease: { kind: 'proxy_ssh', target: { name: 'node-1' } } }, false, 'constraint: kind'],
    // federation
    ['federation needs the tool', ['user'], 'federation.call', {}, false, 'requirement: tool'],
    ['federated tool allowed by glob', ['db-dev', 'user'], 'federation.call', { tool: 'teleport_list_databases' }, true, 'role db-dev allow federation.call; role db-dev allow tool teleport_*'],
    ['federated tool denied by literal, deny wins over *', ['user', 'db-dev'], 'federation.call', { tool: 'teleport_postgres_query' }, false, 'role db-dev deny tool teleport_postgres_query'],
    ['federated deny of a role that does not grant federation still wins', ['user', 'tools-deny'], 'federation.call', { tool: 'write_file' }, false, 'role tools-deny deny tool ^write_.*$'],
    ['allow patterns of a role that does not grant federation do not count', ['db-dev', 'lender'], 'federation.call', { tool: 'read_file' }, false, 'federated tool: no allow pattern'],
    ['custom roles grant no federated tool by default', ['fed-default'], 'federation.call', { tool: 'read_file' }, false, 'federated tool: no allow pattern'],
    ['federated tool allowed by *', ['user', 'tools-deny'], 'federation.call', { tool: 'read_file' }, true, 'role user allow federation.call; role user allow tool *'],
    ['readonly calls no federated tool', ['readonly'], 'federation.call', { tool: 'read_file' }, false, 'default deny'],
  ];
  for (const [name, roles, capability, context, allow, rule] of cases) {
    it(name, () => {
      const d = evaluate(actor(...roles), capability, context, resolver);
      assert.equal(d.allow, allow, `${d.rule}: ${d.reason}`);
      assert.equal(d.rule, rule);
      assert.match(d.reason, allow ? /^Allowed: / : /^Denied: /);
    });
  }

  it('explains a denial and what to do', () => {
    const d = evaluate(actor('operator'), 'passthrough.tsh', full, resolver);
    assert.equal(
      d.reason,
      'Denied: role operator denies passthrough.tsh (rule passthrough.*). Ask an admin for a role that allows it.',
    );
    const r = evaluate(actor('ticketed'), 'proxy.start', { reason: 'r' }, resolver);
    assert.match(r.reason, /needs a ticket matching CHG-\[0-9\]\{4\} \(role ticketed\)/);
    const t = evaluate(
      actor('db-dev'),
      'proxy.start',
      { reason: 'r', lease: { kind: 'proxy_db', target: { name: 'dev-pg' }, ttlSeconds: 901 } },
      resolver,
    );
    assert.match(t.reason, /ttl_seconds 901 exceeds the maximum of 900/);
  });

  it('combines constraints to the most permissive among the granting roles', () => {
    const d = evaluate(
      actor('db-dev', 'ticketed'),
      'proxy.start',
      { reason: 'r', ticket: 'CHG-0001' },
      resolver,
    );
    assert.equal(d.allow, true);
    assert.deepEqual(d.constraints, {
      maxTtlSeconds: 7200,
      maxConcurrentLeases: 10,
      allowedLeaseKinds: ['proxy_ssh', 'proxy_db', 'mcp_db'],
      allowedTargets: ['dev-*', 'env=staging', '*'],
      federatedTools: { allow: ['teleport_*'], deny: ['teleport_postgres_query'] },
      rateLimit: { perMinute: 1000, burst: 200 },
      leaseScope: 'own',
    });
  });

  it('takes constraints only from roles that grant the capability', () => {
    // readonly does not grant proxy.start, so its lease scope "any" must not leak in.
    const d = evaluate(actor('user', 'readonly'), 'proxy.start', { reason: 'r' }, resolver);
    assert.equal(d.constraints.leaseScope, 'own');
    assert.equal(
      evaluate(actor('user', 'readonly'), 'proxy.list', {}, resolver).constraints.leaseScope,
      'any',
    );
    assert.equal(evaluate(actor('user'), 'proxy.list', {}, resolver).constraints.leaseScope, 'own');
  });

  it('grants nothing with a capability denial, but keeps the actor rate limit', () => {
    const d = evaluate(actor('readonly'), 'proxy.start', full, resolver);
    assert.equal(d.constraints.maxConcurrentLeases, 0);
    assert.deepEqual(d.constraints.allowedLeaseKinds, []);
    assert.deepEqual(d.constraints.rateLimit, BUILTIN_ROLES.readonly.constraints.rateLimit);
  });

  it('the rate limit is the most permissive of all the actor roles', () => {
    assert.deepEqual(rateLimitFor(actor('user', 'readonly'), resolver), {
      perMinute: 120,
      burst: 30,
    });
    assert.deepEqual(rateLimitFor(actor('readonly', 'db-dev'), resolver), {
      perMinute: 1000,
      burst: 200,
    });
  });

  describe('roles without their own rate limit get the resolver default', () => {
    const unlimited = parseRoleDefinition({ name: 'plain', allow: ['inventory.*'] });
    const withDefault = builtinRoleResolver([unlimited], {
      defaultRateLimit: { perMinute: 5, burst: 2 },
    });
    const cases: [
      name: string,
      roles: string[],
      resolver: typeof resolver,
      perMinute: number,
      burst: number,
    ][] = [
      ['custom role without a limit: the server default', ['plain'], withDefault, 5, 2],
      ['no known role: the server default', ['ghost'], withDefault, 5, 2],
      [
        'the most permissive still wins over the default',
        ['plain', 'readonly'],
        withDefault,
        120,
        30,
      ],
      [
        'a resolver without a default: the engine fallback',
        ['plain'],
        builtinRoleResolver([unlimited]),
        60,
        20,
      ],
    ];
    for (const [name, roles, roleSet, perMinute, burst] of cases) {
      it(name, () => {
        assert.deepEqual(rateLimitFor(actor(...roles), roleSet), { perMinute, burst });
        assert.deepEqual(
          evaluate(actor(...roles), 'inventory.nodes', {}, roleSet).constraints.rateLimit,
          { perMinute, burst },
        );
      });
    }
  });

  it('never throws on hostile input', () => {
    for (const capability of ['', '*', '__proto__', 'constructor', 'proxy.*']) {
      assert.equal(evaluate(actor('admin'), capability, full, resolver).allow, false);
    }
    assert.equal(
      evaluate(actor('__proto__', 'toString'), 'inventory.nodes', {}, resolver).rule,
      'no known role',
    );
  });
});

describe('visibleTools', () => {
  const resolver = builtinRoleResolver([
    parseRoleDefinition({ name: 'no-leases', deny: ['proxy.*'] }),
  ]);

  it('shows readonly only its read tools', () => {
    assert.deepEqual(visibleTools(actor('readonly'), resolver), [
      'list_nodes',
      'list_proxies',
      'list_roles',
      'list_users',
      'list_tokens',
      'list_cas',
      'get_auth_preference',
      'list_apps',
      'list_databases',
      'list_mcp_servers',
      'run_health_check',
      'scan_rbac',
      'diagnose_mcp_access',
      'search_audit',
      'detect_audit_anomalies',
      'list_access_requests',
      'show_access_request',
      'get_proxy_status',
      'get_proxy_logs',
      'list_proxies_leases',
    ]);
  });

  it('hides passthrough from operators and shows it to admins', () => {
    assert.ok(!visibleTools(actor('operator'), resolver).includes('run_tsh_command'));
    assert.ok(visibleTools(actor('admin'), resolver).includes('run_tctl_command'));
  });

  it('hides what any role denies', () => {
    const tools = visibleTools(actor('user', 'no-leases'), resolver);
    assert.ok(tools.includes('list_databases'));
    assert.ok(!tools.some((t) => TOOL_CAPABILITIES[t].startsWith('proxy.')), tools.join(','));
  });

  it('shows nothing to an actor without roles', () => {
    assert.deepEqual(visibleTools(actor(), resolver), []);
  });
});
