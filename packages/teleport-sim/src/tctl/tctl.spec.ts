// tctl as a real process: state mutations, resource JSON shape, RBAC and credential errors,
// concurrency of writers, fault knobs.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { seedState } from '../index.js';
import { collect, RED_ERROR, SimHarness } from '../testing/sim-harness.js';

describe('tctl', () => {
  let h: SimHarness;
  before(() => {
    h = new SimHarness();
  });
  after(async () => {
    await h.cleanup();
  });

  it('prints nodes as a 4-space JSON array with the proto field order and the tunnel node', async () => {
    const r = await h.run('tctl', ['get', 'nodes', '--format=json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('[\n    {\n        "kind": "node",\n'));
    assert.ok(r.stdout.endsWith('}\n]\n'));
    const nodes = JSON.parse(r.stdout) as {
      metadata: Record<string, unknown>;
      spec: Record<string, unknown>;
    }[];
    assert.ok(nodes.length >= 3);
    const first = nodes[0];
    assert.deepEqual(Object.keys(first?.metadata ?? {}), ['name', 'labels', 'expires', 'revision']);
    assert.deepEqual(Object.keys(first?.spec ?? {}), [
      'addr',
      'hostname',
      'cmd_labels',
      'rotation',
      'version',
    ]);
    const tunnel = nodes.find((n) => n.spec.use_tunnel === true);
    assert.deepEqual(Object.keys(tunnel?.spec ?? {}), [
      'addr',
      'hostname',
      'rotation',
      'use_tunnel',
      'version',
    ]);
    assert.ok(new Set(nodes.map((n) => n.spec.version)).size > 1, 'mixed versions');
  });

  it('accepts kind aliases and selects one resource; unknown kinds and names fail as tctl does', async () => {
    const cap = await h.run('tctl', ['get', 'cap', '--format', 'json']);
    assert.equal(
      (JSON.parse(cap.stdout) as { kind: string }[])[0]?.kind,
      'cluster_auth_preference',
    );
    const host = await h.run('tctl', ['get', 'cas/host/teleport.example.com', '--format=json']);
    const cas = JSON.parse(host.stdout) as { spec: { rotation?: { state: string } } }[];
    assert.equal(cas.length, 1);
    assert.equal(cas[0]?.spec.rotation?.state, 'in_progress');
    const unknown = await h.run('tctl', ['get', 'foo']);
    assert.equal(unknown.code, 1);
    assert.equal(
      unknown.stderr,
      `${RED_ERROR}unsupported resource: "foo" - resources should be expressed as 'type/name', for example 'connector/github'\n`,
    );
    const missing = await h.run('tctl', ['get', 'node/nope']);
    assert.equal(missing.stderr, `${RED_ERROR}node with ID "nope" not found\n`);
  });

  it('gets app_servers, db_servers and locks in the proto field order', async () => {
    const apps = JSON.parse((await h.run('tctl', ['get', 'apps', '--format=json'])).stdout) as {
      metadata: { name: string };
    }[];
    const appServers = await h.run('tctl', ['get', 'app_servers', '--format=json']);
    assert.equal(appServers.code, 0, appServers.stderr);
    assert.ok(appServers.stdout.startsWith('[\n    {\n        "kind": "app_server",\n'));
    const servers = JSON.parse(appServers.stdout) as {
      version: string;
      metadata: Record<string, unknown>;
      spec: Record<string, unknown> & { app: { kind: string; metadata: Record<string, unknown> } };
    }[];
    assert.deepEqual(
      servers.map((s) => s.metadata.name),
      apps.map((a) => a.metadata.name),
    );
    const first = servers[0];
    assert.equal(first?.version, 'v3');
    assert.deepEqual(Object.keys(first?.metadata ?? {}), ['name', 'expires', 'revision']);
    assert.deepEqual(Object.keys(first?.spec ?? {}), [
      'version',
      'hostname',
      'host_id',
      'rotation',
      'app',
      'proxy_ids',
    ]);
    assert.equal(first?.spec.app.kind, 'app');
    assert.equal(first?.spec.app.metadata.revision, undefined);

    const dbServers = JSON.parse(
      (await h.run('tctl', ['get', 'db_servers', '--format=json'])).stdout,
    ) as {
      kind: string;
      spec: Record<string, unknown> & { database: { metadata: { name: string } } };
    }[];
    assert.deepEqual(
      dbServers.map((s) => [s.kind, s.spec.database.metadata.name]),
      [
        ['db_server', 'pg'],
        ['db_server', 'orders-db'],
      ],
    );
    assert.deepEqual(Object.keys(dbServers[0]?.spec ?? {}), [
      'version',
      'hostname',
      'host_id',
      'rotation',
      'database',
      'proxy_ids',
    ]);
    const one = await h.run('tctl', ['get', 'db_server/pg', '--format=text']);
    assert.match(one.stdout, /^Host +Name +Protocol +URI +Labels +Version +\n/);
    assert.match(one.stdout, /\nip-10-0-0-5 +pg +postgres +/);

    const locks = JSON.parse((await h.run('tctl', ['get', 'locks', '--format=json'])).stdout) as {
      kind: string;
      version: string;
      metadata: { name: string };
      spec: Record<string, unknown>;
    }[];
    assert.equal(locks.length, 1);
    assert.equal(locks[0]?.kind, 'lock');
    assert.equal(locks[0]?.version, 'v2');
    assert.deepEqual(Object.keys(locks[0]?.spec ?? {}), [
      'target',
      'message',
      'created_at',
      'created_by',
    ]);
    const text = await h.run('tctl', ['get', 'locks', '--format=text']);
    assert.match(text.stdout, /^ID +Target +Message +Expires +\n/);
    assert.match(
      text.stdout,
      / user:mallory +Repeated failed logins; locked pending review +never +\n$/,
    );

    // Locks can be created and removed; servers are the agents' heartbeats, not writable.
    const file = join(h.dir, 'lock.yaml');
    writeFileSync(
      file,
      'kind: lock\nversion: v2\nmetadata:\n  name: lock-bob\nspec:\n  target:\n    user: bob\n  message: off-boarding\n',
    );
    assert.equal(
      (await h.run('tctl', ['create', file])).stdout,
      'lock "lock-bob" has been created\n',
    );
    const created = JSON.parse(
      (await h.run('tctl', ['get', 'lock/lock-bob', '--format=json'])).stdout,
    ) as { spec: { created_by?: string } }[];
    assert.equal(typeof created[0]?.spec.created_by, 'string');
    assert.equal(
      (await h.run('tctl', ['rm', 'lock/lock-bob'])).stdout,
      'lock "lock-bob" has been deleted\n',
    );
    const rmServer = await h.run('tctl', ['rm', 'app_server/grafana']);
    assert.equal(rmServer.code, 1);
    assert.equal(
      rmServer.stderr,
      `${RED_ERROR}deleting resources of type "app_server" is not supported\n`,
    );
  });

  it('creates, refuses a duplicate without -f, overwrites with -f and removes', async () => {
    const file = join(h.dir, 'app.yaml');
    writeFileSync(
      file,
      'kind: app\nversion: v3\nmetadata:\n  name: fs\n  labels: {env: dev}\nspec:\n  uri: mcp+stdio://\n  mcp:\n    command: node\n    args: [x.js]\n    run_as_host_user: mcp\n',
    );
    assert.equal(
      (await h.run('tctl', ['create', file])).stdout,
      'application "fs" has been created\n',
    );
    const dup = await h.run('tctl', ['create', file]);
    assert.equal(dup.code, 1);
    assert.equal(dup.stderr, `${RED_ERROR}application "fs" already exists\n`);
    assert.equal(
      (await h.run('tctl', ['create', '-f', file])).stdout,
      'application "fs" has been updated\n',
    );
    const got = JSON.parse(
      (await h.run('tctl', ['get', 'app/fs', '--format=json'])).stdout,
    ) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(got[0] ?? {}), [
      'kind',
      'sub_kind',
      'version',
      'metadata',
      'spec',
    ]);
    assert.equal(got[0]?.sub_kind, 'mcp');
    assert.equal(
      (await h.run('tctl', ['rm', 'app/fs'])).stdout,
      'application "fs" has been deleted\n',
    );
    const gone = await h.run('tctl', ['rm', 'app/fs']);
    assert.equal(gone.stderr, `${RED_ERROR}application "fs" is not found\n`);
  });

  it('keeps every update when 20 tctl create run at once', async () => {
    const runs = Array.from({ length: 20 }, (_, i) => {
      const file = join(h.dir, `role-${i}.yaml`);
      writeFileSync(
        file,
        `kind: role\nversion: v7\nmetadata:\n  name: parallel-${i}\nspec:\n  allow:\n    logins: [u${i}]\n`,
      );
      return h.run('tctl', ['create', file]);
    });
    const results = await Promise.all(runs);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const roles = JSON.parse((await h.run('tctl', ['get', 'roles', '--format=json'])).stdout) as {
      metadata: { name: string };
    }[];
    const names = new Set(roles.map((r) => r.metadata.name));
    for (let i = 0; i < 20; i++) assert.ok(names.has(`parallel-${i}`), `parallel-${i} lost`);
  });

  it('signs an identity that tctl -i uses, and checks the identity user roles', async () => {
    const id = join(h.dir, 'carol.id');
    const signed = await h.run('tctl', [
      'auth',
      'sign',
      '--user=carol',
      '--format=file',
      `--out=${id}`,
      '--ttl',
      '1h',
    ]);
    assert.equal(signed.stdout, `\nThe credentials have been written to ${id}\n`);
    const noAuth = await h.run('tctl', ['-i', id, 'get', 'roles']);
    assert.equal(noAuth.stderr, `${RED_ERROR}tctl --identity also requires --auth-server\n`);
    const denied = await h.run('tctl', [
      '-i',
      id,
      '--auth-server',
      'teleport.example.com:443',
      'get',
      'roles',
    ]);
    assert.equal(denied.code, 1);
    assert.equal(denied.stderr, `${RED_ERROR}access denied to perform action "list" on "role"\n`);
    const admin = join(h.dir, 'admin.id');
    await h.run('tctl', ['auth', 'sign', '--user', 'admin', '--out', admin]);
    const allowed = await h.run('tctl', [
      '-i',
      admin,
      '--auth-server=teleport.example.com:443',
      'get',
      'roles',
      '--format=json',
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
  });

  it('fails with the expired-credentials error when the identity has expired', async () => {
    const r = await h.run('tctl', [
      '-i',
      h.identity('admin', -60),
      '--auth-server=x:443',
      'get',
      'nodes',
    ]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `${RED_ERROR}your credentials have expired, please login using \`tsh login\`\n`,
    );
  });

  it('updates user traits and lists users', async () => {
    const r = await h.run('tctl', ['users', 'update', 'bob', '--set-mcp-tools=echo,get-*']);
    assert.equal(r.stdout, 'User bob has been updated:\n\tNew mcp_tools: echo,get-*\n');
    const users = JSON.parse(
      (await h.run('tctl', ['get', 'user/bob', '--format=json'])).stdout,
    ) as { spec: { traits: Record<string, string[]> } }[];
    assert.deepEqual(users[0]?.spec.traits.mcp_tools, ['echo', 'get-*']);
    const add = await h.run('tctl', ['users', 'add', 'dave', '--roles=access']);
    assert.match(add.stdout, /^User "dave" has been created but requires a password/);
    assert.match((await h.run('tctl', ['users', 'ls'])).stdout, /^dave +access +$/m);
    assert.equal(
      (await h.run('tctl', ['users', 'rm', 'dave'])).stdout,
      'User "dave" has been deleted\n',
    );
  });

  it('forces a chosen failure, hangs on demand and plants a secret', async () => {
    const unreachable = await h.run('tctl', ['--auth-server=auth:3025', 'get', 'nodes'], {
      env: { TELEPORT_SIM_FAIL: 'tctl get nodes=unreachable' },
    });
    assert.equal(
      unreachable.stderr,
      'ERROR: Cannot connect to the auth server. Is the auth server running on "auth:3025"?\n',
    );
    const other = await h.run('tctl', ['get', 'roles', '--format=json'], {
      env: { TELEPORT_SIM_FAIL: 'tctl get nodes=unreachable' },
    });
    assert.equal(other.code, 0);
    const custom = await h.run('tctl', ['status'], {
      env: { TELEPORT_SIM_FAIL: 'tctl status=boom happened' },
    });
    assert.equal(custom.stderr, `${RED_ERROR}boom happened\n`);
    const hang = h.spawn('tctl', ['get', 'users'], { TELEPORT_SIM_HANG: 'tctl get' });
    hang.stdin.end();
    const hung = collect(hang);
    // The very same command without the knob starts, prints its users and ends...
    const same = await h.run('tctl', ['get', 'users']);
    assert.equal(same.code, 0);
    assert.match(same.stdout, /kind: user/);
    // ...and a bounded wait later the hung one is still there, having printed nothing.
    const stillRunning = await Promise.race([hung.then(() => false), delay(1000).then(() => true)]);
    assert.equal(stillRunning, true, 'TELEPORT_SIM_HANG let the command finish');
    // It ends only on the signal, as a cancelled tctl does: exit 0, no output.
    hang.kill('SIGTERM');
    const ended = await hung;
    assert.equal(ended.code, 0);
    assert.equal(ended.stdout, '');
    const planted = await h.run('tctl', ['get', 'nodes', '--format=json'], {
      env: { TELEPORT_SIM_SECRET_PLANT: 'sk-PLANTED-123' },
    });
    assert.match(planted.stdout, /sk-PLANTED-123/);
    assert.match(planted.stderr, /sk-PLANTED-123/);
  });

  it('prints tctl status byte for byte as status_command.go does (§2.9)', async () => {
    // A cluster seeded at a fixed instant, so the rotation column is fixed too.
    const statePath = join(h.dir, 'status-golden.json');
    seedState(statePath, { now: new Date('2025-06-01T10:00:00Z') });
    const r = await h.run('tctl', ['status'], { env: { TELEPORT_SIM_STATE: statePath } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    // "Cluster: " cells padded by tabwriter: two spaces before each value, every line (the
    // CA pins one included, §0.2) ending in its pad space; no blank line after the key table.
    const golden = [
      'Cluster:  teleport.example.com                                                    ',
      'Version:  18.2.0                                                                  ',
      'CA pins:  sha256:1f2e3d4c5b6a79880706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d2c1b0a ',
      '',
      'authority rotation                                                                                   protocol status  algorithm   storage  ',
      '--------- ------------------------------------------------------------------------------------------ -------- ------- ----------- -------- ',
      'host      rotating clients (mode: manual, started: Jun  1 08:00:00 UTC, ending: Jun  2 14:00:00 UTC) SSH      active  Ed25519     software ',
      '                                                                                                     SSH      trusted Ed25519     software ',
      '                                                                                                     TLS      active  ECDSA P-256 software ',
      '                                                                                                     TLS      trusted ECDSA P-256 software ',
      'user      rotated Apr 23 10:00:00 UTC                                                                SSH      active  Ed25519     software ',
      '                                                                                                     TLS      active  ECDSA P-256 software ',
      'db        never updated                                                                              TLS      active  RSA 2048    software ',
      'db_client never updated                                                                              TLS      active  RSA 2048    software ',
      'openssh   never updated                                                                              SSH      active  Ed25519     software ',
      'jwt       never updated                                                                              JWT      active  ECDSA P-256 software ',
      '',
    ].join('\n');
    assert.equal(r.stdout, golden);
  });

  it('errors clearly without TELEPORT_SIM_STATE', async () => {
    const r = await h.run('tctl', ['get', 'nodes'], { env: { TELEPORT_SIM_STATE: '' } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /TELEPORT_SIM_STATE is not set/);
  });
});
