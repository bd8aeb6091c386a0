// The edge agent end to end with real processes: the built `tmcp-agent` binary, the Teleport
// simulator as `tsh` (identity minted by its `tctl auth sign`), a real Postgres behind
// `tsh proxy db`, and an in-test control plane speaking the agent proto over gRPC with mTLS.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { LeaseExitReason, LeaseKind, ReapReason, type AgentMessage } from '@tmcp/proto';
import { simBinDir } from '@tmcp/teleport-sim';
import pg from 'pg';
import { FakeControlPlane, type ReceivedMessage } from './testing/fake-control-plane.js';

const execFileAsync = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/tmcp-agent.js', import.meta.url));

type Body = AgentMessage['body'];
type Case<C extends Body['case']> = Extract<Body, { case: C }>['value'];

function is<C extends NonNullable<Body['case']>>(kind: C, leaseId?: string) {
  return (m: ReceivedMessage): boolean =>
    m.message.body.case === kind &&
    (leaseId === undefined || (m.message.body.value as { leaseId?: string }).leaseId === leaseId);
}
function value<C extends NonNullable<Body['case']>>(m: ReceivedMessage, kind: C): Case<C> {
  assert.equal(m.message.body.case, kind);
  return m.message.body.value as Case<C>;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Polls `test` until it holds (the agent removes the home right after reporting the exit). */
async function waitFor(test: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > until) assert.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface LogLine {
  msg?: string;
  [key: string]: unknown;
}

class AgentProcess {
  readonly logs: LogLine[] = [];
  private waiters: { predicate: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';

  constructor(readonly child: ChildProcess) {
    let buffer = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          this.push(JSON.parse(text) as LogLine);
          if (process.env.TMCP_TEST_AGENT_LOGS === '1') process.stderr.write(`${text}\n`);
        } catch {
          // not a log line
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  waitLog(predicate: (l: LogLine) => boolean): Promise<LogLine> {
    const found = this.logs.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  private push(line: LogLine): void {
    this.logs.push(line);
    this.waiters = this.waiters.filter((w) =>
      w.predicate(line) ? (w.resolve(line), false) : true,
    );
  }
}

describe(
  'tmcp-agent with a control plane, the simulator and Postgres',
  { timeout: 120_000 },
  () => {
    let dir: string;
    let cp: FakeControlPlane;
    let env: NodeJS.ProcessEnv;
    let identity: string;
    let dataDir: string;
    /** The simulator as tsh, through a script that records the environment tsh was given. */
    let tshLauncher: string;
    let envRecords: string;
    const agents: AgentProcess[] = [];
    const leasePids = new Set<number>();
    let agentId = '';

    async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      try {
        const { stdout, stderr } = await execFileAsync(process.execPath, [bin, ...args], { env });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    }

    async function writeConfig(name: string, extra = ''): Promise<string> {
      const file = path.join(dir, name);
      await writeFile(
        file,
        [
          `server: { address: "${cp.address}" }`,
          `data_dir: ${dataDir}`,
          `tsh_path: ${tshLauncher}`,
          `clusters: [{ name: main, proxy: "teleport.example.com:443", identity_file: ${identity} }]`,
          'labels: { site: lab }',
          'stop_grace_seconds: 1',
          'log_level: debug',
          'log_batch: { flush_interval_ms: 100 }',
          extra,
        ].join('\n'),
      );
      return file;
    }

    /** Where the agent keeps a lease's TELEPORT_HOME (teleport_home_root defaults to data_dir). */
    function leaseHome(leaseId: string): string {
      return path.join(dataDir, 'teleport', 'main', leaseId);
    }

    function startAgent(config: string): AgentProcess {
      const child = spawn(process.execPath, [bin, 'run', '--config', config], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const agent = new AgentProcess(child);
      agents.push(agent);
      return agent;
    }

    function startDb(leaseId: string, ttlMs: number, generation = 1, db = 'pg'): string {
      return cp.send({
        case: 'startLease',
        value: {
          spec: {
            leaseId,
            generation,
            kind: LeaseKind.PROXY_DB,
            target: { case: 'db', value: { db, dbUser: 'postgres', dbName: 'test' } },
            expiresAt: timestampFromMs(Date.now() + ttlMs),
          },
        },
      });
    }

    async function started(leaseId: string, since: number): Promise<Case<'leaseStarted'>> {
      const m = await cp.waitFor(
        (x) => is('leaseStarted', leaseId)(x) || is('leaseFailed', leaseId)(x),
        since,
      );
      if (m.message.body.case === 'leaseFailed')
        assert.fail(`lease failed: ${m.message.body.value.message}`);
      const s = value(m, 'leaseStarted');
      leasePids.add(s.pid);
      return s;
    }

    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'tmcp-edge-agent-'));
      dataDir = path.join(dir, 'data');
      identity = path.join(dir, 'alice.identity');
      const base = { ...process.env };
      delete base.TMCP_CONFIG;
      const simState = path.join(dir, 'sim-state.json');
      const simEnv = { ...base, TELEPORT_SIM_STATE: simState };
      env = {
        ...simEnv,
        // Teleport client settings in the agent's environment that must not reach a lease.
        TELEPORT_USER: 'mallory',
        TELEPORT_CLUSTER: 'elsewhere',
        TELEPORT_PROXY: 'teleport.elsewhere.example:443',
        TELEPORT_IDENTITY_FILE: path.join(dir, 'mallory.identity'),
        TZ: 'UTC',
      };
      envRecords = path.join(dir, 'tsh-env');
      await mkdir(envRecords);
      // Like the e2e launchers: the product passes a minimal environment, the script adds the
      // simulator's state file. It first records what it got, per lease (TELEPORT_HOME's name).
      tshLauncher = path.join(dir, 'tsh-launcher');
      await writeFile(
        tshLauncher,
        [
          '#!/bin/sh',
          `env > "${envRecords}/$(basename "$TELEPORT_HOME")"`,
          `export TELEPORT_SIM_STATE="${simState}"`,
          `exec "${process.execPath}" "${path.join(simBinDir(), 'tsh')}" "$@"`,
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      await execFileAsync(
        path.join(simBinDir(), 'tctl'),
        ['auth', 'sign', '--user', 'alice', '--format=file', `--out=${identity}`, '--ttl=1h'],
        { env: simEnv },
      );
      cp = await FakeControlPlane.create();
      cp.heartbeatMs = 500;
      await cp.start();
    });

    after(async () => {
      for (const a of agents) a.child.kill('SIGKILL');
      await Promise.all(agents.map((a) => a.exited));
      for (const pid of leasePids) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      cp.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('refuses to enroll without a way to verify the server, with a wrong pin, or with a bad token', async () => {
      const noCa = await cli([
        'enroll',
        '--server',
        cp.address,
        '--token',
        't',
        '--data-dir',
        dataDir,
      ]);
      assert.equal(noCa.code, 1);
      assert.match(noCa.stderr, /^tmcp-agent: --ca-pin: give the control plane CA pin/);
      const wrongPin = await cli([
        'enroll',
        '--server',
        cp.address,
        '--token',
        't',
        '--ca-pin',
        `sha256:${'0'.repeat(64)}`,
        '--data-dir',
        dataDir,
      ]);
      assert.equal(wrongPin.code, 1);
      assert.match(wrongPin.stderr, /no certificate matching the CA pin/);
      const badToken = await cli([
        'enroll',
        '--server',
        cp.address,
        '--token',
        'nope',
        '--ca-pin',
        cp.pki.caPin,
        '--data-dir',
        dataDir,
      ]);
      assert.equal(badToken.code, 1);
      assert.equal(badToken.stderr.trim().split('\n').length, 1, badToken.stderr);
      assert.match(
        badToken.stderr,
        /enrollment refused by the control plane: the join token is invalid, expired or already used/,
      );
      const unreachable = await cli([
        'enroll',
        '--server',
        '127.0.0.1:1',
        '--token',
        't',
        '--ca-pin',
        cp.pki.caPin,
        '--data-dir',
        dataDir,
      ]);
      assert.match(unreachable.stderr, /cannot reach the control plane at 127\.0\.0\.1:1/);
    });

    it('enrolls with a one-time token and the CA pin, storing a private identity', async () => {
      cp.addToken('join-1');
      cp.enrollRenewAfterMs = 1_500; // so the running agent renews soon
      const out = await cli([
        'enroll',
        '--server',
        cp.address,
        '--token',
        'join-1',
        '--ca-pin',
        `sha256:${cp.pki.caPin}`,
        '--data-dir',
        dataDir,
        '--labels',
        'site=lab,rack=4',
        '--name',
        'edge-test',
      ]);
      assert.equal(out.code, 0, out.stderr);
      agentId = out.stdout.trim();
      assert.match(agentId, /^agent-\d+$/);
      assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
      for (const file of ['agent.key', 'agent.crt', 'ca.crt', 'agent.json']) {
        assert.equal((await stat(path.join(dataDir, file))).mode & 0o777, 0o600, file);
      }
      const record = JSON.parse(await readFile(path.join(dataDir, 'agent.json'), 'utf8')) as {
        agent_id: string;
        ca_pin: string;
      };
      assert.equal(record.agent_id, agentId);
      assert.equal(record.ca_pin, cp.pki.caPin);
      // The token was consumed: a second enrollment with it is refused (and --force is needed anyway).
      const reused = await cli([
        'enroll',
        '--server',
        cp.address,
        '--token',
        'join-1',
        '--ca-pin',
        cp.pki.caPin,
        '--data-dir',
        dataDir,
        '--force',
      ]);
      assert.equal(reused.code, 1);
      assert.match(reused.stderr, /already used/);
    });

    let agent: AgentProcess;
    let config: string;

    it('connects with mTLS, says Hello first, heartbeats and renews its certificate', async () => {
      config = await writeConfig('agent.yaml');
      const since = cp.mark;
      agent = startAgent(config);
      const hello = await cp.waitFor(is('hello'), since);
      assert.equal(hello.peer, agentId);
      assert.equal(hello.message.agentId, agentId);
      const h = value(hello, 'hello');
      assert.deepEqual(h.labels, { site: 'lab' });
      assert.ok(h.capabilities.includes('lease.proxy_db'));
      assert.equal(
        cp.received.filter((m) => m.peer === agentId && m.at >= hello.at).indexOf(hello),
        0,
      );
      await cp.waitFor(is('heartbeat'), since);
      // renew_after was 1.5 s: the agent renews over its current identity.
      await cp.waitFor(() => cp.renewals.length > 0);
      await agent.waitLog((l) => l.msg === 'client certificate renewed');
      assert.equal(cp.renewals[0], agentId);
    });

    it('runs a proxy_db lease: ack, LeaseStarted with the banner address, a real query, logs, stop', async () => {
      const since = cp.mark;
      const cmd = startDb('lease-db-1', 60_000);
      const ack = value(await cp.ack(cmd), 'commandAck');
      assert.equal(ack.ok, true);
      const s = await started('lease-db-1', since);
      assert.match(s.listenAddr, /^127\.0\.0\.1:\d+$/);
      const [host, port] = s.listenAddr.split(':');
      const client = new pg.Client({
        host,
        port: Number(port),
        user: 'postgres',
        database: 'test',
      });
      await client.connect();
      try {
        const { rows } = await client.query<{ answer: number }>('SELECT 41 + 1 AS answer');
        assert.equal(rows[0]?.answer, 42);
      } finally {
        await client.end();
      }
      const logs = await cp.waitFor(is('leaseLogBatch', 'lease-db-1'), since);
      const batch = value(logs, 'leaseLogBatch');
      const seqs = batch.lines.map((l) => Number(l.seq));
      assert.equal(seqs[0], 1);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => i + 1),
      );
      assert.ok(batch.lines.some((l) => l.line.includes('Started authenticated tunnel')));

      // tsh saw the minimal environment and its own TELEPORT_HOME, none of the agent's TELEPORT_*.
      const tshEnv = new Map(
        (await readFile(path.join(envRecords, 'lease-db-1'), 'utf8'))
          .split('\n')
          .filter((line) => line.includes('='))
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      assert.deepEqual([...tshEnv.keys()].filter((name) => name.startsWith('TELEPORT_')).sort(), [
        'TELEPORT_HOME',
      ]);
      assert.equal(tshEnv.get('TZ'), 'UTC');

      // The same generation again is idempotent: acknowledged, LeaseStarted reported again.
      const again = startDb('lease-db-1', 60_000);
      assert.equal(value(await cp.ack(again), 'commandAck').ok, true);
      await cp.waitFor(is('leaseStarted', 'lease-db-1'), cp.received.indexOf(await cp.ack(again)));

      const stop = cp.send({
        case: 'stopLease',
        value: { leaseId: 'lease-db-1', generation: 1, reason: LeaseExitReason.STOPPED },
      });
      assert.equal(value(await cp.ack(stop), 'commandAck').ok, true);
      const exited = value(await cp.waitFor(is('leaseExited', 'lease-db-1'), since), 'leaseExited');
      assert.equal(exited.reason, LeaseExitReason.STOPPED);
      assert.equal(pidAlive(s.pid), false);
    });

    it('reports a lease that cannot start as LeaseFailed with the classified error', async () => {
      const since = cp.mark;
      startDb('lease-missing', 60_000, 1, 'no-such-db');
      const failed = value(
        await cp.waitFor(is('leaseFailed', 'lease-missing'), since),
        'leaseFailed',
      );
      assert.equal(failed.errorCode, 'not_found');
      assert.match(failed.message, /no-such-db/);
    });

    it('kills the process group at expires_at, re-armed by ExtendLease; stale generations are ignored', async () => {
      const since = cp.mark;
      startDb('lease-ttl', 2_500);
      const s = await started('lease-ttl', since);
      const newDeadline = Date.now() + 4_000;
      const extend = cp.send({
        case: 'extendLease',
        value: { leaseId: 'lease-ttl', generation: 2, expiresAt: timestampFromMs(newDeadline) },
      });
      assert.equal(value(await cp.ack(extend), 'commandAck').ok, true);
      const stale = cp.send({
        case: 'stopLease',
        value: { leaseId: 'lease-ttl', generation: 1, reason: LeaseExitReason.STOPPED },
      });
      const staleAck = value(await cp.ack(stale), 'commandAck');
      assert.equal(staleAck.ok, true);
      assert.match(staleAck.message, /^ignored: .*older than the running generation 2/);
      const exitedMsg = await cp.waitFor(is('leaseExited', 'lease-ttl'), since);
      const exited = value(exitedMsg, 'leaseExited');
      assert.equal(exited.reason, LeaseExitReason.EXPIRED);
      assert.equal(exited.generation, 2);
      assert.equal(pidAlive(s.pid), false);
      assert.ok(exitedMsg.at >= newDeadline, 'not killed at the first deadline');
      assert.ok(
        exitedMsg.at - newDeadline < 1_000,
        `killed ${exitedMsg.at - newDeadline} ms after expires_at`,
      );
    });

    it('bridges the stdio of a proxy_mcp lease over McpFrame messages', async () => {
      const since = cp.mark;
      cp.send({
        case: 'startLease',
        value: {
          spec: {
            leaseId: 'lease-mcp',
            generation: 1,
            kind: LeaseKind.PROXY_MCP,
            target: { case: 'mcp', value: { app: 'everything' } },
            expiresAt: timestampFromMs(Date.now() + 60_000),
          },
        },
      });
      await started('lease-mcp', since);
      const request = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'test', version: '1' },
        },
      };
      cp.send({
        case: 'mcpFrame',
        value: {
          leaseId: 'lease-mcp',
          generation: 1,
          data: Buffer.from(`${JSON.stringify(request)}\n`),
        },
      });
      let text = '';
      await cp.waitFor((m) => {
        if (!is('mcpFrame', 'lease-mcp')(m)) return false;
        text += Buffer.from(value(m, 'mcpFrame').data).toString('utf8');
        return text.includes('"id":1');
      }, since);
      assert.match(text, /"result"/);
      const stop = cp.send({
        case: 'stopLease',
        value: { leaseId: 'lease-mcp', generation: 1, reason: LeaseExitReason.STOPPED },
      });
      await cp.ack(stop);
      await cp.waitFor(is('leaseExited', 'lease-mcp'), since);
    });

    it('reconnects after the control plane restarts, and kills leases after the disconnect grace', async () => {
      let since = cp.mark;
      startDb('lease-grace', 600_000);
      const s = await started('lease-grace', since);
      // A short grace, announced in the Welcome of the next connection.
      cp.welcomeGraceMs = 1_500;
      cp.stop();
      await cp.start();
      since = cp.mark;
      const hello = value(await cp.waitFor(is('hello'), since), 'hello');
      assert.deepEqual(
        hello.leases.map((l) => [l.leaseId, l.pid]),
        [['lease-grace', s.pid]],
      );
      // A heartbeat proves the agent has the Welcome (and its grace); then the control plane
      // goes away for longer than the grace.
      await cp.waitFor(is('heartbeat'), since);
      cp.stop();
      const killed = await agent.waitLog(
        (l) => l.msg === 'lease process exited' && l.lease_id === 'lease-grace',
      );
      assert.equal(killed.reason, 'DISCONNECT_GRACE');
      assert.equal(pidAlive(s.pid), false);
      cp.welcomeGraceMs = 300_000;
      await cp.start();
      const report = value(
        await cp.waitFor(is('leaseExited', 'lease-grace'), since),
        'leaseExited',
      );
      assert.equal(report.reason, LeaseExitReason.DISCONNECT_GRACE);
    });

    it('after a SIGKILL, re-adopts a leftover lease, reports it in Hello and still enforces its deadline', async () => {
      let since = cp.mark;
      startDb('lease-leftover', 6_000);
      const s = await started('lease-leftover', since);
      const expiresAt = Date.now() + 6_000;
      agent.child.kill('SIGKILL');
      await agent.exited;
      assert.equal(pidAlive(s.pid), true, 'the lease outlives the agent');
      since = cp.mark;
      agent = startAgent(config);
      const hello = value(await cp.waitFor(is('hello'), since), 'hello');
      const item = hello.leases.find((l) => l.leaseId === 'lease-leftover');
      assert.equal(item?.pid, s.pid);
      assert.ok(Math.abs(timestampMs(item.deadline ?? timestampFromMs(0)) - expiresAt) < 2_000);
      await agent.waitLog(
        (l) =>
          typeof l.msg === 'string' &&
          l.msg.startsWith('re-adopted a lease') &&
          l.lease_id === 'lease-leftover',
      );
      assert.equal(await exists(leaseHome('lease-leftover')), true);
      const exited = value(
        await cp.waitFor(is('leaseExited', 'lease-leftover'), since),
        'leaseExited',
      );
      assert.equal(exited.reason, LeaseExitReason.EXPIRED);
      assert.equal(pidAlive(s.pid), false);
      // Its TELEPORT_HOME outlived the restart; it goes once the re-adopted lease has ended.
      await waitFor(async () => !(await exists(leaseHome('lease-leftover'))));
    });

    it('with leftover_policy kill-all, kills leftovers after a SIGKILL and reports them as reaped', async () => {
      let since = cp.mark;
      startDb('lease-reap', 600_000);
      const s = await started('lease-reap', since);
      agent.child.kill('SIGKILL');
      await agent.exited;
      assert.equal(await exists(leaseHome('lease-reap')), true);
      since = cp.mark;
      agent = startAgent(await writeConfig('agent-kill-all.yaml', 'leftover_policy: kill-all'));
      const hello = value(await cp.waitFor(is('hello'), since), 'hello');
      assert.deepEqual(hello.leases, []);
      const reaped = hello.reaped.find((r) => r.leaseId === 'lease-reap');
      assert.equal(reaped?.reason, ReapReason.NOT_ADOPTABLE);
      assert.equal(reaped.pid, s.pid);
      assert.equal(pidAlive(s.pid), false);
      assert.equal(await exists(leaseHome('lease-reap')), false, 'the TELEPORT_HOME is removed');
    });

    it('on SIGTERM stops every lease, reports AGENT_SHUTDOWN, saves an empty state and exits 0', async () => {
      const since = cp.mark;
      startDb('lease-shutdown', 600_000);
      const s = await started('lease-shutdown', since);
      agent.child.kill('SIGTERM');
      const exited = value(
        await cp.waitFor(is('leaseExited', 'lease-shutdown'), since),
        'leaseExited',
      );
      assert.equal(exited.reason, LeaseExitReason.AGENT_SHUTDOWN);
      assert.deepEqual(await agent.exited, { code: 0, signal: null });
      assert.equal(pidAlive(s.pid), false);
      const state = JSON.parse(await readFile(path.join(dataDir, 'leases.json'), 'utf8')) as {
        leases: unknown[];
      };
      assert.deepEqual(state.leases, []);
      assert.ok(
        agent.logs.some(
          (l) => l.msg === 'tmcp-agent stopped all leases, saved its state and exits',
        ),
      );
    });
  },
);
