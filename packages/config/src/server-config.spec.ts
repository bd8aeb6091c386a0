import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config-error.js';
import { parseServerConfig } from './config-loader.js';
import type { ServerConfig } from './config-types.js';

const DB = { url: 'postgresql://mcp:mcp@localhost:5432/tmcp' };

/** The issues a config produces, as "path: message" lines. */
function issuesOf(raw: unknown): string[] {
  try {
    parseServerConfig(raw);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  assert.fail('expected the config to be rejected');
}

describe('parseServerConfig', () => {
  it('fills every default when only the database URL is given', () => {
    const expected: ServerConfig = {
      service: {
        host: '0.0.0.0',
        port: 8000,
        logLevel: 'info',
        allowedHosts: [],
        allowedOrigins: [],
        maxBodyBytes: 1024 * 1024,
        shutdownGraceMs: 10_000,
      },
      grpc: { host: '127.0.0.1', port: 8443, tls: {} },
      agentService: {
        host: '0.0.0.0',
        port: 8444,
        caDir: '/var/lib/tmcp/ca',
        agentCertTtlSeconds: 86_400,
        joinTokenTtlSeconds: 900,
        heartbeatIntervalSeconds: 10,
        disconnectGraceSeconds: 300,
      },
      database: { url: DB.url, poolSize: 10, migrateOnStart: true, statementTimeoutMs: 15_000 },
      redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'tmcp' },
      teleport: { defaultCluster: '', clusters: [] },
      policy: {
        allowTshPassthrough: false,
        allowTctlPassthrough: false,
        defaultProxyTtlSeconds: 3600,
        maxProxyTtlSeconds: 3600,
        maxConcurrentProxiesPerActor: 10,
        commandTimeoutMs: 30_000,
        maxCommandOutputBytes: 4 * 1024 * 1024,
      },
      auth: { apiKeys: { enabled: true } },
      audit: { retentionDays: 30 },
      metrics: {},
      mcp: { sessionTtlSeconds: 28800, maxResultBytes: 262144 },
      rateLimit: { enabled: true, perActorPerMinute: 120, burst: 30 },
      localAgent: { enabled: false },
    };
    assert.deepEqual(parseServerConfig({ database: DB }), expected);
  });

  it('maps the legacy single-cluster file of the Python control plane', () => {
    const legacy = parseYaml(`
teleport: { proxy: teleport.example.com:443, identity_file: /path/identity, tctl_path: tctl }
tsh: { tsh_path: tsh, home: /var/lib/tmcp/home }
service: { host: 0.0.0.0, port: 8000, log_level: INFO }
database: { url: postgresql+psycopg://mcp:mcp@localhost:5432/mcpteleport }
policy: { allow_tsh_passthrough: false, allow_tctl_passthrough: false, default_proxy_ttl_seconds: 3600, max_concurrent_proxies_per_actor: 10 }
`) as unknown;
    const config = parseServerConfig(legacy);
    assert.deepEqual(config.teleport, {
      defaultCluster: 'default',
      clusters: [
        {
          name: 'default',
          proxy: 'teleport.example.com:443',
          identityFile: '/path/identity',
          tshPath: 'tsh',
          tctlPath: 'tctl',
          home: '/var/lib/tmcp/home',
        },
      ],
    });
    assert.equal(config.database.url, 'postgresql://mcp:mcp@localhost:5432/mcpteleport');
    assert.equal(config.service.logLevel, 'info');
    assert.equal(config.policy.maxConcurrentProxiesPerActor, 10);
  });

  it('builds several clusters, with tsh.* as defaults and one home per cluster', () => {
    const config = parseServerConfig(
      parseYaml(`
database: { url: "postgres://u@db/tmcp" }
tsh: { tsh_path: /opt/teleport/tsh, home: /var/lib/tmcp/home/ }
teleport:
  default_cluster: staging
  tctl_path: /opt/teleport/tctl
  clusters:
    - { name: prod, proxy: "prod.example.com:443", identity_file: /id/prod, auth_server: "auth.prod:3025" }
    - { name: staging, proxy: "[::1]:3080", tsh_path: /usr/bin/tsh, tctl_path: /usr/bin/tctl, home: /srv/staging }
`) as unknown,
    );
    assert.deepEqual(config.teleport, {
      defaultCluster: 'staging',
      clusters: [
        {
          name: 'prod',
          proxy: 'prod.example.com:443',
          authServer: 'auth.prod:3025',
          identityFile: '/id/prod',
          tshPath: '/opt/teleport/tsh',
          tctlPath: '/opt/teleport/tctl',
          home: '/var/lib/tmcp/home/prod',
        },
        {
          name: 'staging',
          proxy: '[::1]:3080',
          tshPath: '/usr/bin/tsh',
          tctlPath: '/usr/bin/tctl',
          home: '/srv/staging',
        },
      ],
    });
  });

  it('defaults the default cluster to the first one', () => {
    const config = parseServerConfig({
      database: DB,
      teleport: {
        clusters: [
          { name: 'b', proxy: 'b:443' },
          { name: 'a', proxy: 'a:443' },
        ],
      },
    });
    assert.equal(config.teleport.defaultCluster, 'b');
  });

  it('accepts log levels case-insensitively, with Python names', () => {
    const table: [string, string][] = [
      ['INFO', 'info'],
      ['Warning', 'warn'],
      ['WARN', 'warn'],
      ['debug', 'debug'],
      ['CRITICAL', 'fatal'],
      ['Trace', 'trace'],
    ];
    for (const [input, expected] of table) {
      const config = parseServerConfig({ database: DB, service: { log_level: input } });
      assert.equal(config.service.logLevel, expected, input);
    }
  });

  it('accepts port 0 (pick a free port) for listeners', () => {
    const config = parseServerConfig({
      database: DB,
      service: { port: 0 },
      grpc: { port: 0 },
      agent_service: { port: 0 },
    });
    assert.deepEqual([config.service.port, config.grpc.port, config.agentService.port], [0, 0, 0]);
  });

  const rejected: { name: string; raw: Record<string, unknown>; issue: string }[] = [
    { name: 'missing database url', raw: { database: {} }, issue: 'database.url: is required' },
    {
      name: 'port out of range',
      raw: { grpc: { port: 65536 } },
      issue: 'grpc.port: must be a port number 1..65535 (0 picks a free port)',
    },
    {
      name: 'port as text',
      raw: { service: { port: 'http' } },
      issue: 'service.port: expected a number, got string',
    },
    {
      name: 'negative TTL',
      raw: { policy: { max_proxy_ttl_seconds: -1 } },
      issue: 'policy.max_proxy_ttl_seconds: must be greater than 0',
    },
    {
      name: 'default TTL above max',
      raw: { policy: { default_proxy_ttl_seconds: 7200 } },
      issue: 'policy.default_proxy_ttl_seconds: must be ≤ policy.max_proxy_ttl_seconds (3600)',
    },
    {
      name: 'unknown log level',
      raw: { service: { log_level: 'loud' } },
      issue:
        'service.log_level: must be one of trace, debug, info, warn, error, fatal (got "loud")',
    },
    {
      name: 'redis scheme',
      raw: { redis: { url: 'http://cache:6379' } },
      issue:
        'redis.url: must be a redis:// or rediss:// URL (e.g. redis://:password@127.0.0.1:6379/0)',
    },
    {
      name: 'empty path',
      raw: { agent_service: { ca_dir: ' ' } },
      issue: 'agent_service.ca_dir: must be a file path, not empty',
    },
    {
      name: 'unknown key',
      raw: { policy: { allow_everything: true } },
      issue:
        'policy.allow_everything: unknown key (expected one of: allow_tsh_passthrough, allow_tctl_passthrough, default_proxy_ttl_seconds, max_proxy_ttl_seconds, max_concurrent_proxies_per_actor, command_timeout_ms, max_command_output_bytes)',
    },
    {
      name: 'camelCase key',
      raw: { service: { logLevel: 'info' } },
      issue: 'service.logLevel: unknown key (keys are snake_case: did you mean log_level?)',
    },
    {
      name: 'typo',
      raw: { rate_limt: {} },
      issue: 'rate_limt: unknown key (did you mean rate_limit?)',
    },
    {
      name: 'legacy keys with clusters',
      raw: { teleport: { proxy: 'a:443', clusters: [{ name: 'a', proxy: 'a:443' }] } },
      issue:
        'teleport.proxy: cannot be combined with teleport.clusters: move it into a cluster entry (teleport.clusters: [{name, proxy, identity_file, …}]) or remove teleport.clusters',
    },
    {
      name: 'legacy identity without proxy',
      raw: { teleport: { identity_file: '/id' } },
      issue:
        'teleport.proxy: is required when teleport.identity_file is set (host:port of the Teleport proxy)',
    },
    {
      name: 'duplicate cluster',
      raw: {
        teleport: {
          clusters: [
            { name: 'a', proxy: 'a:443' },
            { name: 'a', proxy: 'b:443' },
          ],
        },
      },
      issue: 'teleport.clusters[1].name: duplicate cluster name "a" (also at index 0)',
    },
    {
      name: 'bad cluster name',
      raw: { teleport: { clusters: [{ name: 'Prod', proxy: 'a:443' }] } },
      issue:
        'teleport.clusters[0].name: must match [a-z0-9][a-z0-9._-]{0,62} (lower-case letters, digits, ".", "_", "-")',
    },
    {
      name: 'proxy without port',
      raw: { teleport: { clusters: [{ name: 'a', proxy: 'a.example.com' }] } },
      issue:
        'teleport.clusters[0].proxy: must be host:port with a port 1..65535 (e.g. teleport.example.com:443), got "a.example.com"',
    },
    {
      name: 'unknown default cluster',
      raw: { teleport: { default_cluster: 'c', clusters: [{ name: 'a', proxy: 'a:443' }] } },
      issue: 'teleport.default_cluster: must be one of the configured clusters (a)',
    },
    {
      name: 'two clusters, one home',
      raw: {
        teleport: {
          clusters: [
            { name: 'a', proxy: 'a:443', home: '/h' },
            { name: 'b', proxy: 'b:443', home: '/h' },
          ],
        },
      },
      issue:
        'teleport.clusters[1].home: "/h" is already the home of cluster "a"; each cluster needs its own',
    },
    {
      name: 'tls half configured',
      raw: { grpc: { tls: { cert_file: '/c.pem' } } },
      issue: 'grpc.tls.key_file: cert_file and key_file must be set together',
    },
    {
      name: 'no authentication left',
      raw: { auth: { api_keys: { enabled: false } } },
      issue:
        'auth.api_keys.enabled: no authentication method left: keep API keys enabled or configure auth.oidc (there is no anonymous access)',
    },
    {
      name: 'short ingest token',
      raw: { audit: { ingest_token: 'abc' } },
      issue: 'audit.ingest_token: must be at least 16 characters (use a random token)',
    },
    {
      name: 'short metrics token',
      raw: { metrics: { bearer_token: 'abc' } },
      issue: 'metrics.bearer_token: must be at least 16 characters (use a random token)',
    },
    {
      name: 'audit ingest TLS without its client CA',
      raw: { audit: { ingest_tls: { cert_file: '/c.pem', key_file: '/k.pem' } } },
      issue: 'audit.ingest_tls.client_ca_file: is required',
    },
    {
      name: 'short MCP session key',
      raw: { mcp: { session_key: 'short' } },
      issue: 'mcp.session_key: must be at least 32 characters (use a random key)',
    },
    {
      name: 'section not a mapping',
      raw: { policy: 5 },
      issue: 'policy: expected a mapping, got number',
    },
  ];
  for (const { name, raw, issue } of rejected) {
    it(`rejects: ${name}`, () => {
      assert.deepEqual(issuesOf({ database: DB, ...raw }), [issue]);
    });
  }

  it('reports every relative Teleport path together, and keeps bare binary names', () => {
    const raw = parseYaml(`
teleport:
  clusters:
    - { name: a, proxy: "a:443", identity_file: ./a.identity, home: var/a, tsh_path: ./tsh }
    - { name: b, proxy: "b:443", identity_file: /etc/tmcp/b.identity, tctl_path: bin/tctl }
    - { name: c, proxy: "c:443", tsh_path: tsh, tctl_path: /opt/teleport/bin/tctl }
tsh: { home: teleport-home }
`) as Record<string, unknown>;
    assert.deepEqual(issuesOf({ database: DB, ...raw }), [
      'teleport.clusters[0].identity_file: must be an absolute path (e.g. /var/lib/tmcp/identity); relative paths are not resolved',
      'teleport.clusters[0].tsh_path: must be an absolute path (e.g. /usr/local/bin/tsh) or a bare name looked up on PATH (e.g. tsh), not a relative path',
      'teleport.clusters[0].home: must be an absolute path (e.g. /var/lib/tmcp/identity); relative paths are not resolved',
      'teleport.clusters[1].tctl_path: must be an absolute path (e.g. /usr/local/bin/tsh) or a bare name looked up on PATH (e.g. tsh), not a relative path',
      'tsh.home: must be an absolute path (e.g. /var/lib/tmcp/identity); relative paths are not resolved',
    ]);
    const ok = parseServerConfig({
      database: DB,
      teleport: {
        identity_file: '/etc/tmcp/identity',
        proxy: 'p:443',
        tctl_path: 'tctl',
      },
      tsh: { tsh_path: 'tsh' },
    });
    assert.equal(ok.teleport.clusters[0]?.tshPath, 'tsh');
    assert.equal(ok.teleport.clusters[0]?.tctlPath, 'tctl');
    assert.equal(ok.teleport.clusters[0]?.identityFile, '/etc/tmcp/identity');
  });

  it('reports five different mistakes together, each with its path', () => {
    const raw = parseYaml(`
service: { port: 70000, log_level: chatty }
database: { url: "mysql://root:pw@db/tmcp" }
policy: { default_proxy_ttl_seconds: 7200, max_proxy_ttl_seconds: 3600 }
teleport: { clusters: [{ name: "Bad Name", proxy: "t:443" }] }
rate_limit: { per_minute: 5 }
`) as unknown;
    let caught: unknown;
    try {
      parseServerConfig(raw);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError);
    assert.equal(caught.code, 'bad_parameter');
    const paths = caught.issues.map((issue) => issue.path).sort();
    assert.deepEqual(paths, [
      'database.url',
      'policy.default_proxy_ttl_seconds',
      'rate_limit.per_minute',
      'service.log_level',
      'service.port',
      'teleport.clusters[0].name',
    ]);
    // The message lists every issue, one per line, after a header.
    const lines = caught.message.split('\n');
    assert.equal(lines[0], 'invalid configuration: 6 problems');
    for (const issue of caught.issues) assert.ok(lines.includes(`${issue.path}: ${issue.message}`));
    assert.ok(
      !caught.message.includes('pw@'),
      'the database password must not appear in the error',
    );
  });

  it('accepts a config without a teleport section (clusters = [])', () => {
    const config = parseServerConfig({ database: DB });
    assert.deepEqual(config.teleport, { defaultCluster: '', clusters: [] });
  });

  it('reads OIDC settings with defaults', () => {
    const config = parseServerConfig({
      database: DB,
      auth: {
        oidc: {
          issuer: 'https://idp.example.com',
          audience: 'tmcp',
          jwks_uri: 'https://idp.example.com/jwks',
          role_mapping: { 'tmcp-admins': 'admin' },
        },
      },
    });
    assert.deepEqual(config.auth.oidc, {
      issuer: 'https://idp.example.com',
      audience: 'tmcp',
      jwksUri: 'https://idp.example.com/jwks',
      clockSkewSeconds: 60,
      rolesClaim: 'groups',
      roleMapping: { 'tmcp-admins': 'admin' },
    });
  });
});
