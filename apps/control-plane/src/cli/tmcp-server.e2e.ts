// End to end: the built `tmcp-server` binary as a separate process against real PostgreSQL and
// Redis, each test with a database of its own.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { MIGRATIONS_TABLE } from '../database/data-source.js';
import { cleanEnv, runBinary, ServerProcess } from '../testing/cli-process.js';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from '../testing/test-database.js';

const TIMEOUT = { timeout: 60_000 };
const STACK_FRAME = /^\s+at /m;

function serverEnv(databaseUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    TMCP_DATABASE__URL: databaseUrl,
    TMCP_REDIS__URL: TEST_REDIS_URL,
    TMCP_REDIS__KEY_PREFIX: `tmcp_t_${randomBytes(4).toString('hex')}`,
    TMCP_SERVICE__HOST: '127.0.0.1',
    TMCP_SERVICE__PORT: '0',
    // Free ports for the gRPC listeners too: other suites may run a control plane meanwhile.
    TMCP_GRPC__PORT: '0',
    TMCP_AGENT_SERVICE__HOST: '127.0.0.1',
    TMCP_AGENT_SERVICE__PORT: '0',
    ...extra,
  });
}

describe('tmcp-server serve', () => {
  let db: TestDatabase;
  let server: ServerProcess | undefined;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await server?.kill();
    await db?.drop();
  });

  it(
    'migrates, serves /healthz /readyz /metrics, and stops cleanly on SIGTERM',
    TIMEOUT,
    async () => {
      const metricsToken = randomBytes(16).toString('hex');
      server = new ServerProcess(
        ['serve'],
        serverEnv(db.url, { TMCP_METRICS__BEARER_TOKEN: metricsToken }),
      );
      const url = await server.listening();
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(new URL(url).port, '0');

      const healthz = await fetch(`${url}/healthz`);
      assert.equal(healthz.status, 200);
      assert.deepEqual(await healthz.json(), { status: 'ok' });

      const readyz = await fetch(`${url}/readyz`);
      assert.equal(readyz.status, 200);
      assert.deepEqual(await readyz.json(), {
        status: 'ready',
        checks: {
          postgres: { status: 'ok' },
          redis: { status: 'ok' },
          migrations: { status: 'ok' },
        },
      });

      const secret = `tmcp_${randomBytes(20).toString('hex')}`;
      const probe = await fetch(`${url}/healthz?token=${secret}`, {
        headers: { authorization: `Bearer ${secret}`, 'x-request-id': 'e2e-probe-1' },
      });
      assert.equal(probe.headers.get('x-request-id'), 'e2e-probe-1');
      await fetch(`${url}/no/such/route/${randomBytes(4).toString('hex')}`);

      const anonymous = await fetch(`${url}/metrics`);
      assert.equal(anonymous.status, 401);
      await anonymous.body?.cancel();
      const metrics = await fetch(`${url}/metrics`, {
        headers: { authorization: `Bearer ${metricsToken}` },
      });
      assert.equal(metrics.status, 200);
      assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await metrics.text();
      assert.match(
        text,
        /^tmcp_http_requests_total\{route="\/healthz",method="GET",status="200"\} 2$/m,
      );
      assert.match(
        text,
        /^tmcp_http_requests_total\{route="unmatched",method="GET",status="404"\} 1$/m,
      );
      assert.match(text, /^tmcp_http_request_duration_seconds_bucket\{/m);
      assert.match(text, /^process_cpu_user_seconds_total /m);

      const probeLog = await server
        .waitForLog('request')
        .then(() => server?.logs.find((line) => line.req_id === 'e2e-probe-1'));
      assert.equal(probeLog?.path, '/healthz');
      assert.equal(probeLog?.status, 200);

      server.signal('SIGTERM');
      assert.equal(await server.exitCode(), 0);
      assert.ok(server.logs.some((line) => line.msg === 'stopped'));
      assert.ok(
        !server.stdoutText.includes(secret),
        'neither the Authorization header nor the query is logged',
      );
      assert.equal(server.stderr, '');
      assert.ok(
        server.logs.every((line) => typeof line.level === 'string' && !('unparsed' in line)),
        'every log line is JSON',
      );
    },
  );

  it('reports not ready (503) when the schema falls behind while running', TIMEOUT, async () => {
    server = new ServerProcess(['serve'], serverEnv(db.url));
    const url = await server.listening();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`DELETE FROM "${MIGRATIONS_TABLE}"`);
    } finally {
      await client.end();
    }
    const readyz = await fetch(`${url}/readyz`);
    assert.equal(readyz.status, 503);
    const body = (await readyz.json()) as {
      status: string;
      checks: Record<string, { status: string; error?: string }>;
    };
    assert.equal(body.status, 'not_ready');
    assert.deepEqual(body.checks.postgres, { status: 'ok' });
    assert.deepEqual(body.checks.redis, { status: 'ok' });
    assert.equal(body.checks.migrations?.status, 'failed');
    assert.match(body.checks.migrations?.error ?? '', /^1 pending migration\(s\)/);
    assert.equal((await fetch(`${url}/healthz`)).status, 200, 'still alive');
    server.signal('SIGINT');
    assert.equal(await server.exitCode(), 0);
  });
});

describe('tmcp-server with a schema that is not up to date', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  it('refuses to serve when migrate_on_start is off, then migrate fixes it', TIMEOUT, async () => {
    const env = serverEnv(db.url, { TMCP_DATABASE__MIGRATE_ON_START: 'false' });
    const refused = await runBinary(['serve'], env);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      'error: database schema is not up to date: 1 pending migration(s); run `tmcp-server migrate`\n',
    );

    const migrated = await runBinary(['migrate'], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /^applied 1 migration\(s\): Init\d+$/m);
    const again = await runBinary(['migrate'], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /up to date; no migration applied/);

    const created = await runBinary(['principals', 'create', '--name', 'demo-bot', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const out = JSON.parse(created.stdout) as Record<string, unknown>;
    assert.equal(out.name, 'demo-bot');
    assert.equal(out.role, 'operator');
    assert.equal(out.kind, 'service');
    assert.match(String(out.principal_id), /^[0-9a-f-]{36}$/);
    assert.match(String(out.api_key), /^tmcp_[0-9A-Za-z]{43}$/);

    const human = await runBinary(
      [
        'principals',
        'create',
        '--name',
        'alice',
        '--kind',
        'user',
        '--role',
        'readonly',
        '--expires',
        '30d',
      ],
      env,
    );
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /created user principal "alice" .*role readonly, expires \d{4}-/);
    assert.match(human.stdout, /^tmcp_[0-9A-Za-z]{43}$/m);

    const duplicate = await runBinary(['principals', 'create', '--name', 'demo-bot'], env);
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /^error: principal "demo-bot" already exists/);

    const badRole = await runBinary(['principals', 'create', '--name', 'x', '--role', 'root'], env);
    assert.equal(badRole.code, 1);
    assert.match(badRole.stderr, /^error: role: unknown role "root"/);
  });
});

describe('tmcp-server failures', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tmcp-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('config check lists every problem of a bad file and exits 1', TIMEOUT, async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(
      file,
      'service:\n  port: -5\n  log_level: loud\ndatabase:\n  pool_size: 0\nbogus_key: 1\n',
    );
    const result = await runBinary(['config', 'check', '--config', file], cleanEnv({}));
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    for (const key of ['service.port', 'service.log_level', 'database.pool_size', 'bogus_key']) {
      assert.match(result.stderr, new RegExp(`^${key.replace('.', '\\.')}: `, 'm'), key);
    }
    assert.doesNotMatch(result.stderr, STACK_FRAME);
  });

  it('config check prints the effective configuration with secrets redacted', TIMEOUT, async () => {
    const result = await runBinary(
      ['config', 'check'],
      serverEnv('postgres://tmcp:s3cr3t-pw@127.0.0.1:5432/tmcp'),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^database:$/m);
    assert.doesNotMatch(result.stdout, /s3cr3t-pw/);
  });

  const failures: { title: string; env: NodeJS.ProcessEnv; line: RegExp }[] = [
    {
      title: 'an unreachable PostgreSQL',
      env: serverEnv('postgres://tmcp:hunter2-pw@127.0.0.1:1/tmcp'),
      line: /^error: cannot connect to PostgreSQL at 127\.0\.0\.1:1\/tmcp: connection refused/,
    },
    {
      title: 'a database that does not exist',
      env: serverEnv('postgres://postgres:hunter2-pw@127.0.0.1:5432/tmcp_no_such_db'),
      line: /^error: cannot connect to PostgreSQL at 127\.0\.0\.1:5432\/tmcp_no_such_db: database "tmcp_no_such_db" does not exist\n$/,
    },
    {
      title: 'an unreachable Redis',
      env: {
        ...serverEnv('postgres://postgres:hunter2-pw@127.0.0.1:5432/test'),
        TMCP_REDIS__URL: 'redis://:hunter2-pw@127.0.0.1:1',
      },
      line: /^error: cannot connect to Redis at 127\.0\.0\.1:1: connection refused/,
    },
  ];
  for (const { title, env, line } of failures) {
    it(
      `serve with ${title} prints one line without the password and exits 1`,
      TIMEOUT,
      async () => {
        const result = await runBinary(['serve'], env);
        assert.equal(result.code, 1);
        assert.match(result.stderr, line);
        assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
        assert.doesNotMatch(result.stderr, /hunter2-pw/);
        assert.doesNotMatch(result.stdout, /hunter2-pw/);
        assert.doesNotMatch(result.stderr, STACK_FRAME);
      },
    );
  }

  const usage: [string, string[], RegExp][] = [
    ['an unknown flag', ['--bogus'], /unknown option '--bogus'/],
    ['an unknown command', ['bogus'], /unknown command 'bogus'/],
    ['a missing required option', ['principals', 'create'], /required option '--name <name>'/],
    [
      'an invalid choice',
      ['principals', 'create', '--name', 'x', '--kind', 'robot'],
      /Allowed choices are service, user/,
    ],
  ];
  for (const [title, args, message] of usage) {
    it(`${title} is a usage error: exit 2, usage on stderr`, TIMEOUT, async () => {
      const result = await runBinary(args, cleanEnv({}));
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /Usage: tmcp-server/);
      assert.equal(result.stdout, '');
    });
  }

  it('--help and --version', TIMEOUT, async () => {
    const help = await runBinary(['--help'], cleanEnv({}));
    assert.equal(help.code, 0);
    for (const command of ['serve', 'migrate', 'config', 'principals']) {
      assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'));
    }
    const version = await runBinary(['--version'], cleanEnv({}));
    assert.equal(version.code, 0);
    const pkg = (await import('../../package.json', { with: { type: 'json' } })) as {
      default: { version: string };
    };
    assert.equal(version.stdout, `${pkg.default.version}\n`);
  });
});
