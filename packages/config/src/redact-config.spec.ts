import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCliConfig, parseServerConfig } from './config-loader.js';
import { formatConfig, redactConfig } from './redact-config.js';

// Distinctive secrets: none of these may appear in printed output.
const SECRETS = {
  dbPassword: 'Db-Pa55word-x91',
  redisPassword: 'Redis-Pa55-z77',
  ingestToken: 'ingest-token-4f0b1c9e8d7a',
  metricsToken: 'metrics-token-7c6b5a4d3e2f',
  cliToken: 'tmcp_cli_token_0a9b8c7d',
  queryPassword: 'Query-Pa55-q12',
  sessionKey: 'mcp-session-key-6f1e2d3c4b5a69788796a5b4c3d2e1f0',
};

const server = parseServerConfig({
  database: {
    url: `postgresql+psycopg://mcp:${SECRETS.dbPassword}@db.internal:5432/tmcp?sslmode=require&password=${SECRETS.queryPassword}`,
  },
  redis: { url: `rediss://default:${SECRETS.redisPassword}@cache.internal:6380/2` },
  audit: { ingest_token: SECRETS.ingestToken },
  metrics: { bearer_token: SECRETS.metricsToken },
  mcp: { session_key: SECRETS.sessionKey },
  service: { public_url: 'https://tmcp.example.com' },
  teleport: { proxy: 'teleport.example.com:443', identity_file: '/var/lib/tmcp/identity' },
});
const cli = parseCliConfig({ server: 'cp.example.com:8443', token: SECRETS.cliToken });

describe('redactConfig', () => {
  it('masks URL passwords but keeps user, host and database', () => {
    const redacted = redactConfig(server) as typeof server;
    assert.equal(
      redacted.database.url,
      'postgresql://mcp:***@db.internal:5432/tmcp?sslmode=require&password=***',
    );
    assert.equal(redacted.redis.url, 'rediss://default:***@cache.internal:6380/2');
  });

  it('replaces tokens entirely', () => {
    assert.equal((redactConfig(server) as typeof server).audit.ingestToken, '***');
    assert.equal((redactConfig(server) as typeof server).mcp.sessionKey, '***');
    assert.equal((redactConfig(server) as typeof server).metrics.bearerToken, '***');
    assert.equal((redactConfig(cli) as typeof cli).token, '***');
  });

  it('leaves every non-secret value untouched and the input unchanged', () => {
    const before = structuredClone(server);
    const redacted = redactConfig(server) as typeof server;
    assert.deepEqual(server, before);
    assert.deepEqual(redacted.teleport, server.teleport);
    assert.deepEqual(redacted.policy, server.policy);
    assert.equal(redacted.service.publicUrl, 'https://tmcp.example.com');
    assert.equal(redacted.redis.keyPrefix, 'tmcp');
    assert.deepEqual((redactConfig(cli) as typeof cli).server, 'cp.example.com:8443');
  });

  it('keeps a secret URL without a password as it is', () => {
    const local = parseServerConfig({ database: { url: 'postgres://db/tmcp' } });
    const redacted = redactConfig(local) as typeof local;
    assert.equal(redacted.redis.url, 'redis://127.0.0.1:6379');
    assert.equal(redacted.database.url, 'postgresql://db/tmcp');
  });

  it('masks credentials the schema does not know about (defence in depth)', () => {
    const redacted = redactConfig({
      extra: { apiKey: 'k1', clientSecret: 's1', webhook: 'https://u:pw@hook.example.com/x' },
    });
    assert.deepEqual(redacted, {
      extra: { apiKey: '***', clientSecret: '***', webhook: 'https://u:***@hook.example.com/x' },
    });
  });
});

describe('formatConfig', () => {
  it('prints no secret from a corpus of configs', () => {
    const corpus = [server, cli, { database: { url: `postgresql://x:${SECRETS.dbPassword}@h/d` } }];
    for (const config of corpus) {
      const text = formatConfig(config);
      for (const [name, value] of Object.entries(SECRETS)) {
        assert.ok(!text.includes(value), `${name} leaked in:\n${text}`);
      }
    }
    assert.match(formatConfig(server), /url: postgresql:\/\/mcp:\*\*\*@db\.internal:5432\/tmcp/);
    assert.match(formatConfig(server), /identityFile: \/var\/lib\/tmcp\/identity/);
  });
});
