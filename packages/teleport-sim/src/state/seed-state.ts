// The realistic cluster a fresh state file starts from: mixed-version nodes (one behind a
// reverse tunnel), two proxies, the preset roles plus a wildcard and a privileged custom role,
// users with traits, join tokens, CAs with a host rotation in progress, MCP apps backed by the
// real server-everything, a web app, a Postgres database and access requests in every state.
import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { rfc3339Nano, ZERO_TIME } from '../format/go-time.js';
import type { Resource, SimState } from './sim-state.js';

export interface SeedOptions {
  now: Date;
  /** `TELEPORT_SIM_DB_URI`, host:port of the real Postgres. */
  dbUri: string;
  /** `TELEPORT_SIM_WEB_APP_URI`, the local HTTP server behind the web app. */
  webAppUri: string;
}

export const CLUSTER_NAME = 'teleport.example.com';
export const TELEPORT_VERSION = '18.2.0';

/** Absolute path of server-everything's entry point, so the MCP app runs without network. */
export function serverEverythingEntry(): string {
  const require = createRequire(import.meta.url);
  // The package exports no "main"; its bin is dist/index.js beside package.json.
  return join(
    dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
    'dist',
    'index.js',
  );
}

const ZERO_ROTATION = {
  current_id: '',
  started: ZERO_TIME,
  last_rotated: ZERO_TIME,
  schedule: { update_clients: ZERO_TIME, update_servers: ZERO_TIME, standby: ZERO_TIME },
};

export function seedState(options: SeedOptions): SimState {
  const now = options.now.getTime();
  const at = (offsetMs: number): string => rfc3339Nano(new Date(now + offsetMs));
  const H = 3_600_000;
  const rev = (): string => randomUUID();

  const node = (
    name: string,
    hostname: string,
    addr: string,
    version: string,
    labels: Record<string, string>,
    extra: { tunnel?: boolean; cmdLabels?: boolean } = {},
  ): Resource => ({
    kind: 'node',
    sub_kind: 'teleport',
    version: 'v2',
    metadata: { name, labels, expires: at(10 * 60_000), revision: rev() },
    spec: {
      addr,
      hostname,
      ...(extra.cmdLabels
        ? { cmd_labels: { arch: { period: '1h0m0s', command: ['uname', '-p'], result: 'x86_64' } } }
        : {}),
      rotation: ZERO_ROTATION,
      ...(extra.tunnel ? { use_tunnel: true } : {}),
      version,
    },
  });

  const proxy = (name: string, hostname: string, addr: string): Resource => ({
    kind: 'proxy',
    version: 'v2',
    metadata: { name, expires: at(10 * 60_000), revision: rev() },
    spec: {
      addr,
      hostname,
      rotation: ZERO_ROTATION,
      version: TELEPORT_VERSION,
      public_addrs: [`${CLUSTER_NAME}:443`],
    },
  });

  const presetLabels = { 'teleport.internal/resource-type': 'preset' };
  const role = (
    name: string,
    version: string,
    description: string | undefined,
    labels: Record<string, string> | undefined,
    options: Record<string, unknown>,
    allow: Record<string, unknown>,
    deny: Record<string, unknown> = {},
  ): Resource => ({
    kind: 'role',
    version,
    metadata: {
      name,
      ...(description ? { description } : {}),
      ...(labels ? { labels } : {}),
      revision: rev(),
    },
    spec: { options, allow, deny },
  });
  const baseOptions = (ttl: string): Record<string, unknown> => ({
    forward_agent: true,
    max_session_ttl: ttl,
    cert_format: 'standard',
    record_session: { desktop: true },
    desktop_clipboard: true,
    desktop_directory_sharing: true,
    pin_source_ip: false,
    ssh_file_copy: true,
    create_desktop_user: false,
    create_db_user: false,
    ssh_port_forwarding: { local: { enabled: true }, remote: { enabled: true } },
  });
  const crud = ['list', 'create', 'read', 'update', 'delete'];

  const user = (
    name: string,
    roles: string[],
    traits: Record<string, string[]>,
    createdAt: string,
  ): Resource => ({
    kind: 'user',
    version: 'v2',
    metadata: { name, revision: rev() },
    spec: {
      roles,
      traits,
      status: { is_locked: false, locked_time: ZERO_TIME, lock_expires: ZERO_TIME },
      expires: ZERO_TIME,
      created_by: { time: createdAt, user: { name: 'admin' } },
    },
    status: { password_state: 2 },
  });

  const token = (
    name: string,
    roles: string[],
    expires: string,
    joinMethod = 'token',
  ): Resource => ({
    kind: 'token',
    version: 'v2',
    metadata: { name, expires, revision: rev() },
    spec: { roles, join_method: joinMethod },
  });

  const fakeKey = (label: string): string =>
    Buffer.from(
      `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${createHash('sha256').update(label).digest('base64')} ${label}`,
    ).toString('base64');
  const fakeCert = (label: string): string =>
    Buffer.from(
      `-----BEGIN CERTIFICATE-----\nMIIB${createHash('sha512').update(label).digest('base64')}\n-----END CERTIFICATE-----\n`,
    ).toString('base64');
  const ca = (
    type: string,
    keys: { ssh?: boolean; tls?: boolean; jwt?: boolean },
    rotation?: Record<string, unknown>,
    additional: Record<string, unknown> = {},
  ): Resource => ({
    kind: 'cert_authority',
    sub_kind: type,
    version: 'v2',
    metadata: { name: CLUSTER_NAME, revision: rev() },
    spec: {
      type,
      cluster_name: CLUSTER_NAME,
      ...(rotation ? { rotation } : {}),
      active_keys: {
        ...(keys.ssh ? { ssh: [{ public_key: fakeKey(`${type}-ssh`) }] } : {}),
        ...(keys.tls ? { tls: [{ cert: fakeCert(`${type}-tls`) }] } : {}),
        ...(keys.jwt ? { jwt: [{ public_key: fakeKey(`${type}-jwt`) }] } : {}),
      },
      additional_trusted_keys: additional,
    },
  });

  const mcpLabels = (env: string): Record<string, string> => ({
    env,
    'teleport.internal/app-sub-kind': 'mcp',
  });
  const everything = serverEverythingEntry();
  const mcpApp = (name: string, description: string, env: string): Resource => ({
    kind: 'app',
    sub_kind: 'mcp',
    version: 'v3',
    metadata: { name, description, labels: mcpLabels(env), revision: rev() },
    spec: {
      uri: 'mcp+stdio://',
      insecure_skip_verify: false,
      mcp: { command: 'node', args: [everything, 'stdio'], run_as_host_user: 'mcp' },
    },
  });

  const db = (name: string, description: string, labels: Record<string, string>): Resource => ({
    kind: 'db',
    version: 'v3',
    metadata: { name, description, labels, revision: rev() },
    spec: {
      protocol: 'postgres',
      uri: options.dbUri,
      aws: {
        redshift: {},
        rds: { iam_auth: false },
        elasticache: {},
        secret_store: {},
        memorydb: {},
      },
      gcp: {},
      azure: { redis: {} },
      tls: { mode: 0 },
      ad: {},
      mysql: {},
    },
  });

  const request = (
    id: string,
    requester: string,
    roles: string[],
    state: number,
    createdOffset: number,
    reason: string,
    reviews: Record<string, unknown>[] = [],
    resolveReason?: string,
  ): Resource => ({
    kind: 'access_request',
    version: 'v3',
    metadata: { name: id, expires: at(createdOffset + 24 * H) },
    spec: {
      user: requester,
      roles,
      state,
      created: at(createdOffset),
      expires: at(createdOffset + 12 * H),
      request_reason: reason,
      ...(resolveReason ? { resolve_reason: resolveReason } : {}),
      thresholds: [{ name: 'default', approve: 1, deny: 1 }],
      ...(reviews.length ? { reviews } : {}),
      suggested_reviewers: ['bob'],
      max_duration: at(createdOffset + 12 * H),
      session_ttl: at(createdOffset + 12 * H),
    },
  });

  const rotationStarted = now - 2 * H;
  return {
    stateVersion: 1,
    cluster: {
      name: CLUSTER_NAME,
      version: TELEPORT_VERSION,
      gitref: `v${TELEPORT_VERSION}-0-g1a2b3c4`,
      runtime: 'go1.24.6',
      proxyPublicAddr: `${CLUSTER_NAME}:443`,
      authHostId: '3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b',
      caPin: 'sha256:1f2e3d4c5b6a79880706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d2c1b0a',
    },
    nodes: [
      node(
        '5b6f1a4e-2c3d-4e5f-8a9b-0c1d2e3f4a5b',
        'ip-10-0-0-5',
        '10.0.0.5:3022',
        TELEPORT_VERSION,
        { env: 'dev' },
        { cmdLabels: true },
      ),
      node('7c1e9b2a-3d4f-4a5b-9c6d-7e8f9a0b1c2d', 'db-jump-01', '10.0.1.7:3022', '17.4.8', {
        env: 'prod',
        role: 'jumpbox',
      }),
      node(
        '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
        'edge-tunnel-01',
        '',
        '16.4.6',
        { env: 'staging' },
        { tunnel: true },
      ),
      node('a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', 'web-prod-01', '10.0.2.11:3022', '18.1.4', {
        env: 'prod',
        team: 'web',
      }),
    ],
    proxies: [
      proxy('c0ffee00-1111-2222-3333-444455556666', 'proxy-1', '10.0.0.2:3023'),
      proxy('c0ffee00-7777-8888-9999-aaaabbbbcccc', 'proxy-2', '10.0.0.3:3023'),
    ],
    roles: [
      role(
        'access',
        'v7',
        'Access cluster resources',
        presetLabels,
        { ...baseOptions('30h0m0s') },
        {
          logins: ['{{internal.logins}}'],
          node_labels: { '*': '*' },
          rules: [
            { resources: ['event'], verbs: ['list', 'read'] },
            {
              resources: ['session'],
              verbs: ['read', 'list'],
              where: 'contains(session.participants, user.metadata.name)',
            },
          ],
          kubernetes_groups: ['{{internal.kubernetes_groups}}'],
          kubernetes_users: ['{{internal.kubernetes_users}}'],
          app_labels: { '*': '*' },
          kubernetes_labels: { '*': '*' },
          db_labels: { '*': '*' },
          db_names: ['{{internal.db_names}}'],
          db_users: ['{{internal.db_users}}'],
          db_roles: ['{{internal.db_roles}}'],
          mcp: { tools: ['{{internal.mcp_tools}}'] },
        },
      ),
      role(
        'editor',
        'v7',
        'Edit cluster configuration',
        presetLabels,
        { ...baseOptions('8h0m0s') },
        {
          rules: [
            'user',
            'role',
            'bot',
            'crown_jewel',
            'db_object',
            'oidc',
            'saml',
            'github',
            'cluster_auth_preference',
            'cluster_name',
            'cluster_networking_config',
            'session_recording_config',
            'trusted_cluster',
            'remote_cluster',
            'token',
            'app',
            'db',
            'kube_cluster',
            'lock',
            'node',
            'proxy',
            'cert_authority',
            'access_request',
          ].map((r) => ({ resources: [r], verbs: crud })),
        },
      ),
      role(
        'auditor',
        'v7',
        'Review cluster events and replay sessions',
        presetLabels,
        { ...baseOptions('30h0m0s') },
        {
          rules: [
            { resources: ['session'], verbs: ['list', 'read'] },
            { resources: ['event'], verbs: ['list', 'read'] },
            { resources: ['session_tracker'], verbs: ['list', 'read'] },
          ],
        },
      ),
      role(
        'mcp-user',
        'v8',
        'Access to MCP servers',
        presetLabels,
        {},
        {
          app_labels: { 'teleport.internal/app-sub-kind': 'mcp' },
          mcp: { tools: ['*'] },
        },
      ),
      role(
        'mcp-dev',
        'v8',
        'Developers: read-only MCP tools on dev servers',
        undefined,
        { max_session_ttl: '8h0m0s' },
        {
          app_labels: { 'teleport.internal/app-sub-kind': 'mcp', env: 'dev' },
          mcp: { tools: ['get-*', '^echo$', '{{internal.mcp_tools}}'] },
        },
        {
          mcp: { tools: ['get-env'] },
        },
      ),
      role(
        'requester',
        'v7',
        'Can request temporary database admin access',
        undefined,
        { max_session_ttl: '8h0m0s' },
        {
          request: {
            roles: ['db-admin'],
            thresholds: [{ approve: 1, deny: 1 }],
            suggested_reviewers: ['bob'],
          },
        },
      ),
      role(
        'reviewer',
        'v7',
        'Reviews access requests',
        undefined,
        { max_session_ttl: '8h0m0s' },
        {
          review_requests: { roles: ['db-admin', 'editor'] },
        },
      ),
      role(
        'db-admin',
        'v7',
        'Administrative access to production databases',
        undefined,
        { max_session_ttl: '4h0m0s' },
        {
          db_labels: { env: ['dev', 'prod'] },
          db_names: ['*'],
          db_users: ['postgres'],
        },
      ),
      role(
        'ops-wildcard',
        'v7',
        'Operations (legacy, wildcards everywhere)',
        undefined,
        { ...baseOptions('720h0m0s') },
        {
          logins: ['root', '{{internal.logins}}'],
          node_labels: { '*': '*' },
          rules: [{ resources: ['*'], verbs: ['*'] }],
          app_labels: { '*': '*' },
          kubernetes_labels: { '*': '*' },
          kubernetes_groups: ['system:masters'],
          db_labels: { '*': '*' },
          db_names: ['*'],
          db_users: ['*'],
          request: { roles: ['*'] },
          mcp: { tools: ['*'] },
        },
      ),
      role(
        'break-glass',
        'v7',
        'Emergency administrator (impersonates anyone)',
        undefined,
        {
          ...baseOptions('720h0m0s'),
          require_session_mfa: 0,
        },
        {
          logins: ['root'],
          node_labels: { '*': '*' },
          rules: [{ resources: ['*'], verbs: ['*'] }],
          impersonate: { users: ['*'], roles: ['*'] },
        },
      ),
    ],
    users: [
      user(
        'admin',
        ['access', 'editor', 'auditor', 'reviewer'],
        { logins: ['root', 'admin'], mcp_tools: ['*'] },
        at(-90 * 24 * H),
      ),
      user(
        'alice',
        ['access', 'mcp-dev', 'requester'],
        {
          db_names: ['postgres', 'test'],
          db_users: ['alice', 'postgres'],
          logins: ['alice', 'ubuntu'],
        },
        at(-30 * 24 * H),
      ),
      user(
        'bob',
        ['access', 'reviewer'],
        { logins: ['bob'], mcp_tools: ['echo'] },
        at(-20 * 24 * H),
      ),
      user('carol', ['auditor', 'requester'], { logins: ['carol'] }, at(-10 * 24 * H)),
      user('ops-bot', ['ops-wildcard'], { logins: ['root'] }, at(-60 * 24 * H)),
    ],
    tokens: [
      token('4f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d', ['Node'], at(H)),
      token('9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b', ['App', 'Db'], at(24 * H)),
      token('gha-deploy-bot', ['Bot'], at(30 * 24 * H), 'github'),
    ],
    cert_authorities: [
      ca(
        'host',
        { ssh: true, tls: true },
        {
          state: 'in_progress',
          phase: 'update_clients',
          mode: 'manual',
          current_id: randomUUID(),
          started: rfc3339Nano(new Date(rotationStarted)),
          grace_period: '30h0m0s',
          last_rotated: ZERO_TIME,
          schedule: {
            update_clients: rfc3339Nano(new Date(rotationStarted)),
            update_servers: rfc3339Nano(new Date(rotationStarted + 10 * H)),
            standby: rfc3339Nano(new Date(rotationStarted + 30 * H)),
          },
        },
        {
          ssh: [{ public_key: fakeKey('host-ssh-next') }],
          tls: [{ cert: fakeCert('host-tls-next') }],
        },
      ),
      ca(
        'user',
        { ssh: true, tls: true },
        {
          state: 'standby',
          phase: 'standby',
          mode: 'auto',
          current_id: randomUUID(),
          started: at(-40 * 24 * H),
          grace_period: '30h0m0s',
          last_rotated: at(-39 * 24 * H),
          schedule: { update_clients: ZERO_TIME, update_servers: ZERO_TIME, standby: ZERO_TIME },
        },
      ),
      ca('db', { tls: true }),
      ca('db_client', { tls: true }),
      ca('openssh', { ssh: true }),
      ca('jwt', { jwt: true }),
    ],
    cluster_auth_preference: {
      kind: 'cluster_auth_preference',
      version: 'v2',
      metadata: {
        name: 'cluster-auth-preference',
        labels: { 'teleport.dev/origin': 'dynamic' },
        revision: rev(),
      },
      spec: {
        type: 'local',
        second_factor: 'on',
        allow_local_auth: true,
        disconnect_expired_cert: false,
        locking_mode: 'best_effort',
        webauthn: { rp_id: CLUSTER_NAME },
        allow_passwordless: true,
        allow_headless: true,
        default_session_ttl: '12h0m0s',
        second_factors: ['webauthn', 'otp'],
      },
    },
    apps: [
      mcpApp('everything', 'MCP everything server', 'dev'),
      mcpApp('payments-mcp', 'Payments tools (production)', 'prod'),
      {
        kind: 'app',
        version: 'v3',
        metadata: {
          name: 'grafana',
          description: 'Grafana dashboards',
          labels: { env: 'dev' },
          revision: rev(),
        },
        spec: {
          uri: options.webAppUri,
          public_addr: `grafana.${CLUSTER_NAME}`,
          insecure_skip_verify: false,
        },
      },
      {
        // A multi-port TCP app (`tsh proxy app pg-tcp --port LOCAL:TARGET`) in front of the
        // same real Postgres as the `pg` database resource.
        kind: 'app',
        version: 'v3',
        metadata: {
          name: 'pg-tcp',
          description: 'PostgreSQL over TCP app access',
          labels: { env: 'dev' },
          revision: rev(),
        },
        spec: {
          uri: `tcp://${hostOf(options.dbUri)}`,
          public_addr: `pg-tcp.${CLUSTER_NAME}`,
          tcp_ports: [{ port: portOf(options.dbUri) }],
        },
      },
    ],
    db: [
      db('pg', 'Local PostgreSQL', { env: 'dev', engine: 'postgres' }),
      db('orders-db', 'Orders database (production)', { env: 'prod', engine: 'postgres' }),
    ],
    kube_clusters: [
      {
        kind: 'kube_cluster',
        version: 'v3',
        metadata: { name: 'dev-cluster', labels: { env: 'dev' }, revision: rev() },
        spec: { aws: {}, azure: {}, gcp: {} },
      },
    ],
    access_requests: [
      request(
        '0193a2f1-5d5e-7b8a-9c1e-2f3a4b5c6d7e',
        'alice',
        ['db-admin'],
        1,
        -H,
        'investigate INC-42',
      ),
      request(
        '0193a1c0-1a2b-7c3d-8e4f-5a6b7c8d9e0f',
        'alice',
        ['db-admin'],
        2,
        -3 * H,
        'hotfix migration',
        [
          {
            author: 'bob',
            roles: ['access', 'reviewer'],
            proposed_state: 2,
            reason: 'ok for the migration',
            created: at(-3 * H + 600_000),
          },
        ],
        'ok for the migration',
      ),
      request(
        '01939f00-aaaa-7bbb-8ccc-ddddeeeeffff',
        'carol',
        ['editor'],
        3,
        -5 * H,
        'need to edit roles',
        [
          {
            author: 'admin',
            roles: ['access', 'editor', 'auditor', 'reviewer'],
            proposed_state: 3,
            reason: 'use a ticket',
            created: at(-5 * H + 900_000),
          },
        ],
        'use a ticket',
      ),
    ],
    locks: [
      {
        kind: 'lock',
        version: 'v2',
        metadata: { name: '5d0c7e1a-8b2f-4c3d-9e4f-a1b2c3d4e5f6', revision: rev() },
        spec: {
          target: { user: 'mallory' },
          message: 'Repeated failed logins; locked pending review',
          created_at: at(-H + 60_000),
          created_by: 'admin',
        },
      },
    ],
    events: [
      {
        code: 'T1000I',
        ei: 0,
        event: 'user.login',
        time: at(-2 * H),
        uid: randomUUID(),
        cluster_name: CLUSTER_NAME,
        user: 'alice',
        success: true,
        method: 'local',
      },
      {
        code: 'T1000W',
        ei: 0,
        event: 'user.login',
        time: at(-H),
        uid: randomUUID(),
        cluster_name: CLUSTER_NAME,
        user: 'mallory',
        success: false,
        error: 'invalid username, password or second factor',
        method: 'local',
      },
    ],
  };
}

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}
