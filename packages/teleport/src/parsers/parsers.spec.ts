import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import * as F from './fixtures/teleport-md.fixtures.js';
import {
  parseAccessRequest,
  parseAccessRequests,
  parseApps,
  parseAuthPreference,
  parseCertAuthorities,
  parseCreatedRequestId,
  parseDatabases,
  parseMcpConfigOutput,
  parseMcpServerListings,
  parseNodes,
  parseProxies,
  parseRoles,
  parseTctlStatus,
  parseTokens,
  parseTshStatus,
  parseUsers,
  parseVersion,
  versionParts,
} from './index.js';

/** A fixture's single element, modified, as a one-element JSON array. */
function variant(fixture: string, edit: (o: Record<string, unknown>) => void): string {
  const list = JSON.parse(fixture) as Record<string, unknown>[];
  const first = list[0];
  assert.ok(first);
  edit(first);
  return JSON.stringify([first]);
}
function spec(o: Record<string, unknown>): Record<string, unknown> {
  return o.spec as Record<string, unknown>;
}

describe('nodes and proxies (§2.1, §2.8)', () => {
  it('parses tctl get nodes', () => {
    assert.deepEqual(parseNodes(F.TCTL_GET_NODES), [
      {
        name: '5b6f1a4e-2c3d-4e5f-8a9b-0c1d2e3f4a5b',
        hostname: 'ip-10-0-0-5',
        addr: '10.0.0.5:3022',
        labels: { env: 'dev' },
        commandLabels: { arch: 'x86_64' },
        version: '17.4.8',
        useTunnel: false,
        publicAddrs: [],
        expires: '2025-06-01T10:10:00.123456Z',
      },
    ]);
  });

  const nodeVariants: [
    string,
    (o: Record<string, unknown>) => void,
    (n: ReturnType<typeof parseNodes>[0]) => void,
  ][] = [
    [
      'tunnel node without addr, agentless sub_kind, unknown fields',
      (o) => {
        o.sub_kind = 'openssh';
        o.extra = { future: true };
        Object.assign(spec(o), { addr: '', use_tunnel: true, cloud_metadata: { aws: {} } });
      },
      (n) => {
        assert.equal(n.useTunnel, true);
        assert.equal(n.addr, '');
        assert.equal(n.subKind, 'openssh');
      },
    ],
    [
      'labels as a list of k=v',
      (o) => {
        (o.metadata as Record<string, unknown>).labels = ['env=prod', 'team=db'];
      },
      (n) => assert.deepEqual(n.labels, { env: 'prod', team: 'db' }),
    ],
    [
      'labels as a string, multi-valued labels joined',
      (o) => {
        (o.metadata as Record<string, unknown>).labels = 'env=prod,team=db';
      },
      (n) => assert.deepEqual(n.labels, { env: 'prod', team: 'db' }),
    ],
    [
      'null labels and cmd_labels, no expiry',
      (o) => {
        const md = o.metadata as Record<string, unknown>;
        md.labels = null;
        delete md.expires;
        spec(o).cmd_labels = null;
      },
      (n) => {
        assert.deepEqual(n.labels, {});
        assert.deepEqual(n.commandLabels, {});
        assert.equal(n.expires, undefined);
      },
    ],
  ];
  for (const [label, edit, check] of nodeVariants) {
    it(`variant: ${label}`, () => {
      const [n] = parseNodes(variant(F.TCTL_GET_NODES, edit));
      assert.ok(n);
      check(n);
    });
  }

  it('an empty list, null and a single object', () => {
    assert.deepEqual(parseNodes('[]\n'), []);
    assert.deepEqual(parseNodes('null'), []);
    assert.deepEqual(parseNodes(''), []);
    const single = (JSON.parse(F.TCTL_GET_NODES) as unknown[])[0];
    assert.equal(parseNodes(single).length, 1);
  });

  it('parses tctl get proxies', () => {
    assert.deepEqual(parseProxies(F.TCTL_GET_PROXIES), [
      {
        name: 'c0ffee00-1111-2222-3333-444455556666',
        hostname: 'proxy-1',
        addr: '10.0.0.2:3023',
        version: '17.4.8',
        publicAddrs: ['teleport.example.com:443'],
        labels: {},
      },
    ]);
  });

  it('output that is not JSON, or a node without a name, is a teleport_error', () => {
    assert.throws(
      () => parseNodes('Host UUID Public Address'),
      (e: unknown) => e instanceof AppError && e.code === 'teleport_error',
    );
    assert.throws(
      () => parseNodes([{ kind: 'node', metadata: {} }]),
      (e: unknown) =>
        e instanceof AppError && e.code === 'teleport_error' && e.message.includes('metadata.name'),
    );
  });
});

describe('roles (§2.2, §1.8)', () => {
  it('parses the access role', () => {
    const [role] = parseRoles(F.TCTL_GET_ROLES);
    assert.ok(role);
    assert.equal(role.name, 'access');
    assert.equal(role.version, 'v7');
    assert.equal(role.description, 'Access cluster resources');
    assert.equal(role.options.maxSessionTtl, '30h0m0s');
    assert.deepEqual(role.allow.logins, ['{{internal.logins}}']);
    assert.deepEqual(role.allow.nodeLabels, { '*': ['*'] });
    assert.deepEqual(role.allow.rules, [
      { resources: ['event'], verbs: ['list', 'read'] },
      {
        resources: ['session'],
        verbs: ['read', 'list'],
        where: 'contains(session.participants, user.metadata.name)',
      },
    ]);
    assert.deepEqual(role.allow.mcpTools, ['{{internal.mcp_tools}}']);
    assert.deepEqual(role.deny.logins, []);
    assert.deepEqual(role.deny.mcpTools, []);
  });

  it('variant: multi-valued labels, deny tools, impersonate, request, no mcp block', () => {
    const [role] = parseRoles(
      variant(F.TCTL_GET_ROLES, (o) => {
        const s = spec(o);
        const allow = s.allow as Record<string, unknown>;
        allow.node_labels = { env: ['dev', 'staging'] };
        allow.impersonate = { users: ['*'], roles: ['*'] };
        allow.request = { roles: ['db-admin'], search_as_roles: null };
        delete allow.mcp;
        s.deny = { mcp: { tools: ['write_*'] }, logins: null };
        s.options = { require_session_mfa: 1 };
      }),
    );
    assert.ok(role);
    assert.deepEqual(role.allow.nodeLabels, { env: ['dev', 'staging'] });
    assert.deepEqual(role.allow.impersonate, { users: ['*'], roles: ['*'] });
    assert.deepEqual(role.allow.request, { roles: ['db-admin'], searchAsRoles: [] });
    assert.deepEqual(role.allow.mcpTools, []);
    assert.deepEqual(role.deny.mcpTools, ['write_*']);
    assert.equal(role.options.requireSessionMfa, '1');
  });

  it('variant: a role without spec', () => {
    const [role] = parseRoles([{ kind: 'role', metadata: { name: 'empty' } }]);
    assert.deepEqual(role?.allow.rules, []);
  });
});

describe('users (§2.3)', () => {
  it('parses traits incl. mcp_tools', () => {
    assert.deepEqual(parseUsers(F.TCTL_GET_USERS), [
      {
        name: 'alice',
        roles: ['access', 'editor'],
        traits: { logins: ['alice', 'root'], mcp_tools: ['*'] },
        mcpTools: ['*'],
        locked: false,
        createdBy: 'admin',
        createdAt: '2025-05-01T09:00:00.123456789Z',
        origin: 'local',
      },
    ]);
  });

  it('variant: SSO user, locked, null traits', () => {
    const [u] = parseUsers(
      variant(F.TCTL_GET_USERS, (o) => {
        const s = spec(o);
        s.github_identities = [{ connector_id: 'github', username: 'alice' }];
        s.traits = null;
        s.status = { is_locked: true, locked_message: 'suspicious' };
      }),
    );
    assert.equal(u?.origin, 'github');
    assert.equal(u?.locked, true);
    assert.deepEqual(u?.mcpTools, []);
  });
});

describe('tokens (§2.4)', () => {
  it('never exposes the token value', () => {
    const tokens = parseTokens(F.TCTL_TOKENS_LS);
    assert.equal(tokens.length, 1);
    const t = tokens[0];
    assert.ok(t);
    assert.doesNotMatch(JSON.stringify(tokens), /5d5e2f0d3b1c6a7e8f9a0b1c2d3e4f50/);
    assert.equal(t.masked, '****4f50');
    assert.match(t.fingerprint, /^sha256:[0-9a-f]{16}$/);
    assert.deepEqual(t.roles, ['Node']);
    assert.equal(t.joinMethod, 'token');
    assert.equal(t.expires, '2025-06-01T11:00:00Z');
  });

  it('variant: bot token without join_method, roles as a string', () => {
    const [t] = parseTokens([
      { kind: 'token', metadata: { name: 'abc' }, spec: { roles: 'Bot', bot_name: 'ci' } },
    ]);
    assert.equal(t?.joinMethod, 'token');
    assert.deepEqual(t?.roles, ['Bot']);
    assert.equal(t?.botName, 'ci');
    assert.equal(t?.masked, '****');
  });
});

describe('cert authorities (§2.5)', () => {
  it('parses type, cluster and key counts', () => {
    assert.deepEqual(parseCertAuthorities(F.TCTL_GET_CAS), [
      {
        type: 'host',
        clusterName: 'teleport.example.com',
        activeKeys: { ssh: 1, tls: 1, jwt: 0 },
        additionalTrustedKeys: { ssh: 0, tls: 0, jwt: 0 },
        hasPrivateKeys: false,
      },
    ]);
  });

  it('variant: rotation in progress, private keys present', () => {
    const [ca] = parseCertAuthorities(
      variant(F.TCTL_GET_CAS, (o) => {
        const s = spec(o);
        s.rotation = {
          state: 'in_progress',
          phase: 'update_clients',
          mode: 'manual',
          current_id: 'r-1',
          started: '2025-06-01T10:00:00Z',
          grace_period: '30h0m0s',
          last_rotated: '0001-01-01T00:00:00Z',
          schedule: {},
        };
        s.active_keys = { ssh: [{ public_key: 'x', private_key: 'y' }], tls: null };
      }),
    );
    assert.deepEqual(ca?.rotation, {
      state: 'in_progress',
      phase: 'update_clients',
      mode: 'manual',
      currentId: 'r-1',
      started: '2025-06-01T10:00:00Z',
      gracePeriod: '30h0m0s',
    });
    assert.equal(ca?.hasPrivateKeys, true);
    assert.deepEqual(ca?.activeKeys, { ssh: 1, tls: 0, jwt: 0 });
  });
});

describe('cluster auth preference (§2.6)', () => {
  it('parses the documented sample', () => {
    assert.deepEqual(parseAuthPreference(F.TCTL_GET_CAP), {
      type: 'local',
      secondFactor: 'on',
      secondFactors: ['webauthn', 'otp'],
      allowLocalAuth: true,
      allowPasswordless: true,
      allowHeadless: true,
      disconnectExpiredCert: false,
      lockingMode: 'best_effort',
      webauthnRpId: 'teleport.example.com',
      defaultSessionTtl: '12h0m0s',
      origin: 'defaults',
      labels: { 'teleport.dev/origin': 'defaults' },
    });
  });

  it('variant: enums as numbers, single object', () => {
    const cap = (JSON.parse(F.TCTL_GET_CAP) as Record<string, unknown>[])[0];
    assert.ok(cap);
    Object.assign(spec(cap), {
      second_factors: [2, 1, 3],
      require_session_mfa: 1,
      signature_algorithm_suite: 2,
    });
    const parsed = parseAuthPreference(cap);
    assert.deepEqual(parsed.secondFactors, ['webauthn', 'otp', 'sso']);
    assert.equal(parsed.requireSessionMfa, 'session');
    assert.equal(parsed.signatureAlgorithmSuite, 'balanced-v1');
  });

  it('variant: enum names as strings, second_factors null', () => {
    const parsed = parseAuthPreference([
      {
        kind: 'cluster_auth_preference',
        metadata: { name: 'cluster-auth-preference' },
        spec: { type: 'github', second_factors: null, signature_algorithm_suite: 'hsm-v1' },
      },
    ]);
    assert.deepEqual(parsed.secondFactors, []);
    assert.equal(parsed.type, 'github');
    assert.equal(parsed.signatureAlgorithmSuite, 'hsm-v1');
  });
});

describe('apps and databases (§2.7, §1.7)', () => {
  it('parses an MCP stdio app', () => {
    assert.deepEqual(parseApps(F.TCTL_GET_APPS), [
      {
        name: 'everything',
        description: 'MCP everything server',
        labels: { env: 'dev', 'teleport.internal/app-sub-kind': 'mcp' },
        uri: 'mcp+stdio://',
        subKind: 'mcp',
        insecureSkipVerify: false,
        isMcp: true,
        mcpTransport: 'stdio',
        mcp: {
          command: 'docker',
          args: ['run', '-i', '--rm', 'mcp/everything'],
          runAsHostUser: 'docker',
        },
      },
    ]);
  });

  const transports: [string, string | undefined][] = [
    ['mcp+http://mcp.internal/mcp', 'streamable-http'],
    ['mcp+https://mcp.internal/mcp', 'streamable-http'],
    ['mcp+sse+http://mcp.internal/sse', 'sse'],
    ['http://grafana.internal', undefined],
  ];
  for (const [uri, transport] of transports) {
    it(`transport of ${uri}`, () => {
      const [app] = parseApps([{ kind: 'app', metadata: { name: 'a' }, spec: { uri } }]);
      assert.equal(app?.mcpTransport, transport);
      assert.equal(app?.isMcp, transport !== undefined);
    });
  }

  it('parses databases tolerantly', () => {
    assert.deepEqual(
      parseDatabases([
        {
          kind: 'db',
          version: 'v3',
          metadata: { name: 'pg', labels: { env: 'dev' } },
          spec: { protocol: 'postgres', uri: 'localhost:5432', aws: {} },
          status: {},
        },
      ]),
      [{ name: 'pg', labels: { env: 'dev' }, protocol: 'postgres', uri: 'localhost:5432' }],
    );
  });
});

describe('access requests (§2.10)', () => {
  it('parses tsh request ls (no trailing newline, state as number)', () => {
    assert.deepEqual(parseAccessRequests(F.TSH_REQUEST_LS), [
      {
        id: '0193a2f1-5d5e-7b8a-9c1e-2f3a4b5c6d7e',
        user: 'alice',
        roles: ['db-admin'],
        state: 'PENDING',
        created: '2025-06-01T10:00:00.123456Z',
        expires: '2025-06-01T22:00:00Z',
        requestReason: 'investigate INC-42',
        reviews: [],
        suggestedReviewers: ['bob'],
        resourceIds: [],
        thresholds: [{ name: 'default', approve: 1, deny: 1 }],
        maxDuration: '2025-06-01T22:00:00Z',
        sessionTtl: '2025-06-01T22:00:00Z',
        systemAnnotations: {},
      },
    ]);
  });

  const states: [unknown, string][] = [
    [0, 'NONE'],
    [2, 'APPROVED'],
    [3, 'DENIED'],
    [4, 'PROMOTED'],
    ['APPROVED', 'APPROVED'],
    ['denied', 'DENIED'],
    [9, 'UNKNOWN'],
  ];
  for (const [raw, expected] of states) {
    it(`state ${JSON.stringify(raw)} → ${expected}`, () => {
      const r = parseAccessRequest(variant(F.TSH_REQUEST_LS, (o) => (spec(o).state = raw)));
      assert.equal(r.state, expected);
    });
  }

  it('show: a single object with reviews and resource ids', () => {
    const one = (JSON.parse(F.TSH_REQUEST_LS) as Record<string, unknown>[])[0];
    assert.ok(one);
    Object.assign(spec(one), {
      reviews: [
        { author: 'carol', proposed_state: 2, reason: 'ok', created: '2025-06-01T11:00:00Z' },
      ],
      resource_ids: [{ cluster: 'teleport.example.com', kind: 'node', name: '5b6f' }],
      suggested_reviewers: null,
    });
    const r = parseAccessRequest(JSON.stringify(one));
    assert.deepEqual(r.reviews, [
      {
        author: 'carol',
        proposedState: 'APPROVED',
        roles: [],
        reason: 'ok',
        created: '2025-06-01T11:00:00Z',
      },
    ]);
    assert.deepEqual(r.resourceIds, [
      { cluster: 'teleport.example.com', kind: 'node', name: '5b6f' },
    ]);
    assert.deepEqual(r.suggestedReviewers, []);
  });

  it('reads the ID tsh request create prints', () => {
    assert.equal(
      parseCreatedRequestId(F.TSH_REQUEST_CREATE),
      '0192f6c0-cd34-79bc-9e51-14b983265106',
    );
    assert.throws(() => parseCreatedRequestId('Creating request...\n'), AppError);
  });
});

describe('tsh mcp ls (§1.2)', () => {
  it('parses the golden JSON with allowed/denied tools', () => {
    const listings = parseMcpServerListings(F.MCP_LS_JSON);
    assert.deepEqual(
      listings.map((l) => [
        l.name,
        l.type,
        l.command,
        l.args,
        l.runAsHostUser,
        l.allowedTools,
        l.deniedTools,
        l.allowedToolsSummary,
      ]),
      [
        ['allow-read', 'stdio', 'test', ['arg'], 'test', ['read_*'], [], '[read_*]'],
        [
          'deny-write',
          'stdio',
          'test',
          ['arg'],
          'test',
          ['*'],
          ['write_*'],
          '[*], except: [write_*]',
        ],
      ],
    );
    assert.ok(listings.every((l) => l.hasToolAccess));
  });

  it('the (none) case: no permissions block, or an empty allowed list', () => {
    const noPerms = variant(F.MCP_LS_JSON, (o) => delete o.permissions);
    const emptyAllowed = variant(
      F.MCP_LS_JSON,
      (o) => (o.permissions = { mcp: { tools: { allowed: null } } }),
    );
    for (const input of [noPerms, emptyAllowed]) {
      const [l] = parseMcpServerListings(input);
      assert.equal(l?.hasToolAccess, false);
      assert.equal(l?.allowedToolsSummary, '(none)');
    }
  });

  it('an empty listing', () => {
    assert.deepEqual(parseMcpServerListings('[]\n'), []);
  });
});

describe('version and status (§2.11, §2.12, §2.9)', () => {
  it('tsh version --format=json', () => {
    assert.deepEqual(parseVersion(F.TSH_VERSION_JSON), {
      version: '17.4.8',
      gitref: 'v17.4.8-0-g1a2b3c4',
      runtime: 'go1.23.8',
      proxyVersion: '17.4.8',
      proxyPublicAddress: 'teleport.example.com:443',
    });
  });

  it('tsh version text, and tctl version', () => {
    assert.deepEqual(parseVersion(F.TSH_VERSION_TEXT), {
      version: '17.4.8',
      gitref: 'v17.4.8-0-g1a2b3c4',
      runtime: 'go1.23.8',
      proxyVersion: '17.4.8',
      proxyPublicAddress: 'teleport.example.com:443',
    });
    assert.deepEqual(parseVersion('Teleport v18.1.0 git:v18.1.0-0-gabc go1.24.4\n'), {
      version: '18.1.0',
      gitref: 'v18.1.0-0-gabc',
      runtime: 'go1.24.4',
    });
    assert.deepEqual(versionParts('18.1.0-dev.3'), [18, 1, 0]);
  });

  it('tsh status --format=json', () => {
    const s = parseTshStatus(F.TSH_STATUS_JSON);
    assert.deepEqual(s, {
      active: {
        profileUrl: 'https://teleport.example.com:443',
        username: 'alice',
        cluster: 'teleport.example.com',
        roles: ['access', 'editor'],
        traits: { logins: ['alice'] },
        logins: ['alice'],
        kubernetesEnabled: true,
        validUntil: '2025-06-01T22:00:00Z',
        activeRequests: [],
        extensions: [
          'login-ip',
          'permit-agent-forwarding',
          'permit-port-forwarding',
          'permit-pty',
          'private-key-policy',
        ],
      },
      profiles: [],
    });
    assert.deepEqual(parseTshStatus('{"profiles": null}'), { profiles: [] });
  });

  it('tctl status text', () => {
    assert.deepEqual(parseTctlStatus(F.TCTL_STATUS), {
      cluster: 'teleport.example.com',
      version: '17.4.8',
      caPins: ['sha256:1f2e3d4c5b6a79880706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d2c1b0a'],
      authorities: [
        { type: 'host', rotation: 'never updated' },
        { type: 'user', rotation: 'never updated' },
        { type: 'db', rotation: 'never updated' },
        { type: 'db_client', rotation: 'never updated' },
        { type: 'openssh', rotation: 'never updated' },
        { type: 'jwt', rotation: 'never updated' },
      ],
    });
  });

  it('tctl status, v14 and older headless form', () => {
    const old =
      'Cluster  old.example.com\nVersion  14.3.3\nhost CA  never updated\nuser CA  rotated Jun  1 10:00:00 UTC\nCA pin   sha256:abcd\n';
    assert.deepEqual(parseTctlStatus(old), {
      cluster: 'old.example.com',
      version: '14.3.3',
      caPins: ['sha256:abcd'],
      authorities: [
        { type: 'host', rotation: 'never updated' },
        { type: 'user', rotation: 'rotated Jun  1 10:00:00 UTC' },
      ],
    });
  });
});

describe('version and status output that is not what Teleport prints', () => {
  // [label, parse, a fragment of the message]
  const BAD: [string, () => unknown, RegExp][] = [
    [
      'tsh version: broken JSON',
      () => parseVersion('{"version": "17.'),
      /tsh version printed output that is not JSON/,
    ],
    [
      'tsh version: JSON without a version',
      () => parseVersion('{"gitref": "x"}'),
      /unexpected version/,
    ],
    [
      'tsh version: no version line',
      () => parseVersion('hello\n'),
      /tsh version printed no "Teleport v…" line/,
    ],
    [
      'tctl status: garbage',
      () => parseTctlStatus('garbage'),
      /tctl status printed no cluster name and no version/,
    ],
    [
      'tctl status: no version row',
      () => parseTctlStatus('Cluster:  a.example.com\n'),
      /printed no version;/,
    ],
    [
      'tctl status: broken JSON',
      () => parseTctlStatus('{"cluster": '),
      /tctl status printed output that is not JSON/,
    ],
    [
      'tctl status: JSON without the cluster',
      () => parseTctlStatus('{"authorities": []}'),
      /printed no cluster name/,
    ],
  ];
  for (const [label, parse, message] of BAD) {
    it(label, () => {
      assert.throws(parse, (err: unknown) => {
        assert.ok(err instanceof AppError, String(err));
        assert.equal(err.code, 'teleport_error');
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

describe('tsh mcp config output (§1.3)', () => {
  it('reads the server names and the sample JSON', () => {
    const out = parseMcpConfigOutput(F.MCP_CONFIG_PRINT);
    assert.deepEqual(out.servers, ['everything', 'fs']);
    assert.deepEqual(out.config, {
      mcpServers: {
        'teleport-mcp-everything': {
          command: '/usr/local/bin/tsh',
          args: ['mcp', 'connect', 'everything'],
        },
        'teleport-mcp-fs': { command: '/usr/local/bin/tsh', args: ['mcp', 'connect', 'fs'] },
      },
    });
  });

  it('reads database URIs of tsh mcp db config', () => {
    const text =
      'If you already have an entry for "teleport-databases" server, add the following database resource URI to the command arguments list:\nteleport://clusters/root/databases/pg?dbName=postgres&dbUser=alice\n';
    assert.deepEqual(parseMcpConfigOutput(text).databaseUris, [
      'teleport://clusters/root/databases/pg?dbName=postgres&dbUser=alice',
    ]);
  });
});
