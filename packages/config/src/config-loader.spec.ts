import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from './config-error.js';
import {
  loadAgentConfig,
  loadCliConfig,
  loadServerConfig,
  mergeCliFlags,
} from './config-loader.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tmcp-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function writeConfig(text: string): string {
  const file = path.join(dir, `config-${++fileCount}.yaml`);
  writeFileSync(file, text);
  return file;
}

function catchConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

const BASE = 'database: { url: "postgresql://u:p@db:5432/tmcp" }\n';

describe('loadServerConfig', () => {
  it('reads the file named by TMCP_CONFIG when no file option is given', () => {
    const file = writeConfig(`${BASE}service: { port: 9100 }\n`);
    const config = loadServerConfig({ env: { TMCP_CONFIG: file } });
    assert.equal(config.service.port, 9100);
  });

  it('works from the environment alone', () => {
    const config = loadServerConfig({ env: { TMCP_DATABASE__URL: 'postgres://u@db/tmcp' } });
    assert.equal(config.database.url, 'postgresql://u@db/tmcp');
  });

  const overrides: {
    name: string;
    env: Record<string, string>;
    check: (c: ReturnType<typeof loadServerConfig>) => unknown;
    expected: unknown;
  }[] = [
    {
      name: 'number',
      env: { TMCP_SERVICE__PORT: '9000' },
      check: (c) => c.service.port,
      expected: 9000,
    },
    {
      name: 'boolean',
      env: { TMCP_POLICY__ALLOW_TSH_PASSTHROUGH: 'true' },
      check: (c) => c.policy.allowTshPassthrough,
      expected: true,
    },
    {
      name: 'string (verbatim, not YAML)',
      env: { TMCP_DATABASE__URL: 'postgresql+asyncpg://a:#b: c@h/d' },
      check: (c) => c.database.url,
      expected: 'postgresql://a:#b: c@h/d',
    },
    {
      name: 'string list',
      env: { TMCP_SERVICE__ALLOWED_HOSTS: '[a.example.com, b.example.com]' },
      check: (c) => c.service.allowedHosts,
      expected: ['a.example.com', 'b.example.com'],
    },
    {
      name: 'list of mappings',
      env: { TMCP_TELEPORT__CLUSTERS: '[{name: a, proxy: "p:443"}]' },
      check: (c) => c.teleport.clusters.map((cluster) => [cluster.name, cluster.proxy]),
      expected: [['a', 'p:443']],
    },
    {
      name: 'nested three deep',
      env: { TMCP_GRPC__TLS__CA_FILE: '/etc/tmcp/ca.pem' },
      check: (c) => c.grpc.tls.caFile,
      expected: '/etc/tmcp/ca.pem',
    },
    {
      name: 'whole section as a flow mapping',
      env: { TMCP_RATE_LIMIT: '{enabled: false, burst: 5}' },
      check: (c) => c.rateLimit,
      expected: { enabled: false, perActorPerMinute: 120, burst: 5 },
    },
    {
      name: 'enum-like string',
      env: { TMCP_SERVICE__LOG_LEVEL: 'WARNING' },
      check: (c) => c.service.logLevel,
      expected: 'warn',
    },
    {
      name: 'env wins over the file',
      env: { TMCP_POLICY__MAX_PROXY_TTL_SECONDS: '7200' },
      check: (c) => c.policy.maxProxyTtlSeconds,
      expected: 7200,
    },
    {
      name: 'legacy key',
      env: { TMCP_TELEPORT__PROXY: 't.example.com:443' },
      check: (c) => c.teleport.clusters[0]?.proxy,
      expected: 't.example.com:443',
    },
  ];
  for (const { name, env, check, expected } of overrides) {
    it(`applies env override: ${name}`, () => {
      const file = writeConfig(
        `${BASE}policy: { max_proxy_ttl_seconds: 1800, default_proxy_ttl_seconds: 600 }\n`,
      );
      assert.deepEqual(check(loadServerConfig({ file, env })), expected);
    });
  }

  it('reports unknown TMCP_ variables with the other issues, and ignores reserved and agent ones', () => {
    const error = catchConfigError(() =>
      loadServerConfig({
        env: {
          TMCP_DATABASE__URL: 'postgresql://db/tmcp',
          TMCP_FOO: '1',
          TMCP_SERVICE_PORT: '9000',
          TMCP_POLICY__MAX_TTL: '5',
          TMCP_SERVICE__PORT: 'eighty',
          TMCP_TEST_DATABASE_URL: 'postgresql://ignored',
          TMCP_DATA_DIR: '/var/lib/tmcp-agent', // an agent key: not the server's business
          TMCPCTL_TOKEN: 'not ours either',
        },
      }),
    );
    assert.deepEqual(
      error.issues.map((issue) => issue.path),
      [
        'service.port (from env TMCP_SERVICE__PORT)',
        'env TMCP_FOO',
        'env TMCP_POLICY__MAX_TTL',
        'env TMCP_SERVICE_PORT',
      ],
    );
    assert.match(
      error.message,
      /env TMCP_SERVICE_PORT: unknown key "service_port" \(nested keys are separated by "__": did you mean TMCP_SERVICE__PORT\?\)/,
    );
    assert.match(error.message, /env TMCP_POLICY__MAX_TTL: unknown key "max_ttl"/);
  });

  it('reports env values that are not valid YAML', () => {
    const error = catchConfigError(() =>
      loadServerConfig({
        env: { TMCP_DATABASE__URL: 'postgresql://db/x', TMCP_SERVICE__ALLOWED_HOSTS: '[a, b' },
      }),
    );
    assert.equal(error.issues.length, 1);
    assert.match(error.issues[0]?.path ?? '', /^env TMCP_SERVICE__ALLOWED_HOSTS:1:\d+$/);
  });

  it('reports a YAML syntax error with line and column', () => {
    const file = writeConfig(`${BASE}service:\n  port: 8000\n\thost: 0.0.0.0\n`);
    const error = catchConfigError(() => loadServerConfig({ file, env: {} }));
    assert.deepEqual(error.issues, [
      { path: `${file}:4:1`, message: 'YAML syntax error: Tabs are not allowed as indentation' },
    ]);
  });

  it('never quotes the offending line of a syntax error', () => {
    const file = writeConfig('database:\n  url: "postgresql://u:secret@db/tmcp\nservice: {}\n');
    const error = catchConfigError(() => loadServerConfig({ file, env: {} }));
    assert.match(error.issues[0]?.path ?? '', /:\d+:\d+$/);
    assert.ok(!error.message.includes('secret'), error.message);
  });

  it('reports duplicate keys in the file', () => {
    const file = writeConfig(`${BASE}service: { port: 1 }\nservice: { port: 2 }\n`);
    const error = catchConfigError(() => loadServerConfig({ file, env: {} }));
    assert.equal(error.issues[0]?.path, `${file}:3:1`);
    assert.match(error.issues[0]?.message ?? '', /unique/);
  });

  it('reports a missing file and a file that is not a mapping', () => {
    const missing = path.join(dir, 'nope.yaml');
    assert.deepEqual(catchConfigError(() => loadServerConfig({ file: missing, env: {} })).issues, [
      { path: missing, message: 'cannot read the config file (no such file)' },
    ]);
    const list = writeConfig('- a\n- b\n');
    assert.deepEqual(catchConfigError(() => loadServerConfig({ file: list, env: {} })).issues, [
      { path: list, message: 'must be a YAML mapping of sections (e.g. "service:")' },
    ]);
  });

  it('treats an empty file as all defaults', () => {
    const file = writeConfig('');
    const config = loadServerConfig({ file, env: { TMCP_DATABASE__URL: 'postgresql://db/tmcp' } });
    assert.equal(config.service.port, 8000);
  });
});

describe('loadAgentConfig', () => {
  it('reads the agent file with defaults and derived paths', () => {
    const file = writeConfig(`
server: { address: "cp.example.com:8444", ca_pin: "SHA256:${'AB:'.repeat(31)}AB" }
data_dir: /srv/agent
labels: { site: paris, "team/owner": ops }
clusters: [{ name: prod, proxy: "prod.example.com:443", identity_file: /srv/agent/prod.id }]
log_level: Warning
`);
    const config = loadAgentConfig({
      file,
      env: { TMCP_HEARTBEAT_INTERVAL_SECONDS: '5', TMCP_LOG_BATCH__MAX_BYTES: '1024' },
    });
    assert.deepEqual(config, {
      server: { address: 'cp.example.com:8444', caPin: 'ab'.repeat(32) },
      dataDir: '/srv/agent',
      tshPath: 'tsh',
      teleportHomeRoot: '/srv/agent/teleport',
      clusters: [
        { name: 'prod', proxy: 'prod.example.com:443', identityFile: '/srv/agent/prod.id' },
      ],
      labels: { site: 'paris', 'team/owner': 'ops' },
      disconnectGraceSeconds: 300,
      heartbeatIntervalSeconds: 5,
      stopGraceSeconds: 5,
      leftoverPolicy: 'kill-expired',
      logLevel: 'warn',
      logBatch: { maxBytes: 1024, flushIntervalMs: 1000, bufferLines: 10_000 },
    });
  });

  it('ignores server variables but reports unknown ones', () => {
    const error = catchConfigError(() =>
      loadAgentConfig({
        env: {
          TMCP_DATABASE__URL: 'postgresql://db/x',
          TMCP_LEFTOVER: 'kill-all',
          TMCP_LEFTOVER_POLICY: 'kill-some',
        },
      }),
    );
    assert.deepEqual(
      error.issues.map((issue) => `${issue.path}: ${issue.message}`),
      [
        'server.address: is required',
        'leftover_policy (from env TMCP_LEFTOVER_POLICY): Invalid option: expected one of "kill-expired"|"kill-all"',
        'env TMCP_LEFTOVER: unknown key "leftover" (did you mean leftover_policy?)',
      ],
    );
  });

  it('reports every relative path the runner would refuse, together', () => {
    const file = writeConfig(`
server: { address: "cp.example.com:8444" }
data_dir: agent-data
tsh_path: ./bin/tsh
teleport_home_root: homes
clusters: [{ name: prod, proxy: "prod.example.com:443", identity_file: prod.id }]
`);
    const error = catchConfigError(() => loadAgentConfig({ file, env: {} }));
    assert.deepEqual(error.issues.map((issue) => issue.path).sort(), [
      'clusters[0].identity_file',
      'data_dir',
      'teleport_home_root',
      'tsh_path',
    ]);
    assert.match(
      error.message,
      /tsh_path: must be an absolute path .* or a bare name looked up on PATH/,
    );
  });

  it('rejects a CA pin that is not a sha256', () => {
    const error = catchConfigError(() =>
      loadAgentConfig({ env: { TMCP_SERVER__ADDRESS: 'cp:8444', TMCP_SERVER__CA_PIN: 'abc' } }),
    );
    assert.deepEqual(
      error.issues.map((issue) => issue.path),
      ['server.ca_pin (from env TMCP_SERVER__CA_PIN)'],
    );
  });
});

describe('loadCliConfig', () => {
  it('reads ~/.config/tmcp/tmcpctl.yaml when present, then TMCPCTL_* on top', () => {
    const home = mkdtempSync(path.join(dir, 'home-'));
    mkdirSync(path.join(home, '.config', 'tmcp'), { recursive: true });
    writeFileSync(
      path.join(home, '.config', 'tmcp', 'tmcpctl.yaml'),
      'server: "cp:8443"\nformat: json\n',
    );
    const config = loadCliConfig({
      env: { HOME: home, TMCPCTL_TOKEN: 'tmcp_k_123', TMCPCTL_CA: '/ca.pem' },
    });
    assert.deepEqual(config, {
      server: 'cp:8443',
      token: 'tmcp_k_123',
      ca: '/ca.pem',
      insecure: false,
      format: 'json',
    });
  });

  it('works without any file', () => {
    assert.deepEqual(loadCliConfig({ env: { HOME: path.join(dir, 'no-home') } }), {
      insecure: false,
      format: 'table',
    });
  });

  it('lets flags win and validates them', () => {
    const config = loadCliConfig({ env: { TMCPCTL_SERVER: 'a:1', TMCPCTL_FORMAT: 'yaml' } });
    assert.deepEqual(mergeCliFlags(config, { server: 'b:2', format: undefined, insecure: true }), {
      server: 'b:2',
      insecure: true,
      format: 'yaml',
    });
    const error = catchConfigError(() => mergeCliFlags(config, { format: 'xml' }));
    assert.deepEqual(
      error.issues.map((issue) => issue.path),
      ['format (from flag --format)'],
    );
  });

  it('reports unknown TMCPCTL_ variables', () => {
    const error = catchConfigError(() => loadCliConfig({ env: { TMCPCTL_SERVERS: 'a:1' } }));
    assert.equal(error.issues[0]?.path, 'env TMCPCTL_SERVERS');
  });
});
