// One isolated world for a lease end-to-end test: its own database, Redis key prefix, agent CA
// dir, data dirs and fixed loopback ports (so a control plane can be restarted where its agents
// expect it), the simulator as tsh, and the real binaries — `tmcp-server serve` (one or more
// replicas) and `tmcp-agent enroll`/`run`. close() kills every process it started (and any lease
// process left behind), drops the database and deletes the prefix's Redis keys.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Redis } from 'ioredis';
import {
  createE2eDatabase,
  createSimCluster,
  E2E_REDIS_URL,
  REPO_ROOT,
  serverBin,
  type E2eDatabase,
  type SimCluster,
} from '../support/index.js';

export const AGENT_BIN =
  process.env.TMCP_E2E_AGENT_BIN ??
  path.join(REPO_ROOT, 'apps', 'edge-agent', 'bin', 'tmcp-agent.js');

/** Generous: a loaded 2-core machine runs several suites at once. */
export const EVENT_TIMEOUT_MS = 60_000;
export const CLUSTER = 'main';

export type LogLine = Record<string, unknown>;

/** A spawned binary: its output as JSON lines, waits on them, exit and signals. */
export class LoggedProcess {
  private text = '';
  private readonly parsed: LogLine[] = [];
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const take = (chunk: string): void => {
      this.text += chunk;
      const lines = this.text.split('\n');
      this.text = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) {
          this.parsed.push({ msg: line, raw: true });
          continue;
        }
        try {
          this.parsed.push(JSON.parse(line) as LogLine);
        } catch {
          this.parsed.push({ msg: line, raw: true });
        }
      }
      for (const wake of this.waiters) wake();
    };
    child.stdout?.setEncoding('utf8').on('data', take);
    child.stderr?.setEncoding('utf8').on('data', take);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        for (const wake of this.waiters) wake();
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** A cursor: waitLog(…, mark) only looks at lines logged after it. */
  get mark(): number {
    return this.parsed.length;
  }

  lines(): readonly LogLine[] {
    return this.parsed;
  }

  output(): string {
    return this.parsed.map((l) => (l.raw === true ? String(l.msg) : JSON.stringify(l))).join('\n');
  }

  /** The first line from `since` on that matches; rejects on exit or after the timeout. */
  waitLog(
    match: (line: LogLine) => boolean,
    since = 0,
    timeoutMs = EVENT_TIMEOUT_MS,
  ): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.parsed.slice(since).find(match);
        if (found !== undefined) {
          done();
          resolve(found);
        } else if (!this.running) {
          done();
          reject(new Error(`${this.name} exited before the expected log line\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`${this.name}: no matching log line within ${timeoutMs} ms\n${this.tail()}`),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  tail(n = 40): string {
    return this.output().split('\n').slice(-n).join('\n');
  }

  /** SIGTERM (or `signal`), SIGKILL after 10 s; resolves once it is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    const force = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(force);
  }
}

export interface ServerProcess extends LoggedProcess {
  readonly mcpUrl: string;
  readonly agentAddr: string;
  readonly caPin: string;
}

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ToolOutcome<S = Record<string, unknown>> {
  isError: boolean;
  text: string;
  structured: S;
  /** The error code of a failed call (tool error or JSON-RPC error data). */
  code?: string;
}

export interface LeaseResult {
  lease_id: string;
  kind: string;
  status: string;
  listen_addr: string | null;
  agent_id: string | null;
  expires_at: string;
  pid: number | null;
  generation: number;
  error: string | null;
}

export interface WorldOptions {
  /** Merged into the server configuration file. */
  server?: Record<string, unknown>;
  /** agent_service overrides (heartbeat, grace…). */
  agentService?: Record<string, unknown>;
}

export interface AgentHandle {
  name: string;
  agentId: string;
  dataDir: string;
  config: string;
}

export class LeaseWorld {
  readonly dir: string;
  readonly redisPrefix = `tmcp-e2e-leases-${randomBytes(5).toString('hex')}`;
  readonly servers: ServerProcess[] = [];
  readonly agents: LoggedProcess[] = [];
  private readonly clients: Client[] = [];
  /** Lease process groups seen, killed in close() if anything survived. */
  readonly leasePids = new Set<number>();
  apiKey = '';

  private constructor(
    readonly db: E2eDatabase,
    readonly sim: SimCluster,
    readonly agentPort: number,
    private readonly serverConfig: Record<string, unknown>,
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'tmcp-e2e-leases-'));
  }

  static async create(options: WorldOptions = {}): Promise<LeaseWorld> {
    const db = await createE2eDatabase();
    const sim = createSimCluster();
    const agentPort = await freePort();
    const config = {
      service: { log_level: 'info' },
      grpc: { host: '127.0.0.1', port: 0 },
      teleport: { clusters: [sim.clusterEntry(CLUSTER, sim.identity('admin', '1h'))] },
      rate_limit: { enabled: false },
      ...options.server,
      agent_service: {
        host: '127.0.0.1',
        port: agentPort,
        heartbeat_interval_seconds: 1,
        ...options.agentService,
      },
    };
    const world = new LeaseWorld(db, sim, agentPort, config);
    return world;
  }

  /** The first control plane, an admin API key and the MCP client's key. */
  async start(): Promise<ServerProcess> {
    const server = await this.startServer();
    const created = JSON.parse(
      (
        await this.serverCli([
          'principals',
          'create',
          '--name',
          'e2e-lease-user',
          '--role',
          'admin',
          '--kind',
          'user',
          '--json',
        ])
      ).stdout,
    ) as { api_key: string };
    this.apiKey = created.api_key;
    return server;
  }

  private serverEnv(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: this.dir,
      TMCP_DATABASE__URL: this.db.url,
      TMCP_REDIS__URL: E2E_REDIS_URL,
      TMCP_REDIS__KEY_PREFIX: this.redisPrefix,
      TMCP_SERVICE__HOST: '127.0.0.1',
      TMCP_SERVICE__PORT: '0',
      TMCP_AGENT_SERVICE__CA_DIR: path.join(this.dir, 'ca'),
    };
  }

  private configFile(agentPort: number): string {
    const file = path.join(this.dir, `tmcp-${agentPort}.yaml`);
    const config = {
      ...this.serverConfig,
      agent_service: { ...(this.serverConfig.agent_service as object), port: agentPort },
    };
    writeFileSync(file, JSON.stringify(config, null, 2));
    return file;
  }

  /** Starts a control plane replica (same database, Redis prefix and CA); its agent port too. */
  async startServer(agentPort = this.agentPort): Promise<ServerProcess> {
    const child = spawn(
      process.execPath,
      [serverBin(), 'serve', '--config', this.configFile(agentPort)],
      { env: this.serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const proc = new LoggedProcess(`tmcp-server:${agentPort}`, child);
    const server = proc as LoggedProcess & { mcpUrl: string; agentAddr: string; caPin: string };
    this.servers.push(server);
    const agentLine = await proc.waitLog((l) => l.msg === 'agent service listening');
    const listening = await proc.waitLog((l) => l.msg === 'listening');
    server.mcpUrl = `${String(listening.http_url)}/mcp`;
    server.agentAddr = String(agentLine.agent_addr);
    server.caPin = String(agentLine.ca_pin);
    return server;
  }

  async serverCli(args: readonly string[]): Promise<CliOutcome> {
    return run(
      serverBin(),
      [...args, '--config', this.configFile(this.agentPort)],
      this.serverEnv(),
    );
  }

  /** `tmcp-server tokens create --json`. */
  async createToken(
    ttl?: string,
  ): Promise<{ token: string; ca_pin: string; server: string; expires_at: string }> {
    const out = await this.serverCli([
      'tokens',
      'create',
      '--json',
      ...(ttl === undefined ? [] : ['--ttl', ttl]),
    ]);
    if (out.code !== 0) throw new Error(`tokens create failed: ${out.stderr}`);
    return JSON.parse(out.stdout) as {
      token: string;
      ca_pin: string;
      server: string;
      expires_at: string;
    };
  }

  agentEnv(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: this.dir };
  }

  /** `tmcp-agent …` to completion. */
  async agentCli(args: readonly string[]): Promise<CliOutcome> {
    return run(AGENT_BIN, args, this.agentEnv());
  }

  /**
   * Enrolls an agent with a fresh token and only the CA pin tokens create printed, then writes
   * its config — without server.address: `run` takes the address stored at enrollment.
   */
  async enrollAgent(
    name: string,
    options: { tshPath?: string; identity?: string; extra?: Record<string, unknown> } = {},
  ): Promise<AgentHandle> {
    const token = await this.createToken();
    const dataDir = path.join(this.dir, `agent-${name}`);
    const out = await this.agentCli([
      'enroll',
      '--server',
      token.server,
      '--token',
      token.token,
      '--ca-pin',
      token.ca_pin,
      '--data-dir',
      dataDir,
      '--name',
      name,
    ]);
    if (out.code !== 0) throw new Error(`enroll failed (${out.code}): ${out.stderr}`);
    const cluster = this.sim.clusterEntry(
      CLUSTER,
      options.identity ?? this.sim.identity('alice', '1h'),
    );
    const config = path.join(this.dir, `agent-${name}.yaml`);
    writeFileSync(
      config,
      JSON.stringify({
        data_dir: dataDir,
        tsh_path: options.tshPath ?? cluster.tsh_path,
        clusters: [{ name: CLUSTER, proxy: cluster.proxy, identity_file: cluster.identity_file }],
        stop_grace_seconds: 1,
        heartbeat_interval_seconds: 1,
        log_level: 'debug',
        log_batch: { flush_interval_ms: 200 },
        ...options.extra,
      }),
    );
    return { name, agentId: out.stdout.trim(), dataDir, config };
  }

  /** `tmcp-agent run`; resolves once it is connected (unless `connected: false`). */
  async runAgent(
    agent: AgentHandle,
    options: { connected?: boolean } = {},
  ): Promise<LoggedProcess> {
    const child = spawn(process.execPath, [AGENT_BIN, 'run', '--config', agent.config], {
      env: this.agentEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new LoggedProcess(`tmcp-agent:${agent.name}`, child);
    this.agents.push(proc);
    if (options.connected !== false) {
      await proc.waitLog((l) => l.msg === 'connected to the control plane');
    }
    return proc;
  }

  /** An MCP client (SDK v2) with the world's API key, on `server` (default: the first). */
  async mcp(server: ServerProcess = this.servers[0]!): Promise<McpCaller> {
    const client = new Client({ name: 'tmcp-e2e-leases', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${this.apiKey}` } },
      }),
    );
    this.clients.push(client);
    return new McpCaller(client, this);
  }

  /** Deletes this world's Redis keys (SCAN + DEL on its prefix only; other suites share Redis). */
  async flushRedisPrefix(): Promise<number> {
    const redis = new Redis(E2E_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
    await redis.connect();
    let deleted = 0;
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(
          cursor,
          'MATCH',
          `${this.redisPrefix}:*`,
          'COUNT',
          500,
        );
        cursor = next;
        if (keys.length > 0) deleted += await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      await redis.quit();
    }
    return deleted;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.clients.map((c) => c.close()));
    // Agents first (SIGTERM: they stop their leases), then the servers.
    await Promise.allSettled(this.agents.map((a) => a.stop()));
    await Promise.allSettled(this.servers.map((s) => s.stop()));
    for (const pid of this.leasePids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    await this.flushRedisPrefix().catch(() => undefined);
    await this.db.drop().catch(() => undefined);
    this.sim.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Calls tools and normalizes tool errors and JSON-RPC errors into one outcome. */
export class McpCaller {
  constructor(
    readonly client: Client,
    private readonly world: LeaseWorld,
  ) {}

  async call<S = Record<string, unknown>>(
    name: string,
    args: Record<string, unknown>,
  ): Promise<ToolOutcome<S>> {
    try {
      const result = await this.client.callTool({ name, arguments: args }, { timeout: 120_000 });
      const text = (result.content as { type: string; text?: string }[])
        .map((c) => c.text ?? '')
        .join('\n');
      const structured = (result.structuredContent ?? {}) as S & { error?: { code?: string } };
      const code = result.isError === true ? structured.error?.code : undefined;
      const lease = structured as unknown as Partial<LeaseResult>;
      if (typeof lease.pid === 'number') this.world.leasePids.add(lease.pid);
      return {
        isError: result.isError === true,
        text,
        structured,
        ...(code === undefined ? {} : { code }),
      };
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      const data = error.data as { code?: string } | undefined;
      return {
        isError: true,
        text: error.message,
        structured: {} as S,
        ...(data?.code === undefined ? {} : { code: data.code }),
      };
    }
  }

  /** start_proxy for a proxy_db lease on the simulator's `pg` database; fails the test if refused. */
  async startDb(args: Record<string, unknown> = {}): Promise<LeaseResult> {
    const out = await this.call<LeaseResult>('start_proxy', {
      kind: 'proxy_db',
      target: { db: 'pg', db_user: 'postgres', db_name: 'test' },
      reason: 'e2e: lease test',
      ...args,
    });
    if (out.isError) throw new Error(`start_proxy refused: ${out.text}`);
    return out.structured;
  }

  async status(leaseId: string): Promise<LeaseResult> {
    const out = await this.call<LeaseResult>('get_proxy_status', { lease_id: leaseId });
    if (out.isError) throw new Error(`get_proxy_status: ${out.text}`);
    return out.structured;
  }

  /** Polls get_proxy_status until `match` (the control plane converges through reports). */
  async statusUntil(
    leaseId: string,
    match: (lease: LeaseResult) => boolean,
    timeoutMs = EVENT_TIMEOUT_MS,
  ): Promise<LeaseResult> {
    const deadline = Date.now() + timeoutMs;
    let last: LeaseResult | undefined;
    while (Date.now() < deadline) {
      last = await this.status(leaseId);
      if (match(last)) return last;
      await delay(200);
    }
    throw new Error(
      `lease ${leaseId} did not reach the expected state; last: ${JSON.stringify(last)}`,
    );
  }

  /** Polls get_proxy_logs until a line matches (the agent ships logs in ~1 s batches). */
  async logLineUntil(
    leaseId: string,
    pattern: RegExp,
    timeoutMs = EVENT_TIMEOUT_MS,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const out = await this.call<{ lines: { line: string }[] }>('get_proxy_logs', {
        lease_id: leaseId,
      });
      if (out.isError) throw new Error(`get_proxy_logs: ${out.text}`);
      const found = out.structured.lines.find((l) => pattern.test(l.line));
      if (found !== undefined) return found.line;
      last = out.text;
      await delay(200);
    }
    throw new Error(`no log line of lease ${leaseId} matched ${String(pattern)}; last: ${last}`);
  }
}

/** Whether a process (or, with a negative id, a process group) exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Polls (every 20 ms) until the process and its group are gone; resolves with the time seen gone. */
export async function gone(pid: number, timeoutMs = EVENT_TIMEOUT_MS): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) || alive(-pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still alive after ${timeoutMs} ms`);
    await delay(20);
  }
  return Date.now();
}

/** Whether something accepts TCP connections at host:port. */
export function accepts(address: string): Promise<boolean> {
  const idx = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = connect({ host: address.slice(0, idx), port: Number(address.slice(idx + 1)) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A free loopback port (for a second replica's agent port). */
export { freePort };

function run(bin: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliOutcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}
