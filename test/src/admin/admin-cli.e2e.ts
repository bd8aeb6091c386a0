// tmcpctl against a running control plane: every command in table and JSON form, paging,
// follow modes that show real changes and end on Ctrl-C, a real edge agent that enrolls with a
// tmcpctl join token and is drained, authorization (readonly principals cannot write, revoked
// keys are refused at once), and usage errors (exit 2) that change nothing.
//
// Leases come from rows seeded in the server's database (the admin API reads, stops and extends
// them through LeaseService like any other), plus one lease of the real agent, which the
// agent's own heartbeat then fails — a change the watch must show.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  followCtl,
  startAdminHarness,
  type AdminHarness,
  type Outcome,
  type RunningAgent,
} from './admin-e2e-harness.js';

function ok(out: Outcome): Outcome {
  assert.equal(out.code, 0, `exit ${out.code}: ${out.stderr}`);
  return out;
}

function json<T>(out: Outcome): T {
  return JSON.parse(ok(out).stdout) as T;
}

function assertFits80(out: Outcome): void {
  ok(out);
  for (const line of out.stdout.split('\n'))
    assert.ok(line.length <= 80, `wider than 80 columns: ${line}`);
}

/** An agent row that never connects: the seeded leases run "on" it. */
const FAKE_AGENT = '00000000-0000-4000-8000-00000000fa4e';

interface SeededLease {
  id: string;
  actor: string;
  status: string;
}

interface LeaseJson {
  lease_id: string;
  actor: string;
  status: string;
  generation: number;
  expires_at: string;
  agent_id: string;
}

describe('tmcpctl against a running control plane', () => {
  let h: AdminHarness;
  let files: string;
  let agent: RunningAgent | undefined;
  /** By name: alice-db, alice-app (active), bob-db (stopped), bob-kube (failed), carol-db (active). */
  const leases = new Map<string, SeededLease>();
  const lease = (name: string): string => leases.get(name)?.id ?? assert.fail(`no lease ${name}`);

  before(async () => {
    h = await startAdminHarness();
    files = mkdtempSync(path.join(tmpdir(), 'tmcpctl-e2e-'));
    await h.sql(
      `INSERT INTO edge_agents (agent_id, name, hostname, status) VALUES ($1, 'fake-agent', 'fake-host', 'offline')`,
      [FAKE_AGENT],
    );
    const seed: [string, string, string, string, Record<string, string>][] = [
      ['alice-db', 'alice', 'proxy_db', 'active', { db: 'orders' }],
      ['alice-app', 'alice', 'proxy_app', 'active', { app: 'grafana' }],
      ['bob-db', 'bob', 'proxy_db', 'stopped', { db: 'orders' }],
      ['bob-kube', 'bob', 'proxy_kube', 'failed', { kube_cluster: 'prod' }],
      ['carol-db', 'carol', 'proxy_db', 'active', { db: 'billing' }],
    ];
    for (const [i, [name, actor, kind, status, target]] of seed.entries()) {
      const [row] = await h.sql<{ lease_id: string }>(
        `INSERT INTO leases (kind, actor, cluster, target, edge_agent_id, created_at, expires_at,
           ended_at, status, generation)
         VALUES ($1, $2, '', $3, $4, now() - make_interval(mins => $5), now() + interval '1 hour',
           CASE WHEN $6 IN ('stopped', 'failed') THEN now() - interval '1 minute' END, $6, 1)
         RETURNING lease_id`,
        [kind, actor, JSON.stringify(target), FAKE_AGENT, 10 - i, status],
      );
      leases.set(name, { id: row?.lease_id ?? '', actor, status });
    }
    await h.sql(
      `INSERT INTO lease_logs (lease_id, seq, ts, stream, line)
       SELECT $1, g, now(), 'stdout', 'line ' || g FROM generate_series(1, 5) g`,
      [lease('alice-db')],
    );
  });
  after(async () => {
    await agent?.stop();
    await h?.stop();
    if (files !== undefined) rmSync(files, { recursive: true, force: true });
  });

  it('status: table and JSON, with the agents online and the active leases', async () => {
    const [table, status, unverified] = await Promise.all([
      h.ctl(['status'], { tls: 'insecure' }),
      h.ctl(['--format', 'json', 'status']),
      h.ctl(['status'], { tls: 'system' }),
    ]);
    // The admin port is TLS with the control plane's own CA: without --ca nothing is trusted.
    assert.equal(unverified.code, 1);
    assert.equal(unverified.stdout, '');
    assertFits80(table);
    assert.match(table.stdout, /^Postgres\s+ok$/m);
    assert.match(table.stdout, /^Redis\s+ok$/m);
    assert.match(table.stdout, /^Migrations\s+ok$/m);
    assert.match(table.stdout, /^Agents online\s+0$/m);
    assert.match(table.stdout, /^Active leases\s+3$/m);
    assert.match(table.stderr, /warning: --insecure/);
    assert.doesNotMatch(status.stderr, /warning/);
    const s = json<{ postgres: { ok: boolean }; server_version: string; active_leases: number }>(
      status,
    );
    assert.equal(s.postgres.ok, true);
    assert.equal(s.active_leases, 3);
    assert.match(s.server_version, /^\d+\.\d+\.\d+/);
  });

  it('principals: create, list in pages, table, JSON and YAML, revoke', async () => {
    const created = json<{
      principal: { principal_id: string; name: string; role: string };
      api_key: string;
    }>(
      await h.ctl([
        '--format',
        'json',
        '--reason',
        'e2e',
        'principals',
        'create',
        '--name',
        'page-0',
        '--role',
        'readonly',
        '--kind',
        'user',
      ]),
    );
    assert.equal(created.principal.role, 'readonly');
    assert.match(created.api_key, /^tmcp_/);
    const [table] = await Promise.all([
      h.ctl(['--reason', 'e2e', 'principals', 'create', '--name', 'page-1', '--expires', '30d']),
      h.ctl(['--reason', 'e2e', 'principals', 'create', '--name', 'page-2']),
    ]);
    ok(table);
    assert.match(
      table.stdout,
      /API key \(shown only now; store it safely\):\ntmcp_[0-9A-Za-z]{43}\n/,
    );
    assert.match(table.stdout, /^Expires\s+in 30d \(\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z\)$/m);

    // Page through 2 at a time: every principal exactly once, in name order.
    const names: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = json<{ principals: { name: string }[]; next_page_token: string }>(
        await h.ctl([
          '--format',
          'json',
          'principals',
          'ls',
          '--page-size',
          '2',
          ...(token === '' ? [] : ['--page-token', token]),
        ]),
      );
      assert.ok(page.principals.length <= 2);
      names.push(...page.principals.map((p) => p.name));
      token = page.next_page_token;
      pages++;
    } while (token !== '');
    assert.deepEqual(names, ['e2e-admin', 'page-0', 'page-1', 'page-2']);
    assert.equal(pages, 2);

    const [listing, yaml] = await Promise.all([
      h.ctl(['principals', 'ls']),
      h.ctl(['--format', 'yaml', 'principals', 'ls']),
    ]);
    assertFits80(listing);
    assert.match(listing.stdout, /^ID\s+NAME\s+ROLE\s+STATE\s+LAST USED$/m);
    assert.match(
      listing.stdout,
      new RegExp(`^${created.principal.principal_id}\\s+page-0\\s+readonly\\s+active`, 'm'),
    );
    assert.match(yaml.stdout, /^principals:\n/);

    const revoked = ok(
      await h.ctl(['--reason', 'e2e', 'principals', 'revoke', created.principal.principal_id]),
    );
    assert.match(revoked.stdout, /^revoked principal "page-0"/);
    assert.match(
      (await h.ctl(['principals', 'ls', '--all'])).stdout,
      /page-0\s+readonly\s+revoked/,
    );
  });

  it('a revoked principal is refused at once', async () => {
    const p = await h.createPrincipal('soon-revoked', 'operator');
    ok(await h.ctl(['status'], { token: p.api_key }));
    ok(await h.ctl(['--reason', 'leaving', 'principals', 'revoke', p.principal_id]));
    const refused = await h.ctl(['status'], { token: p.api_key });
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^error: this API key has been revoked; ask an admin for a new one$/m,
    );
  });

  it('a client certificate (--cert/--key or TMCPCTL_CERT/KEY) authenticates as the principal its CN names', async () => {
    const p = await h.createPrincipal('cert-viewer', 'readonly');
    const mine = h.clientCertificate('cert-viewer');
    const noToken = { token: undefined };
    const [byFlags, byEnv, write] = await Promise.all([
      h.ctl(['--cert', mine.cert, '--key', mine.key, '--format', 'json', 'status'], noToken),
      h.ctl(['status'], { ...noToken, env: { TMCPCTL_CERT: mine.cert, TMCPCTL_KEY: mine.key } }),
      h.ctl(
        ['--cert', mine.cert, '--key', mine.key, '--reason', 'try', 'tokens', 'create'],
        noToken,
      ),
    ]);
    assert.equal(json<{ postgres: { ok: boolean } }>(byFlags).postgres.ok, true);
    assert.match(ok(byEnv).stdout, /^Postgres\s+ok$/m);
    // The principal's role applies: readonly cannot write.
    assert.equal(write.code, 1);
    assert.match(write.stderr, /^error: Denied: none of your roles \(readonly\) allows/m);
    const ops = json<{ operations: { tool: string; status: string }[] }>(
      await h.ctl(['--format', 'json', 'ops', 'ls', '--actor', 'cert-viewer']),
    ).operations.map((o) => `${o.tool} ${o.status}`);
    assert.ok(ops.includes('admin.GetStatus OPERATION_STATUS_SUCCEEDED'), ops.join());
    assert.ok(ops.includes('admin.CreateJoinToken OPERATION_STATUS_DENIED'), ops.join());

    // Refusals: a CN that names no principal, another CA, half an identity, a revoked principal.
    const stranger = h.clientCertificate('nobody-here');
    // An API key, when also given, is what counts (here the admin's, with a refused certificate).
    ok(await h.ctl(['--cert', stranger.cert, '--key', stranger.key, 'status']));
    const foreign = h.clientCertificate('cert-viewer', { foreign: true });
    const [unknown, otherCa, halfIdentity] = await Promise.all([
      h.ctl(['--cert', stranger.cert, '--key', stranger.key, 'status'], noToken),
      h.ctl(['--cert', foreign.cert, '--key', foreign.key, 'status'], noToken),
      h.ctl(['--cert', mine.cert, 'status'], noToken),
    ]);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /^error: the client certificate names "nobody-here", which is no active principal/m,
    );
    assert.equal(otherCa.code, 1);
    // TLS does not verify it against grpc.tls.ca_file, so the call is as if it had none.
    assert.match(otherCa.stderr, /^error: no API key or client certificate: pass --token/m);
    assert.equal(halfIdentity.code, 1);
    assert.match(halfIdentity.stderr, /key.*a client certificate needs both/);
    ok(await h.ctl(['--reason', 'e2e', 'principals', 'revoke', p.principal_id]));
    const revoked = await h.ctl(['--cert', mine.cert, '--key', mine.key, 'status'], noToken);
    assert.equal(revoked.code, 1);
    assert.match(revoked.stderr, /names "cert-viewer", which is no active principal/);
  });

  it('a readonly principal reads but cannot write, and the refusal is recorded', async () => {
    const ro = await h.createPrincipal('ro-viewer', 'readonly');
    ok(await h.ctl(['leases', 'ls'], { token: ro.api_key }));
    const attempts = [
      ['--reason', 'try', 'principals', 'create', '--name', 'sneaky'],
      ['--reason', 'try', 'leases', 'stop', lease('alice-app')],
    ];
    const outcomes = await Promise.all(attempts.map((args) => h.ctl(args, { token: ro.api_key })));
    for (const [i, denied] of outcomes.entries()) {
      assert.equal(denied.code, 1, attempts[i]?.join(' '));
      assert.match(
        denied.stderr,
        /^error: Denied: none of your roles \(readonly\) allows admin\.\w+\.write/m,
      );
    }
    const [principals, stillActive, ops] = await Promise.all([
      h.ctl(['principals', 'ls']),
      h.ctl(['--format', 'json', 'leases', 'show', lease('alice-app')]),
      h.ctl(['--format', 'json', 'ops', 'ls', '--actor', 'ro-viewer', '--status', 'denied']),
    ]);
    assert.doesNotMatch(principals.stdout, /sneaky/);
    assert.equal(json<{ lease: LeaseJson }>(stillActive).lease.status, 'LEASE_STATUS_ACTIVE');
    const tools = json<{ operations: { tool: string; status: string }[] }>(ops).operations.map(
      (o) => `${o.tool} ${o.status}`,
    );
    assert.ok(tools.includes('admin.CreatePrincipal OPERATION_STATUS_DENIED'), tools.join());
    assert.ok(tools.includes('admin.StopLease OPERATION_STATUS_DENIED'), tools.join());
  });

  it('a change without --reason is refused with the flag to use', async () => {
    const out = await h.ctl(['principals', 'create', '--name', 'no-reason']);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /needs a reason.*\(tmcpctl: --reason "…"\)/);
  });

  it('roles: apply a YAML file, list, show, remove; bad YAML changes nothing', async () => {
    const good = path.join(files, 'dba.yaml');
    writeFileSync(
      good,
      'name: dba\ndescription: database operators\nallow: ["proxy.*", "inventory.databases"]\nconstraints:\n  maxTtlSeconds: 1800\n  allowedLeaseKinds: [proxy_db]\n',
    );
    assert.equal(
      ok(await h.ctl(['--reason', 'e2e', 'roles', 'apply', '-f', good])).stdout,
      'role "dba" created\n',
    );
    const syntax = path.join(files, 'broken.yaml');
    writeFileSync(syntax, 'name: broken\nallow: [proxy.*\n');
    const invalid = path.join(files, 'invalid.yaml');
    writeFileSync(
      invalid,
      'name: broken\nallow: ["nothing.matches"]\nconstraints:\n  maxTtlSeconds: -5\n',
    );
    const [again, listing, paged, shown, shownJson, badSyntax, badRole] = await Promise.all([
      h.ctl(['--reason', 'e2e', 'roles', 'apply', '-f', good]),
      h.ctl(['roles', 'ls']),
      h.ctl(['--format', 'json', 'roles', 'ls', '--page-size', '4']),
      h.ctl(['roles', 'show', 'dba']),
      h.ctl(['--format', 'json', 'roles', 'show', 'dba']),
      h.ctl(['--reason', 'e2e', 'roles', 'apply', '-f', syntax]),
      h.ctl(['--reason', 'e2e', 'roles', 'apply', '-f', invalid]),
    ]);
    assert.equal(ok(again).stdout, 'role "dba" updated\n');
    assertFits80(listing);
    assert.match(listing.stdout, /^admin\s+built-in/m);
    assert.match(listing.stdout, /^dba\s+custom\s+proxy\.\*,inventory/m);

    const first = json<{ roles: { name: string }[]; next_page_token: string }>(paged);
    assert.deepEqual(
      first.roles.map((r) => r.name),
      ['admin', 'operator', 'user', 'readonly'],
    );
    const rest = json<{ roles: { name: string }[]; next_page_token: string }>(
      await h.ctl([
        '--format',
        'json',
        'roles',
        'ls',
        '--page-size',
        '4',
        '--page-token',
        first.next_page_token,
      ]),
    );
    assert.deepEqual(
      rest.roles.map((r) => r.name),
      ['dba'],
    );
    assert.equal(rest.next_page_token, '');

    assert.match(ok(shown).stdout, /^Type\s+custom$/m);
    assert.match(shown.stdout, /maxTtlSeconds: 1800/);
    assert.equal(
      json<{ role: { constraints: { maxTtlSeconds: number } } }>(shownJson).role.constraints
        .maxTtlSeconds,
      1800,
    );

    assert.equal(badSyntax.code, 1);
    assert.match(badSyntax.stderr, /^error: .*broken\.yaml: not valid YAML: /m);
    assert.equal(badRole.code, 1);
    assert.match(
      badRole.stderr,
      /^error: .*invalid\.yaml: invalid role "broken": .*"nothing\.matches" matches no known capability.*constraints\.maxTtlSeconds/m,
    );
    // One line, and no --insecure warning: the file was refused before any connection.
    assert.equal(badRole.stderr.trim().split('\n').length, 1, badRole.stderr);

    const [missing, builtin] = await Promise.all([
      h.ctl(['roles', 'show', 'broken']),
      h.ctl(['--reason', 'e2e', 'roles', 'rm', 'admin']),
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /role "broken" not found/);
    assert.equal(builtin.code, 1);
    assert.match(builtin.stderr, /built in and cannot be deleted/);
    assert.equal(
      ok(await h.ctl(['--reason', 'e2e', 'roles', 'rm', 'dba'])).stdout,
      'role "dba" deleted\n',
    );
  });

  it('ops: every admin call is recorded; list with filters and pages, show', async () => {
    const first = json<{
      operations: { op_id: string; tool: string; actor: string }[];
      next_page_token: string;
    }>(
      await h.ctl([
        '--format',
        'json',
        'ops',
        'ls',
        '--capability',
        'admin.roles.write',
        '--page-size',
        '2',
      ]),
    );
    assert.equal(first.operations.length, 2);
    assert.ok(
      first.operations.every((o) => o.tool.endsWith('Role') && o.actor === 'e2e-admin'),
      JSON.stringify(first.operations),
    );
    const opId = first.operations[0]?.op_id ?? '';
    const [second, table, shown, shownJson] = await Promise.all([
      h.ctl([
        '--format',
        'json',
        'ops',
        'ls',
        '--capability',
        'admin.roles.write',
        '--page-size',
        '2',
        '--page-token',
        first.next_page_token,
      ]),
      h.ctl(['ops', 'ls', '--since', '1h', '--actor', 'e2e-admin']),
      h.ctl(['ops', 'show', opId]),
      h.ctl(['--format', 'json', 'ops', 'show', opId]),
    ]);
    const more = json<{ operations: { op_id: string }[] }>(second).operations;
    assert.equal(more.length, 2);
    const ids = new Set([...first.operations, ...more].map((o) => o.op_id));
    assert.equal(ids.size, 4, 'pages do not overlap');

    assertFits80(table);
    assert.match(table.stdout, /^ID\s+STARTED\s+ACTOR\s+TOOL\s+STATUS$/m);
    assert.match(table.stdout, /\s(admin\.)?GetStatus\s+succeeded$/m);

    assert.match(ok(shown).stdout, /^Capability\s+admin\.roles\.write$/m);
    assert.match(shown.stdout, /^Decision\s+role admin allow \*$/m);
    assert.match(shown.stdout, /^Started\s+(\d+[sm] ago|now) \(\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z\)$/m);
    assert.equal(json<{ operation: { op_id: string } }>(shownJson).operation.op_id, opId);
  });

  it('ls shows the newest 50 by default, with the next page token; --all-pages reads them all', async () => {
    await h.sql(
      `INSERT INTO operations (actor, capability, tool, status, inputs, started_at)
       SELECT 'bulk-bot', 'inventory.read', 'list_apps', 'succeeded', '{}', now() - make_interval(secs => g)
         FROM generate_series(1, 60) g`,
    );
    const [table, jsonOut, all, conflicting] = await Promise.all([
      h.ctl(['ops', 'ls', '--actor', 'bulk-bot']),
      h.ctl(['--format', 'json', 'ops', 'ls', '--actor', 'bulk-bot']),
      h.ctl(['--format', 'json', 'ops', 'ls', '--actor', 'bulk-bot', '--all-pages']),
      h.ctl(['ops', 'ls', '--all-pages', '--page-size', '5']),
    ]);
    const rows = ok(table)
      .stdout.split('\n')
      .filter((l) => /\sbulk-bot\s/.test(l));
    assert.equal(rows.length, 50);
    const hint = /^more: --page-token (\S+) \(or --all-pages\)$/m.exec(table.stderr);
    assert.ok(hint?.[1] !== undefined, table.stderr);
    const page = json<{ operations: { op_id: string }[]; next_page_token: string }>(jsonOut);
    assert.equal(page.operations.length, 50);
    assert.equal(page.next_page_token, hint[1]);
    assert.equal(jsonOut.stderr, '', 'JSON output carries the token, not a stderr hint');
    const rest = json<{ operations: { op_id: string }[]; next_page_token: string }>(
      await h.ctl([
        '--format',
        'json',
        'ops',
        'ls',
        '--actor',
        'bulk-bot',
        '--page-token',
        hint[1],
      ]),
    );
    assert.equal(rest.operations.length, 10);
    assert.equal(rest.next_page_token, '');
    const everything = json<{ operations: { op_id: string }[]; next_page_token: string }>(all);
    assert.equal(everything.operations.length, 60);
    assert.equal(everything.next_page_token, '');
    assert.equal(
      new Set([...page.operations, ...rest.operations].map((o) => o.op_id)).size,
      60,
      'the two pages are the whole listing',
    );
    assert.equal(conflicting.code, 2);
    assert.match(conflicting.stderr, /--all-pages.*cannot be used with.*--page-size/);
  });

  it('policy check: the decision and the rule, for an actor or a role', async () => {
    // ro-viewer: the readonly principal of the authorization test above.
    const [denied, allowed, noReason] = await Promise.all([
      h.ctl([
        'policy',
        'check',
        '--actor',
        'ro-viewer',
        '--capability',
        'admin.roles.write',
        '--reason',
        'x',
      ]),
      h.ctl([
        '--format',
        'json',
        'policy',
        'check',
        '--role',
        'operator',
        '--capability',
        'proxy.start',
        '--reason',
        'x',
      ]),
      h.ctl([
        '--format',
        'json',
        'policy',
        'check',
        '--role',
        'operator',
        '--capability',
        'proxy.start',
      ]),
    ]);
    assert.match(ok(denied).stdout, /^Decision\s+DENY$/m);
    assert.match(denied.stdout, /^Rule\s+default deny$/m);
    const a = json<{ allow: boolean; rule: string }>(allowed);
    assert.deepEqual([a.allow, a.rule], [true, 'role operator allow *']);
    const n = json<{ allow: boolean; rule: string }>(noReason);
    assert.deepEqual([n.allow, n.rule], [false, 'requirement: reason']);
  });

  it('policy check --kind/--target: a real {db: …} target meets the role target constraint', async () => {
    const role = path.join(files, 'pg-only.yaml');
    writeFileSync(
      role,
      'name: pg-only\nallow: ["proxy.start"]\nconstraints:\n  allowedTargets: ["pg-*"]\n  maxTtlSeconds: 600\n',
    );
    ok(await h.ctl(['--reason', 'e2e', 'roles', 'apply', '-f', role]));
    const check = (...extra: string[]) =>
      h.ctl([
        '--format',
        'json',
        '--reason',
        'x',
        'policy',
        'check',
        '--role',
        'pg-only',
        '--capability',
        'proxy.start',
        '--kind',
        'proxy_db',
        ...extra,
      ]);
    const [byName, byFields, refused, tooLong, badTtl, noKind] = await Promise.all([
      check('--target', 'pg-main'),
      check('--target', 'db=pg-main,db_user=alice', '--ttl', '600'),
      check('--target', 'db=orders'),
      check('--target', 'pg-main', '--ttl', '3600'),
      check('--target', 'pg-main', '--ttl', 'soon'),
      h.ctl([
        'policy',
        'check',
        '--role',
        'pg-only',
        '--capability',
        'proxy.start',
        '--target',
        'x',
      ]),
    ]);
    const decision = (out: Outcome) => json<{ allow: boolean; rule: string; reason: string }>(out);
    assert.deepEqual(
      [decision(byName).allow, decision(byFields).allow],
      [true, true],
      `${byName.stdout} ${byFields.stdout}`,
    );
    assert.deepEqual(
      [decision(refused).allow, decision(refused).rule],
      [false, 'constraint: target'],
    );
    assert.match(decision(refused).reason, /target orders .*not allowed.*pg-\*/);
    assert.equal(decision(tooLong).rule, 'constraint: ttl');
    assert.equal(badTtl.code, 2, badTtl.stderr);
    assert.match(badTtl.stderr, /--ttl must be a positive whole number/);
    assert.equal(noKind.code, 2, noKind.stderr);
    assert.match(noKind.stderr, /--target needs --kind/);
  });

  it('audit ingest-status: the stored and recently received events from Postgres, table and JSON', async () => {
    // Within the retention (so the sweep leaves them): received 3 days, 2 hours and 10 minutes ago.
    await h.sql(
      `INSERT INTO teleport_events (uid, event, code, time, "user", success, cluster, raw, ingested_at) VALUES
        ('e2e-1', 'user.login', 'T1000I', now() - interval '3 days', 'alice', true, 'c', '{}', now() - interval '3 days'),
        ('e2e-2', 'user.login', 'T1000W', now() - interval '2 hours', 'bob', false, 'c', '{}', now() - interval '2 hours'),
        ('e2e-3', 'session.start', 'T2000I', now() - interval '10 minutes', 'bob', true, 'c', '{}', now() - interval '10 minutes')`,
    );
    const [table, jsonOut, statusOut] = await Promise.all([
      h.ctl(['audit', 'ingest-status']),
      h.ctl(['--format', 'json', 'audit', 'ingest-status']),
      h.ctl(['--format', 'json', 'status']),
    ]);
    assertFits80(table);
    assert.match(table.stdout, /^Enabled\s+no \(set audit\.ingest_token\)$/m);
    assert.match(table.stdout, /^Events stored\s+3$/m);
    assert.match(table.stdout, /^Oldest event\s+3d ago \(/m);
    assert.match(table.stdout, /^Last received\s+10m ago \(/m);
    assert.match(table.stdout, /^Stored, 1h\s+1$/m);
    assert.match(table.stdout, /^Stored, 24h\s+2$/m);
    assert.match(table.stdout, /^Top types, 24h\s+session\.start 1, user\.login 1$/m);
    assert.match(
      table.stdout,
      /^Replica counts\s+received 0, dup 0, rejected 0, unauth 0, failed 0$/m,
    );
    const s = json<{
      enabled: boolean;
      events_stored: string;
      stored_last_hour: string;
      stored_last_day: string;
      last_received_at: string;
      top_event_types_last_day: { event: string; count: string }[];
      this_replica: { replica: string; duplicates: string };
    }>(jsonOut);
    assert.deepEqual(
      [s.enabled, s.events_stored, s.stored_last_hour, s.stored_last_day],
      [false, '3', '1', '2'],
    );
    assert.deepEqual(s.top_event_types_last_day, [
      { event: 'session.start', count: '1' },
      { event: 'user.login', count: '1' },
    ]);
    const [newest] = await h.sql<{ at: Date }>(
      'SELECT max(ingested_at) AS at FROM teleport_events',
    );
    assert.equal(Date.parse(s.last_received_at), newest?.at.getTime());
    // The replica is named as the agents' connected_replica names it.
    assert.equal(s.this_replica.replica, json<{ replica: string }>(statusOut).replica);
    assert.match(s.this_replica.replica, /-\d+-[0-9a-f]{6}$/);
  });

  it('leases ls: table, filters, pages; show: table and JSON', async () => {
    const [table, filtered, failed, page1, shown, shownJson] = await Promise.all([
      h.ctl(['leases', 'ls']),
      h.ctl(['--format', 'json', 'leases', 'ls', '--active', '--actor', 'alice']),
      h.ctl(['--format', 'json', 'leases', 'ls', '--status', 'failed', '--agent', FAKE_AGENT]),
      h.ctl(['--format', 'json', 'leases', 'ls', '--page-size', '3']),
      h.ctl(['leases', 'show', lease('carol-db')]),
      h.ctl(['--format', 'json', 'leases', 'show', lease('bob-db')]),
    ]);
    assertFits80(table);
    assert.match(table.stdout, /^ID\s+KIND\s+TARGET\s+ACTOR\s+STATUS\s+EXPIRES$/m);
    assert.match(
      table.stdout,
      new RegExp(`^${lease('bob-kube')}\\s+kube\\s+prod\\s+bob\\s+failed\\s+in `, 'm'),
    );
    // Newest first.
    assert.deepEqual(
      json<{ leases: LeaseJson[] }>(filtered).leases.map((l) => l.lease_id),
      [lease('alice-app'), lease('alice-db')],
    );
    assert.deepEqual(
      json<{ leases: LeaseJson[] }>(failed).leases.map((l) => l.lease_id),
      [lease('bob-kube')],
    );
    const first = json<{ leases: LeaseJson[]; next_page_token: string }>(page1);
    const rest = json<{ leases: LeaseJson[]; next_page_token: string }>(
      await h.ctl([
        '--format',
        'json',
        'leases',
        'ls',
        '--page-size',
        '3',
        '--page-token',
        first.next_page_token,
      ]),
    );
    assert.equal(rest.next_page_token, '');
    assert.deepEqual(
      [...first.leases, ...rest.leases].map((l) => l.lease_id),
      ['carol-db', 'bob-kube', 'bob-db', 'alice-app', 'alice-db'].map(lease),
    );

    assert.match(ok(shown).stdout, new RegExp(`^ID\\s+${lease('carol-db')}$`, 'm'));
    assert.match(shown.stdout, /^Target\s+\{"db":"billing"\}$/m);
    assert.match(shown.stdout, /^Status\s+active$/m);
    const bob = json<{ lease: LeaseJson }>(shownJson).lease;
    assert.deepEqual(
      [bob.actor, bob.status, bob.agent_id],
      ['bob', 'LEASE_STATUS_STOPPED', FAKE_AGENT],
    );
    const missing = await h.ctl(['leases', 'show', '00000000-0000-4000-8000-000000000000']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: lease 0{8}-.* does not exist/m);
  });

  it('leases extend and logs: table and JSON', async () => {
    const [extended, extendedJson, logs, logsJson] = await Promise.all([
      h.ctl(['--reason', 'e2e', 'leases', 'extend', lease('alice-app'), '--ttl', '30m']),
      h.ctl([
        '--format',
        'json',
        '--reason',
        'e2e',
        'leases',
        'extend',
        lease('carol-db'),
        '--ttl',
        '45m',
      ]),
      h.ctl(['leases', 'logs', lease('alice-db'), '--tail', '2']),
      h.ctl(['--format', 'json', 'leases', 'logs', lease('alice-db'), '--tail', '3']),
    ]);
    assert.match(
      ok(extended).stdout,
      new RegExp(`^lease ${lease('alice-app')} now expires in 30m \\(`, 'm'),
    );
    const carol = json<{ lease: LeaseJson }>(extendedJson).lease;
    assert.equal(carol.generation, 2);
    const left = Date.parse(carol.expires_at) - Date.now();
    assert.ok(left > 40 * 60_000 && left <= 45 * 60_000, carol.expires_at);

    assert.match(ok(logs).stdout, /^\d{2}:\d{2}:\d{2}\.\d{3}Z out line 4\n.*out line 5\n$/);
    // JSON: one object per batch, on its own line.
    const batches = ok(logsJson)
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { lines: { seq: string; line: string }[] });
    assert.deepEqual(
      batches.flatMap((b) => b.lines.map((l) => `${l.seq}:${l.line}`)),
      ['3:line 3', '4:line 4', '5:line 5'],
    );

    const tooLong = await h.ctl([
      '--reason',
      'e2e',
      'leases',
      'extend',
      lease('alice-db'),
      '--ttl',
      '5h',
    ]);
    assert.equal(tooLong.code, 1);
    assert.match(
      tooLong.stderr,
      /ttl_seconds: must be a whole number of seconds between 1 and 3600/,
    );
  });

  it('leases logs -f prints lines as they are stored and ends on Ctrl-C with exit 0', async () => {
    const child = h.spawnCtl(['leases', 'logs', lease('alice-db'), '-f', '--tail', '1']);
    const tail = followCtl(child);
    await tail.until(/out line 5\n/);
    await h.sql(
      `INSERT INTO lease_logs (lease_id, seq, ts, stream, line) VALUES
        ($1, 6, now(), 'stderr', 'warning: slow upstream'), ($1, 7, now(), 'stdout', 'line 7')`,
      [lease('alice-db')],
    );
    const seen = await tail.until(/out line 7\n/);
    assert.match(seen, /out line 5\n.*err warning: slow upstream\n.*out line 7\n$/);
    assert.doesNotMatch(seen, /line 4/);
    // The interrupt ends the follow without an error.
    child.kill('SIGINT');
    const out = await tail.done;
    assert.equal(out.code, 0, out.stderr);
    assert.doesNotMatch(out.stderr, /error/);
  });

  it('agents and tokens: a real agent enrolls with a tmcpctl token, shows online, is drained', async () => {
    const [createdJson, createdTable] = await Promise.all([
      h.ctl([
        '--format',
        'json',
        '--reason',
        'e2e',
        'tokens',
        'create',
        '--ttl',
        '10m',
        '--labels',
        'env=e2e,site=lab',
      ]),
      h.ctl(['--reason', 'e2e', 'tokens', 'create']),
    ]);
    const created = json<{
      join_token: { token_id: string; labels: Record<string, string> };
      token: string;
    }>(createdJson);
    assert.deepEqual(created.join_token.labels, { env: 'e2e', site: 'lab' });
    assert.match(created.token, /^tmcp_jt_/);
    const spare = /^([0-9a-f-]{36})\s+unused\s+in 15m/m.exec(ok(createdTable).stdout)?.[1];
    assert.ok(spare !== undefined, createdTable.stdout);
    assert.match(
      createdTable.stdout,
      /Join token \(shown only now; give it to the agent\):\ntmcp_jt_/,
    );

    const [tokensTable, removed] = await Promise.all([
      h.ctl(['tokens', 'ls']),
      h.ctl(['--reason', 'e2e', 'tokens', 'rm', spare]),
    ]);
    assertFits80(tokensTable);
    assert.match(tokensTable.stdout, /^ID\s+STATE\s+EXPIRES\s+LABELS$/m);
    assert.match(
      tokensTable.stdout,
      new RegExp(`^${created.join_token.token_id}\\s+unused\\s+in 10m\\s+env=e2e,site=lab$`, 'm'),
    );
    assert.equal(ok(removed).stdout, `join token ${spare} revoked\n`);

    agent = await h.startAgent(created.token);
    const agentId = agent.agentId;
    const [agentsTable, online, shown, tokens] = await Promise.all([
      h.ctl(['agents', 'ls']),
      h.ctl(['--format', 'json', 'agents', 'ls', '--online']),
      h.ctl(['agents', 'show', agentId]),
      h.ctl(['--format', 'json', 'tokens', 'ls', '--all']),
    ]);
    assertFits80(agentsTable);
    assert.match(agentsTable.stdout, /^ID\s+HOSTNAME\s+STATUS\s+VERSION\s+HEARTBEAT$/m);
    assert.match(agentsTable.stdout, new RegExp(`^${agentId}\\s+\\S+\\s+online\\s+\\d`, 'm'));
    assert.match(
      agentsTable.stdout,
      new RegExp(`^${FAKE_AGENT}\\s+fake-host\\s+offline\\s+-`, 'm'),
    );
    const onlineAgents = json<{ agents: { agent_id: string; labels: Record<string, string> }[] }>(
      online,
    ).agents;
    assert.deepEqual(
      onlineAgents.map((a) => [a.agent_id, a.labels.env]),
      [[agentId, 'e2e']],
    );
    assert.match(ok(shown).stdout, /^Status\s+online$/m);
    assert.match(shown.stdout, /^Draining\s+no$/m);
    assert.match(shown.stdout, /^Cert expires\s+in \d+h/m);
    const states = json<{
      join_tokens: { token_id: string; revoked: boolean; used_by_agent_id: string }[];
    }>(tokens).join_tokens.map((t) => [t.token_id, t.revoked, t.used_by_agent_id]);
    assert.deepEqual(
      states.sort(),
      [
        [created.join_token.token_id, false, agentId],
        [spare, true, ''],
      ].sort(),
    );

    const drained = await h.ctl(['--reason', 'maintenance', 'agents', 'drain', agentId]);
    assert.equal(ok(drained).stdout, `agent ${agentId} is draining\n`);
    // The agent itself was told, with the reason.
    const told = await agent.untilLog(/^draining: no new leases will be accepted$/);
    assert.equal(told.reason, 'maintenance');
    const [after, status] = await Promise.all([
      h.ctl(['--format', 'json', 'agents', 'show', agentId]),
      h.ctl(['--format', 'json', 'status']),
    ]);
    const a = json<{ agent: { status: string; draining: boolean } }>(after).agent;
    assert.deepEqual([a.status, a.draining], ['AGENT_STATUS_ONLINE', true]);
    const st = json<{ agents_online: number; replica: string }>(status);
    assert.equal(st.agents_online, 1);
    // GetStatus names the replica as Agent.connected_replica does.
    assert.equal(
      json<{ agent: { connected_replica: string } }>(after).agent.connected_replica,
      st.replica,
    );
  });

  it('agents revoke: the running agent stream is closed and it cannot reconnect', async () => {
    const token = json<{ token: string }>(
      await h.ctl(['--format', 'json', '--reason', 'e2e', 'tokens', 'create']),
    ).token;
    const doomed = await h.startAgent(token);
    try {
      const revoked = await h.ctl(['--reason', 'host lost', 'agents', 'revoke', doomed.agentId]);
      assert.match(
        ok(revoked).stdout,
        new RegExp(`^agent ${doomed.agentId} is revoked and its stream closed\n`),
      );
      assert.match(revoked.stdout, /^Revoked\s+(now|\d+s ago) \(/m);
      // The open stream ends with the reason...
      const ended = await doomed.untilLog(
        /^stream to the control plane ended$/,
        (e) => typeof e.err === 'string' && e.err.includes('revoked by e2e-admin (host lost)'),
      );
      assert.equal(ended.code, 'access_denied');
      // ...and the reconnection that follows is refused, saying what to do.
      const refused = await doomed.untilLog(
        /^stream to the control plane ended$/,
        (e) => typeof e.err === 'string' && e.err.includes('certificate was revoked: enroll'),
      );
      assert.equal(refused.code, 'access_denied');

      const again = await h.ctl([
        '--format',
        'json',
        '--reason',
        'e2e',
        'agents',
        'revoke',
        doomed.agentId,
      ]);
      const [shown, listed, op] = await Promise.all([
        h.ctl(['--format', 'json', 'agents', 'show', doomed.agentId]),
        h.ctl(['agents', 'ls']),
        h.ctl(['--format', 'json', 'ops', 'ls', '--capability', 'admin.agents.write']),
      ]);
      const second = json<{
        agent: { revoked_at?: string; status: string };
        disconnected?: boolean;
      }>(again);
      assert.ok(second.agent.revoked_at, again.stdout);
      assert.equal(second.disconnected ?? false, false, 'nothing left to disconnect');
      const agentJson = json<{ agent: { revoked_at?: string; status: string } }>(shown).agent;
      assert.equal(agentJson.status, 'AGENT_STATUS_OFFLINE');
      assert.equal(agentJson.revoked_at, second.agent.revoked_at);
      assert.match(ok(listed).stdout, new RegExp(`^${doomed.agentId}\\s+\\S+\\s+revoked\\s`, 'm'));
      const tools = json<{ operations: { tool: string; inputs: { agent_id?: string } }[] }>(
        op,
      ).operations.filter((o) => o.inputs.agent_id === doomed.agentId);
      assert.deepEqual(
        tools.map((o) => o.tool),
        ['admin.RevokeAgent', 'admin.RevokeAgent'],
      );
    } finally {
      await doomed.stop();
    }
  });

  it('leases watch: snapshot, then changes by the server and the agent; Ctrl-C exits 0', async () => {
    const realAgent = agent?.agentId ?? assert.fail('needs the agent of the test above');
    const child = h.spawnCtl(['leases', 'watch', '--active']);
    const watch = followCtl(child);
    const snapshot = await watch.until(/snapshot_end\n/);
    assert.match(snapshot, new RegExp(`snapshot\\s+${lease('carol-db')}\\s+active`));
    assert.doesNotMatch(snapshot, new RegExp(lease('bob-db')), 'ended leases are left out');

    // A change made through the admin API…
    const stopped = await h.ctl(['--reason', 'e2e', 'leases', 'stop', lease('carol-db')]);
    assert.equal(ok(stopped).stdout, `lease ${lease('carol-db')} is stopping\n`);
    await watch.until(new RegExp(`updated\\s+${lease('carol-db')}\\s+stopping`));

    // …and one made by the real agent: it does not run this lease, so its next heartbeat
    // fails it ("the agent lost this lease").
    const [row] = await h.sql<{ lease_id: string }>(
      `INSERT INTO leases (kind, actor, cluster, target, edge_agent_id, expires_at, status, generation)
       VALUES ('proxy_app', 'dave', '', '{"app":"wiki"}', $1, now() + interval '1 hour', 'active', 1)
       RETURNING lease_id`,
      [realAgent],
    );
    const lost = row?.lease_id ?? '';
    const seen = await watch.until(new RegExp(`${lost}\\s+failed`));
    assert.match(seen, new RegExp(`created\\s+${lost}`));

    child.kill('SIGINT');
    const out = await watch.done;
    assert.equal(out.code, 0, out.stderr);
    const shown = json<{ lease: LeaseJson & { error: string } }>(
      await h.ctl(['--format', 'json', 'leases', 'show', lost]),
    );
    assert.match(shown.lease.error, /lost this lease/);
  });

  it('changes in JSON form: roles apply/rm, leases stop, tokens rm, agents drain, principals revoke', async () => {
    const roleFile = path.join(files, 'json-role.yaml');
    writeFileSync(roleFile, 'name: json-role\nallow: ["inventory.*"]\n');
    const applyJson = ['--format', 'json', '--reason', 'e2e', 'roles', 'apply', '-f', roleFile];
    const created = json<{
      role: { name: string; allow: string[]; builtin: boolean };
      created: boolean;
    }>(await h.ctl(applyJson));
    assert.deepEqual(
      [created.role.name, created.role.allow, created.role.builtin, created.created],
      ['json-role', ['inventory.*'], false, true],
    );
    assert.equal(json<{ created: boolean }>(await h.ctl(applyJson)).created, false);
    assert.deepEqual(
      json(await h.ctl(['--format', 'json', '--reason', 'e2e', 'roles', 'rm', 'json-role'])),
      { deleted: 'json-role' },
    );
    const gone = await h.ctl(['roles', 'show', 'json-role']);
    assert.equal(gone.code, 1);

    const [row] = await h.sql<{ lease_id: string }>(
      `INSERT INTO leases (kind, actor, cluster, target, edge_agent_id, expires_at, status, generation)
       VALUES ('proxy_db', 'erin', '', '{"db":"orders"}', $1, now() + interval '1 hour', 'active', 1)
       RETURNING lease_id`,
      [FAKE_AGENT],
    );
    const leaseId = row?.lease_id ?? assert.fail('no lease');
    const stopped = json<{ lease: { lease_id: string; status: string } }>(
      await h.ctl(['--format', 'json', '--reason', 'e2e', 'leases', 'stop', leaseId]),
    ).lease;
    assert.equal(stopped.lease_id, leaseId);
    assert.match(stopped.status, /^LEASE_STATUS_(STOPPING|STOPPED)$/);

    const token = json<{ join_token: { token_id: string } }>(
      await h.ctl(['--format', 'json', '--reason', 'e2e', 'tokens', 'create']),
    ).join_token.token_id;
    const removed = json<{ join_token: { token_id: string; revoked: boolean } }>(
      await h.ctl(['--format', 'json', '--reason', 'e2e', 'tokens', 'rm', token]),
    ).join_token;
    assert.deepEqual([removed.token_id, removed.revoked], [token, true]);

    const drained = json<{ agent: { agent_id: string; draining: boolean } }>(
      await h.ctl(['--format', 'json', '--reason', 'e2e', 'agents', 'drain', FAKE_AGENT]),
    ).agent;
    assert.deepEqual([drained.agent_id, drained.draining], [FAKE_AGENT, true]);

    const p = await h.createPrincipal('json-revoked', 'readonly');
    const revoked = json<{
      principal: { principal_id: string; name: string; revoked_at?: string };
    }>(
      await h.ctl(['--format', 'json', '--reason', 'e2e', 'principals', 'revoke', p.principal_id]),
    ).principal;
    assert.deepEqual([revoked.principal_id, revoked.name], [p.principal_id, 'json-revoked']);
    assert.ok(revoked.revoked_at !== undefined && !Number.isNaN(Date.parse(revoked.revoked_at)));
  });

  describe('usage errors exit 2 and print the usage', { concurrency: true }, () => {
    const usageErrors: [string[], RegExp][] = [
      [
        ['leases', 'extend', 'some-lease', '--ttl', '5x'],
        /option '--ttl <duration>' argument '5x' is invalid/,
      ],
      [['ops', 'ls', '--status', 'bogus'], /argument 'bogus' is invalid\. Allowed choices are/],
      [['principals', 'create'], /required option '--name <name>' not specified/],
      [
        ['policy', 'check', '--capability', 'proxy.start'],
        /give exactly one of --actor <name> or --role <role>/,
      ],
      [['--format', 'xml', 'status'], /argument 'xml' is invalid/],
      [['tokens', 'create', '--labels', 'no-equals'], /"no-equals" is not key=value/],
      [['roles', 'apply'], /required option '-f, --file <role\.yaml>' not specified/],
    ];
    for (const [args, message] of usageErrors) {
      it(args.join(' '), async () => {
        const out = await h.ctl(args);
        assert.equal(out.code, 2, out.stderr);
        assert.match(out.stderr, message);
        assert.match(out.stderr, /Usage: tmcpctl /);
        assert.equal(out.stdout, '');
      });
    }
  });
});
