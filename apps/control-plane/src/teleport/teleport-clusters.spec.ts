import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { TeleportClusters } from './teleport-clusters.js';

const cluster = (name: string): Record<string, unknown> => ({
  name,
  proxy: `${name}.example.com:443`,
  identity_file: `/var/lib/tmcp/${name}.id`,
  tctl_path: '/usr/bin/true',
  tsh_path: '/usr/bin/true',
  home: `/tmp/tmcp-test-home-${name}`,
});

function clusters(teleport: Record<string, unknown>): TeleportClusters {
  return new TeleportClusters(
    parseServerConfig({
      database: { url: 'postgres://x@127.0.0.1/db' },
      teleport,
      policy: { command_timeout_ms: 1234 },
    }),
  );
}

describe('TeleportClusters', () => {
  it('lists the clusters and uses the configured default', () => {
    const sut = clusters({ clusters: [cluster('prod'), cluster('dev')], default_cluster: 'dev' });
    assert.deepEqual(sut.clusterNames(), ['prod', 'dev']);
    assert.equal(sut.resolveName(), 'dev');
    assert.equal(sut.resolveName('prod'), 'prod');
  });

  it('builds one runner per cluster, with that cluster in its argv', () => {
    const sut = clusters({ clusters: [cluster('prod'), cluster('dev')] });
    const prod = sut.runner('prod');
    assert.equal(sut.runner('prod'), prod);
    assert.notEqual(sut.runner('dev'), prod);
    assert.ok(prod.tctl.getAll('nodes').includes('--auth-server=prod.example.com:443'));
    assert.equal(sut.runner(), prod, 'first cluster is the default');
  });

  it('names the configured clusters when asked for an unknown one', () => {
    const sut = clusters({ clusters: [cluster('prod'), cluster('dev')] });
    assert.throws(
      () => sut.runner('staging'),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'bad_parameter' &&
        e.message.includes('unknown cluster "staging"; configured: prod, dev'),
    );
  });

  it('says so when no cluster is configured', () => {
    assert.throws(
      () => clusters({}).runner(),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'precondition_failed' &&
        e.message.includes('no Teleport cluster configured'),
    );
  });
});
