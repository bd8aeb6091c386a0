import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { teleportClientEnvAllowList } from './teleport-client-env.js';

describe('teleportClientEnvAllowList', () => {
  it('passes proxies, the CA bundle, TZ and TELEPORT_* (not TELEPORT_HOME) that are set', () => {
    const names = teleportClientEnvAllowList({
      HTTPS_PROXY: 'http://proxy:3128',
      SSL_CERT_FILE: '/etc/ssl/ca.pem',
      TZ: 'UTC',
      TELEPORT_ADD_KEYS_TO_AGENT: 'no',
      TELEPORT_HOME: '/root/.tsh',
      TMCP_DATABASE__URL: 'postgres://u:secret@db/tmcp',
      AWS_SECRET_ACCESS_KEY: 'x',
      HTTP_PROXY: undefined,
    });
    assert.deepEqual(names, ['HTTPS_PROXY', 'SSL_CERT_FILE', 'TZ', 'TELEPORT_ADD_KEYS_TO_AGENT']);
  });
});
