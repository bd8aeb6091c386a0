// The built-in local agent (local_agent.enabled): the control plane runs the same `tmcp-agent`
// as a jumpbox would, as a supervised child process — enrolled in-process with a join token
// when its data dir holds no identity from this CA, restarted with backoff when it exits, its
// JSON log re-emitted here, and told to stop (SIGTERM: it stops its leases and reports
// AGENT_SHUTDOWN) in onModuleDestroy, which Nest runs before every beforeApplicationShutdown —
// so before the agent port and the lease workers close.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import type { Logger } from 'pino';
import { AGENT_CA } from '../agents/agent-ca.token.js';
import { AgentServiceServer } from '../agents/agent-service.server.js';
import type { CertificateAuthority } from '../agents/certificate-authority.js';
import { JoinTokensService } from '../agents/join-tokens.service.js';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { LOGGER } from '../logging/logger.token.js';
import { resolveAgentCommand, type AgentCommand } from './agent-binary.js';
import { AgentLogForwarder } from './agent-log-forwarder.js';
import {
  buildLocalAgentConfig,
  clustersWithOtherTsh,
  LOCAL_AGENT_CONFIG_FILE,
  LOCAL_AGENT_LABELS,
  localAgentDataDir,
  localAgentEnvironment,
  localAgentName,
  localAgentServerAddress,
  restartDelayMs,
} from './local-agent-config.js';
import { AGENT_CA_FILE, AGENT_RECORD_FILE, decideEnrollment } from './local-agent-enrollment.js';

/** The pid of the running agent, so a control plane that was SIGKILLed can stop its orphan. */
const PID_FILE = 'local-agent.pid';
/** A run that lasted this long resets the backoff. */
const STABLE_RUN_MS = 60_000;
/** The agent stops every lease (SIGTERM, grace, SIGKILL) before it exits; then SIGKILL. */
const STOP_TIMEOUT_MS = 30_000;
const JOIN_TOKEN_TTL_SECONDS = 300;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

@Injectable()
export class LocalAgentSupervisor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;
  private stopping = false;
  private child: ChildProcess | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(AGENT_CA) private readonly ca: CertificateAuthority,
    private readonly agentServer: AgentServiceServer,
    private readonly tokens: JoinTokensService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'local-agent' });
  }

  /** Starts supervising in the background: a local agent that fails never stops the server. */
  onApplicationBootstrap(): void {
    if (!this.config.localAgent.enabled) return;
    // AgentsModule is imported by LocalAgentModule, so Nest bootstraps it (and binds the port) first.
    if (this.agentServer.port === 0) {
      throw new AppError('internal', 'the local agent needs the agent port, which is not bound');
    }
    const others = clustersWithOtherTsh(this.config);
    if (others.length > 0) {
      this.log.warn(
        { clusters: others },
        "the local agent runs one tsh binary (the first cluster's tsh_path) for every cluster",
      );
    }
    this.loop = this.supervise();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const child = this.child;
    if (child !== undefined) await terminate(child, this.log);
    await this.loop;
  }

  private async supervise(): Promise<void> {
    const agent = resolveAgentCommand();
    const dataDir = localAgentDataDir(this.config);
    this.log.info(
      { data_dir: dataDir, binary: agent.prefix[0] ?? agent.command },
      'starting the built-in local agent',
    );
    let failures = 0;
    while (!this.stopping) {
      const startedAt = Date.now();
      try {
        const configFile = await this.prepare(agent, dataDir);
        if (this.stopping) break;
        const exit = await this.spawnAgent(agent, dataDir, [
          'run',
          '--data-dir',
          dataDir,
          '--config',
          configFile,
        ]);
        if (this.stopping) break;
        this.log.warn(
          { exit_code: exit.code, signal: exit.signal },
          'the local agent exited unexpectedly',
        );
      } catch (error) {
        if (this.stopping) break;
        this.log.error({ err: error }, 'the local agent could not be started');
      }
      if (Date.now() - startedAt >= STABLE_RUN_MS) failures = 0;
      const delayMs = restartDelayMs(failures++);
      this.log.info({ restart_in_ms: delayMs }, 'restarting the local agent');
      await this.sleep(delayMs);
    }
    await unlink(path.join(dataDir, PID_FILE)).catch(() => undefined);
  }

  /** Stops an orphan, enrolls if needed and writes the agent's config; returns its path. */
  private async prepare(agent: AgentCommand, dataDir: string): Promise<string> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await stopOrphan(path.join(dataDir, PID_FILE), this.log);
    const serverAddress = localAgentServerAddress(
      this.config.agentService.host,
      this.agentServer.port,
    );
    const decision = decideEnrollment(
      {
        recordText: await readIfExists(path.join(dataDir, AGENT_RECORD_FILE)),
        caPem: await readIfExists(path.join(dataDir, AGENT_CA_FILE)),
      },
      this.ca.pin,
      new Date(),
    );
    if (decision.enroll) {
      this.log.info({ reason: decision.reason }, 'enrolling the local agent');
      await this.enroll(agent, dataDir, serverAddress, decision.replace);
    }
    const configFile = path.join(dataDir, LOCAL_AGENT_CONFIG_FILE);
    const agentConfig = buildLocalAgentConfig(this.config, { serverAddress, dataDir });
    // JSON is YAML; the file is regenerated at every start.
    await writeFile(configFile, `${JSON.stringify(agentConfig, null, 2)}\n`, { mode: 0o600 });
    return configFile;
  }

  /** `tmcp-agent enroll` with a fresh one-time token, handed over in a 0600 file. */
  private async enroll(
    agent: AgentCommand,
    dataDir: string,
    serverAddress: string,
    replace: boolean,
  ): Promise<void> {
    const { token } = await this.tokens.create({
      ttlSeconds: JOIN_TOKEN_TTL_SECONDS,
      labels: { ...LOCAL_AGENT_LABELS },
      description: 'built-in local agent',
      createdBy: 'tmcp-server (local agent)',
    });
    const tokenDir = await mkdtemp(path.join(tmpdir(), 'tmcp-local-agent-'));
    try {
      const tokenFile = path.join(tokenDir, 'join-token');
      await writeFile(tokenFile, token, { mode: 0o600 });
      const exit = await this.spawnAgent(agent, dataDir, [
        'enroll',
        '--server',
        serverAddress,
        '--token-file',
        tokenFile,
        '--ca-pin',
        this.ca.pin,
        '--data-dir',
        dataDir,
        '--name',
        localAgentName(hostname()),
        ...(replace ? ['--force'] : []),
      ]);
      if (exit.code !== 0) {
        throw new AppError(
          'unavailable',
          `tmcp-agent enroll failed (exit ${exit.code ?? exit.signal ?? 'unknown'}); see its log lines`,
        );
      }
    } finally {
      await rm(tokenDir, { recursive: true, force: true });
    }
  }

  /** Runs the agent with `args` until it exits; its output goes to the log. */
  private spawnAgent(agent: AgentCommand, dataDir: string, args: string[]): Promise<Exit> {
    if (this.stopping) {
      return Promise.reject(new AppError('unavailable', 'the control plane is shutting down'));
    }
    return new Promise<Exit>((resolve, reject) => {
      // Its own process group: a terminal's Ctrl-C reaches the control plane, which then stops
      // the agent in order (leases first, while the agent port is still open).
      const child = spawn(agent.command, [...agent.prefix, ...args], {
        env: localAgentEnvironment(process.env),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      this.child = child;
      const stdout = new AgentLogForwarder(this.log, 'info');
      const stderr = new AgentLogForwarder(this.log, 'warn');
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.write(chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.write(chunk));
      const pidFile = path.join(dataDir, PID_FILE);
      if (args[0] === 'run' && child.pid !== undefined) {
        writeFile(pidFile, `${child.pid}\n`, { mode: 0o600 }).catch((error: unknown) =>
          this.log.warn({ err: error }, 'cannot write the local agent pid file'),
        );
      }
      child.once('error', (error) => {
        this.child = undefined;
        reject(
          new AppError('unavailable', `cannot run ${agent.command}: ${error.message}`, {
            cause: error,
          }),
        );
      });
      child.once('close', (code, signal) => {
        this.child = undefined;
        stdout.flush();
        stderr.flush();
        resolve({ code, signal });
      });
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** SIGTERM to the agent, SIGKILL (its group) if it has not exited within STOP_TIMEOUT_MS. */
async function terminate(child: ChildProcess, log: Logger): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  log.info({ pid: child.pid }, 'stopping the local agent');
  child.kill('SIGTERM');
  const force = setTimeout(() => {
    log.warn({ pid: child.pid }, 'the local agent did not stop in time; killing it');
    signalGroup(child.pid, 'SIGKILL');
  }, STOP_TIMEOUT_MS);
  await closed;
  clearTimeout(force);
}

/**
 * A local agent left running by a control plane that was killed (SIGKILL, OOM) would hold the
 * same identity as the one about to start: stop it first. The pid is only trusted when its
 * command line is still a `tmcp-agent run`.
 */
async function stopOrphan(pidFile: string, log: Logger): Promise<void> {
  const text = await readIfExists(pidFile);
  const pid = Number(text?.trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  const cmdline = await readIfExists(`/proc/${pid}/cmdline`);
  if (cmdline === undefined) return;
  const argv = cmdline.split('\0');
  if (!argv.some((arg) => arg.endsWith('tmcp-agent') || arg.endsWith('tmcp-agent.js'))) return;
  if (!argv.includes('run')) return;
  log.warn({ pid }, 'a local agent of an earlier run is still alive; stopping it');
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (alive(pid)) signalGroup(pid, 'SIGKILL');
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    // The agent leads its own group (detached); its lease processes have groups of their own.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}
