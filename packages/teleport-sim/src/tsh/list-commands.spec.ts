// `tsh apps ls`, `tsh db ls`, `tsh kube ls` through the binary: text tables (80 columns, a
// blank line after), JSON arrays of the served resources (§2.13), label selectors and RBAC.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SimHarness } from '../testing/sim-harness.js';

describe('tsh apps|db|kube ls', () => {
  let h: SimHarness;
  before(() => {
    h = new SimHarness();
  });
  after(async () => {
    await h.cleanup();
  });

  const tsh = async (user: string, ...args: string[]): Promise<string> => {
    const r = await h.run('tsh', [...h.tshAs(user), ...args]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    return r.stdout;
  };

  it('prints the apps table, internal labels hidden and long cells cut', async () => {
    assert.equal(
      await tsh('alice', 'apps', 'ls'),
      [
        'Application  Description         Type Public Address      Labels   ',
        '------------ ------------------- ---- ------------------- -------- ',
        'everything   MCP everything s... MCP                      env=dev  ',
        'grafana      Grafana dashboar... HTTP grafana.teleport... env=dev  ',
        'payments-mcp Payments tools (... MCP                      env=prod ',
        'pg-tcp       PostgreSQL over ... TCP  pg-tcp.teleport.... env=dev  ',
        '',
        '',
      ].join('\n'),
    );
    const verbose = await tsh('alice', 'apps', 'ls', '-v');
    assert.match(verbose, /^Application +Description +Type +Public Address +URI +Labels +\n/);
    assert.match(
      verbose,
      /\npg-tcp +PostgreSQL over TCP app access +TCP +pg-tcp\.teleport\.example\.com +tcp:\/\//,
    );
    assert.match(verbose, /env=dev,teleport\.internal\/app-sub-kind=mcp/);
  });

  it('prints apps as a JSON array of AppV3, filtered by a label selector', async () => {
    const out = await tsh('alice', 'apps', 'ls', 'env=prod', '--format=json');
    assert.ok(out.startsWith('[\n  {\n    "kind": "app",\n'));
    assert.ok(out.endsWith('}\n]\n'));
    const apps = JSON.parse(out) as { metadata: Record<string, unknown> }[];
    assert.deepEqual(
      apps.map((a) => a.metadata.name),
      ['payments-mcp'],
    );
    assert.equal(apps[0]?.metadata.revision, undefined);
    const all = JSON.parse(await tsh('alice', 'app', 'ls', '--format=json')) as {
      metadata: { name: string };
      spec: { tcp_ports?: { port: number }[] };
    }[];
    assert.deepEqual(
      all.map((a) => a.metadata.name),
      ['everything', 'grafana', 'payments-mcp', 'pg-tcp'],
    );
    assert.ok((all.find((a) => a.metadata.name === 'pg-tcp')?.spec.tcp_ports ?? []).length > 0);
  });

  it('prints the databases table with the allowed users, and DatabaseV3 JSON', async () => {
    assert.equal(
      await tsh('alice', 'db', 'ls'),
      [
        'Name      Description         Allowed Users    Labels                   Connect ',
        '--------- ------------------- ---------------- ------------------------ ------- ',
        'orders-db Orders database ... [alice postgres] engine=postgres,env=p...         ',
        'pg        Local PostgreSQL    [alice postgres] engine=postgres,env=d...         ',
        '',
        '',
      ].join('\n'),
    );
    const dbs = JSON.parse(await tsh('alice', 'db', 'ls', '--search=local', '--format=json')) as {
      kind: string;
      metadata: { name: string };
      spec: { protocol: string };
    }[];
    assert.deepEqual(
      dbs.map((d) => [d.kind, d.metadata.name, d.spec.protocol]),
      [['db', 'pg', 'postgres']],
    );
    assert.match(
      await tsh('alice', 'db', 'ls', '--verbose'),
      /\npg +Local PostgreSQL +postgres +self-hosted +/,
    );
  });

  it('prints Kubernetes clusters as a table and as kube_cluster_name/labels/selected JSON', async () => {
    assert.equal(
      await tsh('alice', 'kube', 'ls'),
      [
        'Kube Cluster Name Labels  Selected ',
        '----------------- ------- -------- ',
        'dev-cluster       env=dev          ',
        '',
        '',
      ].join('\n'),
    );
    assert.equal(
      await tsh('alice', '--kube-cluster=dev-cluster', 'kube', 'ls', '--format=json'),
      '[\n  {\n    "kube_cluster_name": "dev-cluster",\n    "labels": {\n      "env": "dev"\n    },\n    "selected": true\n  }\n]\n',
    );
  });

  it('lists only what the roles reach', async () => {
    // carol (auditor, requester) holds no app, database or Kubernetes labels.
    for (const kind of ['apps', 'db', 'kube']) {
      assert.equal(await tsh('carol', kind, 'ls', '--format=json'), '[]\n', kind);
    }
  });
});
