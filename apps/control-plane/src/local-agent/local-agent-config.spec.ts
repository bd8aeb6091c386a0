import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseServerConfig, type ServerConfig } from '@tmcp/config';
import {
  buildLocalAgentConfig,
  clustersWithOtherTsh,
  DEFAULT_LOCAL_AGENT_DATA_DIR,
  localAgentDataDir,
  localAgentEnvironment,
  localAgentName,
  localAgentServerAddress,
  restartDelayMs,
} from './local-agent-config.js';

function serverConfig(file: Record<string, unknown>): ServerConfig {
  return parseServerConfig({ database: { url: 'postgresql://db/tmcp' }, ...file });
}

const TWO_CLUSTERS = {
  teleport: {
    default_cluster: 'prod',
    clusters: [
      {
        name: 'prod',
        proxy: 'prod.example.com:443',
        identity_file: '/etc/tmcp/prod.identity',
        tsh_path: '/opt/teleport/tsh',
        tctl_path: 'tctl',
        home: '/var/lib/tmcp/prod',
      },
      {
        name: 'lab',
        proxy: 'lab.example.com:3080',
        tsh_path: '/opt/teleport-lab/tsh',
        tctl_path: 'tctl',
        home: '/var/lib/tmcp/lab',
      },
    ],
  },
};

describe('local agent configuration', () => {
  it('mirrors the Teleport clusters with the first cluster tsh and a TELEPORT_HOME root in the data dir', () => {
    const config = serverConfig({ ...TWO_CLUSTERS, service: { log_level: 'debug' } });
    const agent = buildLocalAgentConfig(config, {
      serverAddress: '127.0.0.1:8444',
      dataDir: '/data/local-agent',
    });
    assert.deepEqual(agent, {
      server: { address: '127.0.0.1:8444' },
      data_dir: '/data/local-agent',
      tsh_path: '/opt/teleport/tsh',
      teleport_home_root: '/data/local-agent/teleport',
      clusters: [
        { name: 'prod', proxy: 'prod.example.com:443', identity_file: '/etc/tmcp/prod.identity' },
        { name: 'lab', proxy: 'lab.example.com:3080' },
      ],
      labels: { local: 'true' },
      log_level: 'debug',
    });
    assert.deepEqual(clustersWithOtherTsh(config), ['lab']);
  });

  it('runs plain tsh when no cluster is configured', () => {
    const config = serverConfig({});
    const agent = buildLocalAgentConfig(config, { serverAddress: 'cp:1', dataDir: '/d' });
    assert.equal(agent.tsh_path, 'tsh');
    assert.deepEqual(agent.clusters, []);
    assert.deepEqual(clustersWithOtherTsh(config), []);
  });

  it('defaults the data dir when local_agent.data_dir is not set', () => {
    assert.equal(
      localAgentDataDir(serverConfig({ local_agent: { enabled: true } })),
      DEFAULT_LOCAL_AGENT_DATA_DIR,
    );
    assert.equal(
      localAgentDataDir(serverConfig({ local_agent: { enabled: true, data_dir: '/srv/la' } })),
      '/srv/la',
    );
  });

  const addresses: [string, string][] = [
    ['0.0.0.0', '127.0.0.1:8444'],
    ['', '127.0.0.1:8444'],
    ['::', '[::1]:8444'],
    ['127.0.0.1', '127.0.0.1:8444'],
    ['cp.internal', 'cp.internal:8444'],
    ['fd00::5', '[fd00::5]:8444'],
  ];
  for (const [host, expected] of addresses) {
    it(`dials ${expected} when the agent port listens on "${host}"`, () => {
      assert.equal(localAgentServerAddress(host, 8444), expected);
    });
  }

  it('names the agent after the short host name', () => {
    assert.equal(localAgentName('cp-1.prod.example.com'), 'cp-1-local');
    assert.equal(localAgentName('__weird host'), 'weird-host-local');
    assert.equal(localAgentName(''), 'tmcp-local');
    assert.ok(localAgentName('x'.repeat(200)).length <= 63);
  });

  it('passes PATH, HOME, locale, proxies and TELEPORT_* but no TMCP_* secret', () => {
    const env = localAgentEnvironment({
      PATH: '/usr/bin',
      HOME: '/home/tmcp',
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      HTTPS_PROXY: 'http://proxy:3128',
      TELEPORT_SIM_STATE: '/tmp/state.json',
      TELEPORT_ADD_KEYS_TO_AGENT: 'no',
      TMCP_DATABASE__URL: 'postgresql://tmcp:secret@db/tmcp',
      TMCP_MCP__SESSION_KEY: 'k'.repeat(40),
      AWS_SECRET_ACCESS_KEY: 'secret',
      UNSET: undefined,
    });
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      HOME: '/home/tmcp',
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      HTTPS_PROXY: 'http://proxy:3128',
      TELEPORT_SIM_STATE: '/tmp/state.json',
      TELEPORT_ADD_KEYS_TO_AGENT: 'no',
    });
  });

  it('backs off 1 s, 2 s, 4 s … up to 30 s between restarts', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 50].map(restartDelayMs),
      [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000],
    );
  });
});
