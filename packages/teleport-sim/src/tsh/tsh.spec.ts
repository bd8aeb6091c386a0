// tsh as a real process: output formats, RBAC-driven MCP listings, access requests, and the
// real proxies (Postgres through `tsh proxy db`, HTTP through `tsh proxy app`).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { collect, exitOf, RED_ERROR, SimHarness, waitForOutput } from '../testing/sim-harness.js';

describe('tsh', () => {
  let h: SimHarness;
  before(() => {
    h = new SimHarness();
  });
  after(async () => {
    await h.cleanup();
  });

  it('prints version JSON with the proxy fields and a trailing newline', async () => {
    const r = await h.run('tsh', ['--proxy=teleport.example.com:443', 'version', '--format=json']);
    assert.equal(
      r.stdout,
      '{\n  "version": "18.2.0",\n  "gitref": "v18.2.0-0-g1a2b3c4",\n  "runtime": "go1.24.6",\n  "proxyVersion": "18.2.0",\n  "proxyPublicAddress": "teleport.example.com:443"\n}\n',
    );
  });

  it('prints status JSON in the active-profile key order', async () => {
    const r = await h.run('tsh', [...h.tshAs('alice'), 'status', '--format=json']);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as { active: Record<string, unknown> };
    assert.deepEqual(Object.keys(status.active), [
      'profile_url',
      'username',
      'cluster',
      'roles',
      'traits',
      'logins',
      'kubernetes_enabled',
      'valid_until',
      'extensions',
    ]);
    assert.equal(status.active.username, 'alice');
  });

  it('says Not logged in. for a bare tsh status, with or without --proxy (§2.12, §4.3)', async () => {
    for (const args of [['status'], ['--proxy=teleport.example.com:443', 'status']]) {
      const r = await h.run('tsh', args);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `${RED_ERROR}Not logged in.\n`);
    }
    // Commands that dial the proxy still ask for its address (§4.1).
    const ls = await h.run('tsh', ['ls']);
    assert.equal(ls.code, 1);
    assert.equal(ls.stderr, `${RED_ERROR}No proxy address specified, missed --proxy flag?\n`);
  });

  it('needs --proxy with an identity, and fails with an expired one', async () => {
    const noProxy = await h.run('tsh', ['-i', h.identity('alice'), 'mcp', 'ls']);
    assert.equal(noProxy.stderr, `${RED_ERROR}tsh --identity also requires --proxy\n`);
    const expired = await h.run('tsh', [...h.tshAs('alice', -5), 'mcp', 'ls']);
    assert.equal(expired.code, 1);
    assert.equal(expired.stderr, `${RED_ERROR}remote error: tls: expired certificate\n`);
  });

  it('lists MCP servers with the (none) [!] warning exactly as the golden', async () => {
    await h.run('tctl', ['rm', 'app/everything']);
    await h.run('tctl', ['rm', 'app/payments-mcp']);
    const file = join(h.dir, 'golden.yaml');
    writeFileSync(
      file,
      [
        'kind: app\nversion: v3\nmetadata: {name: no-access, description: description, labels: {env: dev}}\nspec: {uri: "mcp+stdio://", mcp: {command: test, args: [arg], run_as_host_user: test}}',
        'kind: role\nversion: v8\nmetadata: {name: apps-only}\nspec: {allow: {app_labels: {env: dev}}}',
      ].join('\n---\n'),
    );
    assert.equal((await h.run('tctl', ['create', file])).code, 0);
    await h.run('tctl', ['users', 'add', 'erin', '--roles=apps-only']);
    const r = await h.run('tsh', [...h.tshAs('erin'), 'mcp', 'ls']);
    assert.equal(
      r.stdout,
      'Name      Description Type  Allowed Tools Labels  \n' +
        '--------- ----------- ----- ------------- ------- \n' +
        'no-access description stdio (none) [!]    env=dev \n' +
        '\n' +
        '[!] Warning: you do not have access to any tools on the MCP server.\n' +
        'Please contact your Teleport administrator to ensure your Teleport role has\n' +
        "appropriate 'allow.mcp.tools' set. For details on MCP access RBAC, see:\n" +
        'https://goteleport.com/docs/enroll-resources/mcp-access/rbac/\n',
    );
    // Granting the trait through tctl is what the access preset's {{internal.mcp_tools}} reads.
    await h.run('tctl', [
      'users',
      'update',
      'erin',
      '--set-roles=apps-only,access',
      '--set-mcp-tools=read_*',
    ]);
    const json = await h.run('tsh', [...h.tshAs('erin'), 'mcp', 'ls', '--format=json']);
    const apps = JSON.parse(json.stdout) as {
      permissions: { mcp: { tools: { allowed?: string[] } } };
    }[];
    assert.deepEqual(apps[0]?.permissions.mcp.tools.allowed, ['read_*']);
  });

  it('creates a request, shows it PENDING, and a reviewer approves it', async () => {
    const created = await h.run('tsh', [
      ...h.tshAs('alice'),
      'request',
      'create',
      '--roles=db-admin',
      '--reason=INC-7',
      '--nowait',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const id = /Request ID: +(\S+)/.exec(created.stdout)?.[1] ?? '';
    assert.match(created.stdout, /^Creating request...\n/);
    assert.match(created.stdout, /^Status: +PENDING +$/m);
    const denied = await h.run('tsh', [
      ...h.tshAs('alice'),
      'request',
      'create',
      '--roles=editor',
      '--nowait',
    ]);
    assert.equal(denied.code, 1);
    const review = await h.run('tsh', [
      ...h.tshAs('bob'),
      'request',
      'review',
      id,
      '--approve',
      '--reason=ok',
    ]);
    assert.equal(review.stderr, 'Successfully submitted review.  Request state: APPROVED\n');
    const shown = await h.run('tsh', [...h.tshAs('alice'), 'request', 'show', id, '--format=json']);
    assert.ok(!shown.stdout.endsWith('\n'), 'tsh request --format=json has no trailing newline');
    const request = JSON.parse(shown.stdout) as { spec: { state: number; reviews: unknown[] } };
    assert.equal(request.spec.state, 2);
    assert.equal(request.spec.reviews.length, 1);
  });

  it('an approved request joins the certificate; drop takes it out again (§2.10)', async () => {
    const identity = h.identity('alice', 7200); // one file, re-issued in place by tsh
    const asAlice = ['-i', identity, '--proxy', 'teleport.example.com:443'];
    const status = async (): Promise<{ active_requests?: string[]; roles: string[] }> => {
      const r = await h.run('tsh', [...asAlice, 'status', '--format=json']);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { active: { active_requests?: string[]; roles: string[] } })
        .active;
    };
    const approvedWhileWaiting = async (reason: string): Promise<string> => {
      const child = h.spawn('tsh', [
        ...asAlice,
        'request',
        'new',
        '--roles=db-admin',
        `--reason=${reason}`,
      ]);
      child.stdin.end();
      const done = collect(child);
      const shown = await waitForOutput(child, /Waiting for request approval/);
      const id = /Request ID: +(\S+)/.exec(shown)?.[1] ?? '';
      await h.run('tsh', [...h.tshAs('bob'), 'request', 'review', id, '--approve']);
      const r = await done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '\nApproval received, getting updated certificates...\n\n');
      assert.match(r.stdout, new RegExp(`\\n  Active requests: +[^\\n]*${id}\\n`));
      return id;
    };
    assert.equal((await status()).active_requests, undefined);
    const first = await approvedWhileWaiting('INC-8');
    const second = await approvedWhileWaiting('INC-9');
    const both = await status();
    assert.deepEqual(both.active_requests, [first, second]);
    assert.ok(both.roles.includes('db-admin'));

    // An ID the certificate does not carry is ignored, as the auth server does.
    const unknown = '00000000-0000-0000-0000-000000000000';
    const noop = await h.run('tsh', [...asAlice, 'request', 'drop', unknown]);
    assert.equal(noop.code, 0, noop.stderr);
    assert.ok(
      noop.stdout.startsWith(`Dropping access request(s): ${unknown}...\n\n> Profile URL:`),
    );
    assert.deepEqual((await status()).active_requests, [first, second]);

    const one = await h.run('tsh', [...asAlice, 'request', 'drop', first]);
    assert.equal(one.code, 0, one.stderr);
    assert.ok(one.stdout.startsWith(`Dropping access request(s): ${first}...\n\n> Profile URL:`));
    assert.match(one.stdout, new RegExp(`\\n  Active requests: +${second}\\n  Cluster: `));
    assert.deepEqual((await status()).active_requests, [second]);

    const all = await h.run('tsh', [...asAlice, 'request', 'drop']);
    assert.equal(all.code, 0, all.stderr);
    assert.ok(all.stdout.startsWith('Dropping all active access requests...\n\n> Profile URL:'));
    assert.doesNotMatch(all.stdout, /Active requests:/);
    const after = await status();
    assert.equal(after.active_requests, undefined);
    assert.ok(!after.roles.includes('db-admin'), 'the requested role left with the request');

    // Every re-issue is audited with the requests the new certificate carries.
    const { events } = JSON.parse(readFileSync(h.statePath, 'utf8')) as {
      events: { event: string; identity?: { user: string; active_requests?: string[] } }[];
    };
    const issued = events
      .filter((e) => e.event === 'cert.create' && e.identity?.user === 'alice')
      .map((e) => e.identity?.active_requests ?? []);
    assert.deepEqual(issued, [[first], [first, second], [first, second], [second], []]);
  });

  it('proxies Postgres through tsh proxy db --tunnel and exits 0 on SIGTERM', async () => {
    const child = h.spawn('tsh', [
      ...h.tshAs('alice'),
      'proxy',
      'db',
      '--tunnel',
      'pg',
      '--db-user=postgres',
      '--db-name=postgres',
    ]);
    const banner = await waitForOutput(child, /psql .*\n/);
    const port = Number(/on 127\.0\.0\.1:(\d+)\./.exec(banner)?.[1]);
    assert.equal(
      banner,
      `Started authenticated tunnel for the PostgreSQL database "pg" in cluster "teleport.example.com" on 127.0.0.1:${port}.\n` +
        'To avoid port randomization, you can choose the listening port using the --port flag.\n\n' +
        'Teleport Connect is a desktop app that can manage database proxies for you.\n' +
        'Learn more at https://goteleport.com/docs/connect-your-client/teleport-connect/#connecting-to-a-database\n\n' +
        'Use the following command to connect to the database or to the address above using other database GUI/CLI clients:\n' +
        `  $ psql postgres://postgres@localhost:${port}/postgres\n`,
    );
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'postgres',
    });
    await client.connect();
    const result = await client.query<{ one: number }>('SELECT 1 AS one');
    assert.equal(result.rows[0]?.one, 1);
    await client.end();
    child.kill('SIGTERM');
    assert.equal(await exitOf(child), 0);
    const refused = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    assert.equal(refused, 'ECONNREFUSED');
  });

  it('refuses a database user the roles do not allow', async () => {
    const r = await h.run('tsh', [
      ...h.tshAs('alice'),
      'proxy',
      'db',
      '--tunnel',
      'pg',
      '--db-user=root',
    ]);
    assert.equal(
      r.stderr,
      `${RED_ERROR}access to db denied. User does not have permissions. Confirm database user and name.\n`,
    );
  });

  it('forwards tsh proxy app to the web app and records the session event', async () => {
    const received: string[] = [];
    const server = createServer((req, res) => {
      if (req.url === '/events') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          received.push(`${req.headers.authorization ?? ''} ${body}`);
          res.end();
        });
        return;
      }
      res.end('hello from grafana');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const local = new SimHarness();
      const env = {
        TELEPORT_SIM_WEB_APP_URI: `http://127.0.0.1:${port}`,
        TELEPORT_SIM_EVENT_FORWARD_URL: `http://127.0.0.1:${port}/events`,
        TELEPORT_SIM_EVENT_FORWARD_TOKEN: 'fwd-token',
      };
      try {
        const child = local.spawn('tsh', [...local.tshAs('alice'), 'proxy', 'app', 'grafana'], env);
        const banner = await waitForOutput(child, /--port flag\.\n/);
        const appPort = Number(/127\.0\.0\.1:(\d+)/.exec(banner)?.[1]);
        assert.equal(
          banner,
          `Proxying connections to grafana on 127.0.0.1:${appPort}\nTo avoid port randomization, you can choose the listening port using the --port flag.\n`,
        );
        const body = await (await fetch(`http://127.0.0.1:${appPort}/`)).text();
        assert.equal(body, 'hello from grafana');
        child.kill('SIGINT');
        assert.equal(await exitOf(child), 0);
        assert.ok(
          received.some(
            (e) => e.startsWith('Bearer fwd-token ') && e.includes('"app.session.start"'),
          ),
          received.join('\n'),
        );
      } finally {
        await local.cleanup();
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('proxies a chosen target port of a multi-port TCP app and refuses ports it lacks', async () => {
    const echo = createNetServer((socket) => socket.pipe(socket));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const address = echo.address();
    const echoPort = typeof address === 'object' && address ? address.port : 0;
    const local = new SimHarness();
    const env = { TELEPORT_SIM_DB_URI: `127.0.0.1:${echoPort}` };
    try {
      const as = local.tshAs('alice');
      const child = local.spawn(
        'tsh',
        [...as, 'proxy', 'app', 'pg-tcp', `--port=0:${echoPort}`],
        env,
      );
      const banner = await waitForOutput(child, /\n/);
      const appPort = Number(/127\.0\.0\.1:(\d+)/.exec(banner)?.[1]);
      // A --port was given, so no port-randomization hint; the name carries the target port.
      assert.equal(banner, `Proxying connections to pg-tcp:${echoPort} on 127.0.0.1:${appPort}\n`);
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(appPort, '127.0.0.1', () => socket.write('ping'));
        socket.once('data', (c: Buffer) => {
          resolve(c.toString());
          socket.destroy();
        });
        socket.on('error', reject);
      });
      assert.equal(reply, 'ping');
      child.kill('SIGTERM');
      assert.equal(await exitOf(child), 0);

      const other = echoPort === 1 ? 2 : echoPort - 1;
      const missing = await local.run(
        'tsh',
        [...as, 'proxy', 'app', 'pg-tcp', `--port=0:${other}`],
        { env },
      );
      assert.equal(missing.code, 1);
      assert.equal(
        missing.stderr,
        `${RED_ERROR}port ${other} is not included in target ports of app "pg-tcp"; valid ports: ${echoPort}\n`,
      );
      const single = await local.run('tsh', [...as, 'proxy', 'app', 'grafana', '--port=0:80'], {
        env,
      });
      assert.equal(
        single.stderr,
        `${RED_ERROR}cannot specify target port 80 because app "grafana" does not provide access to multiple ports\n`,
      );
      const bad = await local.run('tsh', [...as, 'proxy', 'app', 'pg-tcp', '--port=x:1'], { env });
      assert.equal(bad.stderr, `${RED_ERROR}invalid port mapping "x:1"\n`);
    } finally {
      await local.cleanup();
      await new Promise((r) => echo.close(r));
    }
  });

  it('runs vnet until signalled and crashes on demand', async () => {
    const vnet = h.spawn('tsh', [...h.tshAs('alice'), 'vnet']);
    assert.equal(await waitForOutput(vnet, /\n/), 'VNet is ready.\n');
    vnet.kill('SIGTERM');
    assert.equal(await exitOf(vnet), 0);
    const crashing = h.spawn('tsh', [...h.tshAs('alice'), 'vnet'], {
      TELEPORT_SIM_CRASH_AFTER_MS: '50',
    });
    assert.equal(await exitOf(crashing), 1);
  });
});
