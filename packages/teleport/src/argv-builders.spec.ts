import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import { TctlArgvBuilder, type TctlListKind } from './tctl-argv-builder.js';
import { TshArgvBuilder } from './tsh-argv-builder.js';
import {
  validateAccessRequestId as rid,
  validateClusterName,
  validateDbName,
  validateDbUser,
  validateKubeClusterName,
  validateLabelSelector,
  validateMcpDbUri,
  validateMcpToolPattern as tool,
  validateNodeHost,
  validatePort,
  validateReason,
  validateRequestResourceId,
  validateResourceName as name,
  validateSshLogin,
  validateUsername,
} from './validators.js';

const withIdentity = {
  proxy: 'https://teleport.example.com:443',
  identityFile: '/var/lib/tmcp/identity',
  home: '/var/lib/tmcp/home/root',
};
const profileOnly = { proxy: 'teleport.example.com:443', home: '/var/lib/tmcp/home/root' };
const TSH_G = ['--proxy=teleport.example.com:443', '--identity=/var/lib/tmcp/identity'];
const TCTL_G = ['--identity=/var/lib/tmcp/identity', '--auth-server=teleport.example.com:443'];

describe('TctlArgvBuilder', () => {
  const tctl = new TctlArgvBuilder(withIdentity);

  const kinds: TctlListKind[] = [
    'nodes',
    'proxies',
    'roles',
    'users',
    'tokens',
    'cert_authorities',
    'cluster_auth_preference',
    'apps',
    'db',
  ];
  for (const kind of kinds) {
    it(`get ${kind}`, () => {
      assert.deepEqual(tctl.getAll(kind), [...TCTL_G, 'get', kind, '--format=json']);
    });
  }

  const table: [string, string[], string[]][] = [
    [
      'get one role',
      tctl.getOne('role', name('mcp-dev')),
      ['get', 'role/mcp-dev', '--format=json'],
    ],
    [
      'get one CA',
      tctl.getCertAuthority('host', validateClusterName('teleport.example.com')),
      ['get', 'cert_authority/host/teleport.example.com', '--format=json'],
    ],
    ['status', tctl.status(), ['status']],
    ['version', tctl.version(), ['version']],
    ['create', tctl.create('/tmp/x/resource.yaml'), ['create', '/tmp/x/resource.yaml']],
    ['create -f', tctl.create('/tmp/x/r.yaml', { force: true }), ['create', '-f', '/tmp/x/r.yaml']],
    ['rm app', tctl.rm('app', name('everything')), ['rm', 'app/everything']],
    [
      'set mcp tools',
      tctl.setUserMcpTools(validateUsername('alice'), [tool('read_*'), tool('^search_[a-z]+$')]),
      ['users', 'update', 'alice', '--set-mcp-tools=read_*,^search_[a-z]+$'],
    ],
    ['tokens ls', tctl.listTokens(), ['tokens', 'ls', '--format=json']],
  ];
  for (const [label, argv, expected] of table) {
    it(label, () => assert.deepEqual(argv, [...TCTL_G, ...expected]));
  }

  it('uses an explicit auth server, and no globals with a tsh profile only', () => {
    const explicit = new TctlArgvBuilder({ ...withIdentity, authServer: 'auth.internal:3025' });
    assert.deepEqual(explicit.status(), [
      '--identity=/var/lib/tmcp/identity',
      '--auth-server=auth.internal:3025',
      'status',
    ]);
    assert.deepEqual(new TctlArgvBuilder(profileOnly).status(), ['status']);
    assert.deepEqual(new TctlArgvBuilder(profileOnly).globalFlags(), []);
    assert.deepEqual(tctl.globalFlags(), tctl.status().slice(0, -1));
  });

  it('refuses kinds outside the allow-list even when the type system is bypassed', () => {
    assert.throws(() => tctl.getAll('secrets' as TctlListKind), AppError);
    assert.throws(() => tctl.rm('cluster_auth_preference' as 'app', name('x')), AppError);
    assert.throws(() => tctl.create('relative.yaml'), AppError);
  });

  it('refuses a cluster connection that is not an address', () => {
    assert.throws(() => new TctlArgvBuilder({ ...withIdentity, proxy: '--insecure' }), AppError);
    assert.throws(() => new TctlArgvBuilder({ ...withIdentity, home: 'relative' }), AppError);
  });
});

describe('TshArgvBuilder', () => {
  const tsh = new TshArgvBuilder(withIdentity);
  const reason = validateReason('investigate INC-42');

  const table: [string, string[], string[]][] = [
    ['request ls', tsh.requestList(), ['request', 'ls', '--format=json']],
    [
      'request ls reviewable',
      tsh.requestList({ reviewable: true }),
      ['request', 'ls', '--format=json', '--reviewable'],
    ],
    [
      'request show',
      tsh.requestShow(rid('0193a2f1')),
      ['request', 'show', '0193a2f1', '--format=json'],
    ],
    [
      'request create roles',
      tsh.requestCreate({ roles: [name('db-admin'), name('auditor')], reason }),
      ['request', 'create', '--roles=db-admin,auditor', '--reason=investigate INC-42', '--nowait'],
    ],
    [
      'request create resources + reviewers',
      tsh.requestCreate({
        resources: [validateRequestResourceId('/teleport.example.com/node/5b6f')],
        reason,
        reviewers: [validateUsername('bob'), validateUsername('carol')],
      }),
      [
        'request',
        'create',
        '--resource=/teleport.example.com/node/5b6f',
        '--reason=investigate INC-42',
        '--reviewers=bob,carol',
        '--nowait',
      ],
    ],
    [
      'request review approve',
      tsh.requestReview(rid('0193a2f1'), { decision: 'approve', reason: validateReason('ok') }),
      ['request', 'review', '0193a2f1', '--approve', '--reason=ok'],
    ],
    [
      'request review deny',
      tsh.requestReview(rid('0193a2f1'), { decision: 'deny' }),
      ['request', 'review', '0193a2f1', '--deny'],
    ],
    ['request drop', tsh.requestDrop([rid('a1'), rid('b2')]), ['request', 'drop', 'a1', 'b2']],
    ['mcp ls', tsh.mcpList(), ['mcp', 'ls', '--format=json']],
    [
      'mcp ls labels',
      tsh.mcpList({ labels: validateLabelSelector('env=dev') }),
      ['mcp', 'ls', 'env=dev', '--format=json'],
    ],
    [
      'mcp config name',
      tsh.mcpConfig({ name: name('everything') }),
      ['mcp', 'config', 'everything'],
    ],
    ['mcp config all', tsh.mcpConfig({ all: true }), ['mcp', 'config', '--all']],
    [
      'mcp config labels + format',
      tsh.mcpConfig({ labels: validateLabelSelector('env=dev') }, { format: 'vscode' }),
      ['mcp', 'config', '--labels=env=dev', '--format=vscode'],
    ],
    [
      'mcp db config',
      tsh.mcpDbConfig({
        db: name('pg'),
        dbUser: validateDbUser('alice'),
        dbName: validateDbName('postgres'),
      }),
      ['mcp', 'db', 'config', 'pg', '--db-user=alice', '--db-name=postgres'],
    ],
    ['mcp connect', tsh.mcpConnect(name('everything')), ['mcp', 'connect', 'everything']],
    [
      'mcp db start',
      tsh.mcpDbStart([
        validateMcpDbUri('teleport://clusters/root/databases/pg?dbName=postgres&dbUser=alice'),
      ]),
      ['mcp', 'db', 'start', 'teleport://clusters/root/databases/pg?dbName=postgres&dbUser=alice'],
    ],
    [
      'proxy db tunnel',
      tsh.proxyDb({
        db: name('pg'),
        tunnel: true,
        port: validatePort(15432),
        dbUser: validateDbUser('alice'),
        dbName: validateDbName('postgres'),
      }),
      ['proxy', 'db', 'pg', '--tunnel', '--port=15432', '--db-user=alice', '--db-name=postgres'],
    ],
    [
      'proxy db roles',
      tsh.proxyDb({ db: name('pg'), dbRoles: [name('reader'), name('writer')] }),
      ['proxy', 'db', 'pg', '--db-roles=reader,writer'],
    ],
    ['proxy app', tsh.proxyApp({ app: name('grafana') }), ['proxy', 'app', 'grafana']],
    [
      'proxy app, multi-port target on a random local port',
      tsh.proxyApp({ app: name('pg-tcp'), targetPort: validatePort(5432) }),
      ['proxy', 'app', 'pg-tcp', '--port=0:5432'],
    ],
    [
      'proxy app, multi-port target on a chosen local port',
      tsh.proxyApp({
        app: name('pg-tcp'),
        port: validatePort(15432),
        targetPort: validatePort(5432),
      }),
      ['proxy', 'app', 'pg-tcp', '--port=15432:5432'],
    ],
    [
      'proxy kube',
      tsh.proxyKube({
        clusters: [validateKubeClusterName('dev-cluster')],
        port: validatePort(8888),
      }),
      ['proxy', 'kube', 'dev-cluster', '--port=8888'],
    ],
    [
      'proxy mcp',
      tsh.proxyMcp({ app: name('everything'), port: validatePort(8888) }),
      ['proxy', 'mcp', 'everything', '--port=8888'],
    ],
    [
      'proxy ssh',
      tsh.proxySsh({
        host: validateNodeHost('ip-10-0-0-5'),
        login: validateSshLogin('ubuntu'),
        cluster: validateClusterName('leaf.example.com'),
      }),
      ['proxy', 'ssh', '--cluster=leaf.example.com', 'ubuntu@ip-10-0-0-5:3022'],
    ],
    ['vnet', tsh.vnet(), ['vnet']],
    ['version', tsh.version(), ['version', '--format=json']],
    ['version --client', tsh.version({ client: true }), ['version', '--format=json', '--client']],
    ['status', tsh.status(), ['status', '--format=json']],
  ];
  for (const [label, argv, expected] of table) {
    it(label, () => assert.deepEqual(argv, [...TSH_G, ...expected]));
  }

  it('without an identity file only --proxy is global', () => {
    assert.deepEqual(new TshArgvBuilder(profileOnly).status(), [
      '--proxy=teleport.example.com:443',
      'status',
      '--format=json',
    ]);
  });

  it('refuses requests that would act on everything', () => {
    assert.throws(() => tsh.requestCreate({ reason }), AppError);
    assert.throws(() => tsh.requestDrop([]), AppError);
    assert.throws(() => tsh.mcpDbStart([]), AppError);
  });
});

describe('globalFlags', () => {
  it('are the identity and proxy flags every tsh subcommand starts with, as a copy', () => {
    const tsh = new TshArgvBuilder(withIdentity);
    const flags = tsh.globalFlags();
    assert.deepEqual(flags, tsh.vnet().slice(0, -1));
    assert.ok(flags.some((f) => f.startsWith('--proxy=')));
    flags.push('--insecure');
    assert.deepEqual(tsh.globalFlags(), tsh.vnet().slice(0, -1));
  });
});
