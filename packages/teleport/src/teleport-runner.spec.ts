// Runner tests against small real executables (node scripts) written to a temp dir: real process
// groups, real signals, real pipes.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import { parseNodes } from './parsers/index.js';
import { ReadinessDetectors } from './readiness-detectors.js';
import { TeleportRunner, type OutputLine, type TeleportRunnerConfig } from './teleport-runner.js';

// One fake binary; FAKE_MODE (set through extraEnv) picks its behaviour.
const FAKE = `#!${process.execPath}
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const mode = process.env.FAKE_MODE;
const dir = process.env.FAKE_DIR;
const args = process.argv.slice(2);
const log = (file, line) => fs.appendFileSync(dir + '/' + file, line + '\\n');
const hang = () => setInterval(() => {}, 1 << 30);
switch (mode) {
  case 'echo':
    process.stdout.write(JSON.stringify({ args, env: process.env }));
    break;
  case 'group': {
    // A child in the same process group; both ignore SIGTERM so only SIGKILL ends them.
    const child = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1 << 30)'], { stdio: 'inherit' });
    process.on('SIGTERM', () => {});
    log('pids', process.pid + ' ' + child.pid);
    hang();
    break;
  }
  case 'big':
    process.stdout.write('x'.repeat(200000));
    break;
  case 'big-json':
    process.stdout.write(JSON.stringify(Array.from({ length: 5000 }, (_, i) => ({ kind: 'node', metadata: { name: 'n' + i } }))));
    break;
  case 'big-pem':
    process.stdout.write('-----BEGIN PRIVATE KEY-----\\n' + 'A'.repeat(200000));
    break;
  case 'secret':
    process.stdout.write('{"token": "5d5e2f0d3b1c6a7e8f9a0b1c2d3e4f50", "name": "n", "args": ["--api-key=sk-live-abc", "--password", "hunter3"]}');
    process.stderr.write('debug: connecting to postgres://u:hunter2@db\\n');
    break;
  case 'fail':
    process.stderr.write('\\x1b[31mERROR: \\x1b[0maccess denied to perform action "list" on "role"\\n');
    process.exit(1);
    break;
  case 'count':
    log('count', String(process.pid));
    setTimeout(() => process.stdout.write('[]\\n'), 100);
    break;
  case 'overlap':
    log('overlap', 'start');
    setTimeout(() => { log('overlap', 'end'); }, 100);
    break;
  case 'stdin': {
    let data = '';
    process.stdin.on('data', (c) => (data += c));
    process.stdin.on('end', () => process.stdout.write('got:' + data));
    break;
  }
  case 'create': {
    const file = args[args.length - 1];
    const st = fs.statSync(file);
    const dst = fs.statSync(require('node:path').dirname(file));
    log('create', JSON.stringify({ args, file, mode: st.mode & 0o777, dirMode: dst.mode & 0o777, content: fs.readFileSync(file, 'utf8') }));
    process.stdout.write('application "everything" has been created\\n');
    break;
  }
  case 'banner':
    process.on('SIGTERM', () => process.exit(0));
    process.stderr.write('DEBUG using token=abcdefSECRET123\\n');
    setTimeout(() => {
      process.stdout.write('Started authenticated tunnel for the PostgreSQL database "pg" in cluster "teleport.example.com" on 127.0.0.1:62652.\\n');
      process.stdout.write('To avoid port randomization, you can choose the listening port using the --port flag.\\n');
    }, 50);
    hang();
    break;
  case 'early-exit':
    process.stderr.write('ERROR: your credentials have expired, please login using \`tsh login\`\\n');
    process.exit(1);
    break;
  case 'silent':
    hang();
    break;
  case 'cat':
    process.stdin.pipe(process.stdout);
    break;
  default:
    process.stderr.write('ERROR: unknown fake mode ' + mode + '\\n');
    process.exit(2);
}
`;

let dir: string;
let fakePath: string;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tmcp-runner-spec-'));
  fakePath = path.join(dir, 'tsh');
  writeFileSync(fakePath, FAKE);
  chmodSync(fakePath, 0o755);
  writeFileSync(path.join(dir, 'not-executable'), FAKE, { mode: 0o644 });
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runner(mode: string, overrides: Partial<TeleportRunnerConfig> = {}): TeleportRunner {
  return new TeleportRunner({
    binaries: { tsh: fakePath, tctl: fakePath },
    cluster: {
      proxy: 'teleport.example.com:443',
      identityFile: '/id/file',
      home: path.join(dir, 'home'),
    },
    extraEnv: { FAKE_MODE: mode, FAKE_DIR: dir },
    baseEnv: {
      PATH: '/usr/bin:/bin',
      HOME: '/home/tmcp',
      SECRET_VAR: 'do-not-pass',
      KEEP_ME: 'ok',
    },
    ...overrides,
  });
}

function readLines(file: string): string[] {
  const p = path.join(dir, file);
  return existsSync(p)
    ? readFileSync(p, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
    : [];
}

/** Alive and not a zombie. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** Waits (bounded) for a condition driven by the OS, e.g. process reaping. */
async function eventually(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`never happened: ${what}`);
}

function isAppError(code: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  };
}

describe('TeleportRunner.run', () => {
  it('runs the binary with the argv as given and a minimal environment', async () => {
    const r = runner('echo', { envAllowList: ['KEEP_ME'] });
    const res = await r.run('tsh', r.tsh.status());
    const out = JSON.parse(res.stdout) as { args: string[]; env: Record<string, string> };
    assert.deepEqual(out.args, [
      '--proxy=teleport.example.com:443',
      '--identity=/id/file',
      'status',
      '--format=json',
    ]);
    assert.equal(out.env.TELEPORT_HOME, path.join(dir, 'home'));
    assert.equal(out.env.LANG, 'C.UTF-8');
    assert.equal(out.env.HOME, '/home/tmcp');
    assert.equal(out.env.KEEP_ME, 'ok');
    assert.equal(out.env.SECRET_VAR, undefined);
    assert.equal(res.exitCode, 0);
    assert.equal(res.truncated, false);
  });

  it('timeout kills the whole process group, children included', async () => {
    const r = runner('group', { timeoutMs: 400, killGraceMs: 200 });
    await assert.rejects(r.run('tsh', ['proxy', 'db']), isAppError('timeout'));
    const [line] = readLines('pids');
    assert.ok(line, 'the fake recorded its pids');
    const pids = line.split(' ').map(Number);
    assert.equal(pids.length, 2);
    for (const pid of pids) await eventually(() => !isAlive(pid), `pid ${pid} gone`);
  });

  it('caps captured output and marks it', async () => {
    const res = await runner('big', { maxOutputBytes: 1000 }).run('tsh', ['ls']);
    assert.equal(res.truncated, true);
    assert.ok(res.stdout.startsWith('x'.repeat(1000)));
    assert.match(res.stdout, /\[output truncated at 1000 bytes\]$/);
  });

  it('output cut at the cap is refused by the parsers, naming the cap and the setting', async () => {
    const res = await runner('big-json', { maxOutputBytes: 1000 }).run('tctl', ['get', 'nodes']);
    assert.equal(res.truncated, true);
    assert.throws(
      () => parseNodes(res.stdout),
      (err: unknown) =>
        err instanceof AppError &&
        err.code === 'limit_exceeded' &&
        /more than 1000 bytes.*policy\.max_command_output_bytes/.test(err.message),
    );
  });

  it('keeps the truncation notice when redaction removes a cut-off key', async () => {
    const res = await runner('big-pem', { maxOutputBytes: 1000 }).run('tctl', ['auth', 'export']);
    assert.doesNotMatch(res.stdout, /AAAA/);
    assert.match(res.stdout, /\n\[output truncated at 1000 bytes\]$/);
  });

  it('redacts captured output unless the caller parses raw stdout', async () => {
    const res = await runner('secret').run('tctl', ['tokens', 'ls']);
    assert.doesNotMatch(
      res.stdout + res.stderr,
      /5d5e2f0d3b1c6a7e8f9a0b1c2d3e4f50|hunter2|sk-live-abc|hunter3/,
    );
    // Redacted stdout is still the JSON a parser reads, secrets replaced value by value.
    assert.deepEqual(JSON.parse(res.stdout), {
      token: '***',
      name: 'n',
      args: ['--api-key=***', '--password', '***'],
    });
    const raw = await runner('secret').run('tctl', ['tokens', 'ls'], { rawStdout: true });
    assert.match(raw.stdout, /5d5e2f0d3b1c6a7e8f9a0b1c2d3e4f50/);
    assert.doesNotMatch(raw.stderr, /hunter2/);
  });

  it('a failure becomes a classified error with the exit code and redacted stderr', async () => {
    const r = runner('fail');
    await assert.rejects(r.run('tctl', r.tctl.getAll('roles')), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'access_denied');
      assert.match(err.message, /^tctl get roles: Teleport denied the "list" verb on "role"/);
      assert.equal(err.details?.exitCode, 1);
      assert.match(String(err.details?.stderr), /access denied/);
      return true;
    });
  });

  it('coalesces identical concurrent reads into one process', async () => {
    const r = runner('count');
    const argv = r.tctl.getAll('nodes');
    const [a, b] = await Promise.all([
      r.run('tctl', argv, { read: true }),
      r.run('tctl', argv, { read: true }),
    ]);
    assert.equal(a, b);
    assert.equal(readLines('count').length, 1);
    // Writes are never shared, and a finished read is not reused.
    await Promise.all([r.run('tctl', argv), r.run('tctl', argv)]);
    await r.run('tctl', argv, { read: true });
    assert.equal(readLines('count').length, 4);
  });

  it('runs at most maxConcurrent processes, queueing the rest', async () => {
    const r = runner('overlap', { maxConcurrent: 2 });
    await Promise.all(Array.from({ length: 6 }, () => r.run('tsh', ['ls'])));
    const events = readLines('overlap');
    assert.equal(events.length, 12);
    let running = 0;
    let peak = 0;
    for (const e of events) {
      running += e === 'start' ? 1 : -1;
      peak = Math.max(peak, running);
    }
    assert.ok(peak <= 2, `peak concurrency ${peak}`);
  });

  it('writes stdin when given', async () => {
    const res = await runner('stdin').run('tctl', ['create'], { stdin: 'kind: role' });
    assert.equal(res.stdout, 'got:kind: role');
  });

  it('binary missing: absolute path absent, not executable, or not on PATH', async () => {
    const absent = runner('echo', { binaries: { tsh: path.join(dir, 'nope') } });
    await assert.rejects(absent.run('tsh', ['status']), isAppError('binary_missing'));
    const notExec = runner('echo', { binaries: { tsh: path.join(dir, 'not-executable') } });
    await assert.rejects(notExec.run('tsh', ['status']), isAppError('binary_missing'));
    const removedPath = path.join(dir, 'removed-later');
    writeFileSync(removedPath, FAKE, { mode: 0o755 });
    const removed = runner('echo', { binaries: { tsh: removedPath } });
    rmSync(removedPath);
    await assert.rejects(removed.run('tsh', ['status']), isAppError('binary_missing'));
    const bare = runner('echo', { binaries: { tsh: 'tsh', tctl: 'tctl' }, baseEnv: { PATH: dir } });
    assert.equal(bare.binaryPath('tsh'), fakePath);
    assert.throws(() => bare.binaryPath('tctl'), isAppError('binary_missing'));
    await assert.rejects(
      bare.startLongRunning('tctl', ['x'], { readiness: ReadinessDetectors.stdio }),
      isAppError('binary_missing'),
    );
  });

  it('createResource writes a private 0600 file in a 0700 dir and removes it', async () => {
    const r = runner('create');
    const app = {
      kind: 'app',
      version: 'v3',
      metadata: { name: 'everything' },
      spec: {
        uri: 'mcp+stdio://',
        mcp: { command: 'docker', args: ['run'], run_as_host_user: 'docker' },
      },
    };
    const res = await r.createResource(app, { force: true });
    assert.match(res.stdout, /has been created/);
    const [line] = readLines('create');
    assert.ok(line);
    const seen = JSON.parse(line) as {
      args: string[];
      file: string;
      mode: number;
      dirMode: number;
      content: string;
    };
    assert.deepEqual(seen.args.slice(0, 4), [
      '--identity=/id/file',
      '--auth-server=teleport.example.com:443',
      'create',
      '-f',
    ]);
    assert.equal(seen.mode, 0o600);
    assert.equal(seen.dirMode, 0o700);
    assert.deepEqual(JSON.parse(seen.content), app);
    assert.equal(existsSync(seen.file), false);
    assert.equal(existsSync(path.dirname(seen.file)), false);
    await assert.rejects(
      r.createResource({ kind: 'cluster_auth_preference', metadata: { name: 'x' } }),
      isAppError('bad_parameter'),
    );
    await assert.rejects(
      r.createResource({ kind: 'app', metadata: { name: '--evil' } }),
      isAppError('bad_parameter'),
    );
  });
});

describe('TeleportRunner.startLongRunning', () => {
  it('reports readiness with the listen address, streams redacted lines, stops the group', async () => {
    const lines: OutputLine[] = [];
    const r = runner('banner');
    const proc = await r.startLongRunning(
      'tsh',
      r.tsh.proxyDb({ db: 'pg' as never, tunnel: true }),
      {
        readiness: ReadinessDetectors.db,
        onLine: (l) => lines.push(l),
      },
    );
    assert.equal(proc.pgid, proc.pid);
    const ready = await proc.ready;
    assert.deepEqual(ready, { listenAddr: '127.0.0.1:62652' });
    assert.equal(proc.listenAddr, '127.0.0.1:62652');
    const exit = await proc.stop(1000);
    assert.deepEqual(exit, { code: 0, signal: null });
    await eventually(() => !isAlive(proc.pid), 'proxy gone');
    assert.ok(
      lines.some((l) => l.stream === 'stdout' && l.text.startsWith('Started authenticated tunnel')),
    );
    const debug = lines.find((l) => l.stream === 'stderr');
    assert.equal(debug?.text, 'DEBUG using token=***');
  });

  it('fails with a classified error when the process exits before ready', async () => {
    const proc = await runner('early-exit').startLongRunning('tsh', ['proxy', 'app', 'grafana'], {
      readiness: ReadinessDetectors.app,
    });
    await assert.rejects(proc.ready, isAppError('credentials_expired'));
    assert.deepEqual(await proc.exited, { code: 1, signal: null });
  });

  it('stops a process that never becomes ready', async () => {
    const proc = await runner('silent').startLongRunning('tsh', ['vnet'], {
      readiness: ReadinessDetectors.vnet,
      readyTimeoutMs: 200,
    });
    await assert.rejects(proc.ready, isAppError('timeout'));
    const exit = await proc.exited;
    assert.equal(exit.signal, 'SIGTERM');
  });

  it('bridges stdio for stdio servers', async () => {
    const proc = await runner('cat').startLongRunning('tsh', ['mcp', 'connect', 'everything'], {
      readiness: ReadinessDetectors.stdio,
      stdio: 'bridge',
    });
    await proc.ready;
    assert.ok(proc.stdin && proc.stdout);
    const echoed = new Promise<string>((resolve) =>
      proc.stdout?.once('data', (c: Buffer) => resolve(c.toString())),
    );
    proc.stdin.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    assert.equal(await echoed, '{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    proc.stdin.end();
    assert.deepEqual(await proc.exited, { code: 0, signal: null });
  });
});
