// Starts a real control plane (`tmcp-server serve`, built) on its own database and Redis key
// prefix, with the admin gRPC API and the agent port on free loopback ports, and runs the built
// `tmcpctl` (and, on request, a real `tmcp-agent`) against it as a user would. Everything it
// starts is stopped, and the database, the Redis keys and the temporary files are removed, by
// stop().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { deleteRedisKeys, E2E_REDIS_URL } from '../support/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The server binary; TMCP_TEST_SERVER_BIN lets a suite run against another build. */
const SERVER_BIN =
  process.env.TMCP_TEST_SERVER_BIN ?? path.join(root, 'apps/control-plane/bin/tmcp-server.js');
const CTL_BIN = path.join(root, 'apps/admin-cli/bin/tmcpctl.js');
const AGENT_BIN = path.join(root, 'apps/edge-agent/bin/tmcp-agent.js');
const MAINTENANCE_URL =
  process.env.TMCP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CtlOptions {
  token?: string | undefined;
  env?: Record<string, string>;
  /**
   * How tmcpctl trusts the server: `ca` (default) verifies with the control plane's ca_file,
   * `insecure` skips verification, `system` uses the system roots (which do not know our CA).
   */
  tls?: 'ca' | 'insecure' | 'system';
}

type LogEntry = Record<string, unknown>;

export interface RunningAgent {
  agentId: string;
  /** Resolves with the first log line of the agent whose msg matches (and `where` accepts). */
  untilLog(msg: RegExp, where?: (entry: LogEntry) => boolean): Promise<LogEntry>;
  stop(): Promise<void>;
}

export interface AdminHarness {
  /** `host:port` of the admin API. */
  grpcAddr: string;
  adminToken: string;
  /** Runs tmcpctl to completion. */
  ctl(args: readonly string[], options?: CtlOptions): Promise<Outcome>;
  /** Starts tmcpctl and returns the child (for follow modes). */
  spawnCtl(args: readonly string[], options?: CtlOptions): ChildProcess;
  /** `tmcp-server principals create --json`: a principal made outside the admin API. */
  createPrincipal(name: string, role: string): Promise<{ principal_id: string; api_key: string }>;
  /** Runs SQL on the server's database (to seed rows the admin API only reads). */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    params?: unknown[],
  ): Promise<R[]>;
  /** Resolves with the first server log line (past or future) whose msg matches. */
  untilServerLog(msg: RegExp): Promise<LogEntry>;
  /**
   * A client certificate with subject CN=`name` (and clientAuth usage), issued by the admin
   * client CA the server trusts (grpc.tls.ca_file) — or by another CA with `foreign`. Made with
   * openssl, as an operator would. Returns the PEM file paths.
   */
  clientCertificate(name: string, options?: { foreign?: boolean }): { cert: string; key: string };
  /** Enrolls a real tmcp-agent with `joinToken` and runs it until it is connected. */
  startAgent(joinToken: string): Promise<RunningAgent>;
  stop(): Promise<void>;
}

export async function startAdminHarness(): Promise<AdminHarness> {
  const suffix = randomBytes(5).toString('hex');
  const dbName = `tmcp_e2e_admin_${suffix}`;
  const redisPrefix = `tmcp-e2e-admin-${suffix}`;
  await maintenance(`CREATE DATABASE "${dbName}"`);
  const dbUrl = new URL(MAINTENANCE_URL);
  dbUrl.pathname = `/${dbName}`;
  const home = mkdtempSync(path.join(tmpdir(), 'tmcp-e2e-admin-'));
  const caDir = path.join(home, 'ca');
  const adminCa = makeCa(home, 'admin-client-ca');
  const foreignCa = makeCa(home, 'foreign-ca');
  const serverEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    TMCP_DATABASE__URL: dbUrl.toString(),
    TMCP_DATABASE__MIGRATE_ON_START: 'true',
    TMCP_REDIS__URL: E2E_REDIS_URL,
    TMCP_REDIS__KEY_PREFIX: `${redisPrefix}:`,
    TMCP_SERVICE__HOST: '127.0.0.1',
    TMCP_SERVICE__PORT: '0',
    TMCP_SERVICE__LOG_LEVEL: 'info',
    TMCP_GRPC__HOST: '127.0.0.1',
    TMCP_GRPC__PORT: '0',
    // Admin client certificates of this CA name principals (API keys keep working).
    TMCP_GRPC__TLS__CA_FILE: adminCa.cert,
    TMCP_AGENT_SERVICE__HOST: '127.0.0.1',
    TMCP_AGENT_SERVICE__PORT: '0',
    TMCP_AGENT_SERVICE__CA_DIR: caDir,
    // Agents reconcile their inventory on every heartbeat: a second keeps the suite quick.
    TMCP_AGENT_SERVICE__HEARTBEAT_INTERVAL_SECONDS: '1',
  };

  const children = new Set<ChildProcess>();
  const db = new pg.Client({ connectionString: dbUrl.toString() });
  let dbConnected = false;
  const cleanup = async (): Promise<void> => {
    // Agents first (they would reconnect), then tmcpctl children, then the server.
    for (const child of [...children].reverse()) await stopChild(child);
    if (dbConnected) await db.end().catch(() => undefined);
    await maintenance(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
    await deleteRedisKeys(redisPrefix).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  };

  try {
    const server = spawn(process.execPath, [SERVER_BIN, 'serve'], {
      env: serverEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(server);
    const serverLog = new JsonLog(server);
    const listening = await serverLog.until(/^listening$/, server);
    const adminLine = await serverLog.until(/^admin grpc listening$/);
    const grpcAddr = adminLine.grpc_addr;
    const caFile = adminLine.ca_file;
    const agentAddr = (await serverLog.until(/^agent service listening$/)).agent_addr;
    if (
      typeof grpcAddr !== 'string' ||
      typeof caFile !== 'string' ||
      typeof agentAddr !== 'string'
    ) {
      throw new Error(`the server logged no admin/agent address: ${JSON.stringify(listening)}`);
    }
    await db.connect();
    dbConnected = true;

    const run = (args: readonly string[], options: CtlOptions = {}): ChildProcess => {
      const child = spawn(process.execPath, [CTL_BIN, ...args], {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          TMCPCTL_SERVER: grpcAddr,
          ...(options.tls === 'insecure'
            ? { TMCPCTL_INSECURE: 'true' }
            : options.tls === 'system'
              ? {}
              : { TMCPCTL_CA: caFile }),
          ...(options.token === undefined ? {} : { TMCPCTL_TOKEN: options.token }),
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    };
    const runServerCli = (args: readonly string[]): Promise<Outcome> =>
      collect(
        spawn(process.execPath, [SERVER_BIN, ...args], {
          env: serverEnv,
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
    const createPrincipal = async (
      name: string,
      role: string,
    ): Promise<{ principal_id: string; api_key: string }> => {
      const out = await runServerCli([
        'principals',
        'create',
        '--name',
        name,
        '--role',
        role,
        '--kind',
        'user',
        '--json',
      ]);
      if (out.code !== 0) throw new Error(`principals create failed: ${out.stderr}`);
      return JSON.parse(out.stdout) as { principal_id: string; api_key: string };
    };
    const startAgent = async (joinToken: string): Promise<RunningAgent> => {
      const dataDir = mkdtempSync(path.join(home, 'agent-'));
      const agentEnv = { PATH: process.env.PATH ?? '', HOME: home };
      const enrolled = await collect(
        spawn(
          process.execPath,
          [
            AGENT_BIN,
            'enroll',
            '--server',
            agentAddr,
            '--token',
            joinToken,
            '--ca-file',
            path.join(caDir, 'ca.crt'),
            '--data-dir',
            dataDir,
          ],
          { env: agentEnv, stdio: ['ignore', 'pipe', 'pipe'] },
        ),
      );
      if (enrolled.code !== 0) throw new Error(`tmcp-agent enroll failed: ${enrolled.stderr}`);
      const agentId = enrolled.stdout.trim();
      const agent = spawn(process.execPath, [AGENT_BIN, 'run'], {
        env: {
          ...agentEnv,
          TMCP_SERVER__ADDRESS: agentAddr,
          TMCP_DATA_DIR: dataDir,
          TMCP_HEARTBEAT_INTERVAL_SECONDS: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(agent);
      const agentLog = new JsonLog(agent);
      await agentLog.until(/^connected to the control plane$/, agent);
      return {
        agentId,
        untilLog: (msg, where) => agentLog.until(msg, agent, where),
        stop: async () => {
          await stopChild(agent);
          children.delete(agent);
        },
      };
    };

    const admin = await createPrincipal('e2e-admin', 'admin');
    return {
      grpcAddr,
      adminToken: admin.api_key,
      ctl: (args, options = {}) => collect(run(args, { token: admin.api_key, ...options })),
      spawnCtl: (args, options = {}) => run(args, { token: admin.api_key, ...options }),
      createPrincipal,
      sql: async <R extends pg.QueryResultRow>(text: string, params: unknown[] = []) =>
        (await db.query<R>(text, params)).rows,
      untilServerLog: (msg) => serverLog.until(msg, server),
      clientCertificate: (name, options = {}) =>
        issueClientCertificate(home, options.foreign === true ? foreignCa : adminCa, name),
      startAgent,
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** The JSON log lines a process prints on stdout, kept so a wait can match past lines too. */
class JsonLog {
  private readonly lines: LogEntry[] = [];
  private readonly waiters = new Set<(entry: LogEntry) => void>();
  private stderr = '';

  constructor(child: ChildProcess) {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let entry: LogEntry;
      try {
        entry = JSON.parse(line) as LogEntry;
      } catch {
        return;
      }
      this.lines.push(entry);
      for (const waiter of this.waiters) waiter(entry);
    });
  }

  until(
    msg: RegExp,
    child?: ChildProcess,
    where: (entry: LogEntry) => boolean = () => true,
  ): Promise<LogEntry> {
    const matches = (entry: LogEntry): boolean =>
      typeof entry.msg === 'string' && msg.test(entry.msg) && where(entry);
    const seen = this.lines.find(matches);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => {
        this.waiters.delete(waiter);
        reject(new Error(`process exited (${String(code)}) before logging ${msg}: ${this.stderr}`));
      };
      const waiter = (entry: LogEntry): void => {
        if (!matches(entry)) return;
        this.waiters.delete(waiter);
        child?.off('exit', onExit);
        resolve(entry);
      };
      this.waiters.add(waiter);
      child?.once('exit', onExit);
    });
  }
}

export function collect(child: ChildProcess): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface FollowedCtl {
  /** Resolves with everything printed so far once stdout matches `pattern`. */
  until(pattern: RegExp): Promise<string>;
  /** The whole outcome once the process has ended. */
  done: Promise<Outcome>;
}

/** Watches a follow-mode tmcpctl: output accumulates, so no wait misses what came earlier. */
export function followCtl(child: ChildProcess): FollowedCtl {
  const done = collect(child);
  let text = '';
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (chunk: string) => {
    text += chunk;
    for (const waiter of waiters) waiter();
  });
  return {
    done,
    until: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (!pattern.test(text)) return false;
          waiters.delete(check);
          resolve(text);
          return true;
        };
        if (check()) return;
        waiters.add(check);
        void done.then((out) => {
          if (!check()) {
            reject(
              new Error(`tmcpctl ended before printing ${String(pattern)}: ${text}${out.stderr}`),
            );
          }
        });
      }),
  };
}

interface CaFiles {
  cert: string;
  key: string;
}

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): CaFiles {
  const files = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    files.key,
    '-out',
    files.cert,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  ]);
  return files;
}

function issueClientCertificate(dir: string, ca: CaFiles, name: string): CaFiles {
  const base = path.join(dir, `client-${name}-${randomBytes(3).toString('hex')}`);
  const files = { cert: `${base}.crt`, key: `${base}.key` };
  const extensions = `${base}.ext`;
  writeFileSync(extensions, 'extendedKeyUsage=clientAuth\n');
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    files.key,
    '-out',
    `${base}.csr`,
    '-subj',
    `/CN=${name}`,
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    extensions,
    '-out',
    files.cert,
  ]);
  return files;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function maintenance(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: MAINTENANCE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
