// Runs tsh/tctl for one Teleport cluster: absolute binary, argv array, never a shell, a minimal
// environment with an isolated TELEPORT_HOME, each process in its own process group so a timeout
// or stop kills everything it started. Short commands are capped (time, output, concurrency) and
// identical concurrent reads share one process; long-running ones (proxies, MCP servers) report
// readiness and the address they listen on.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { AppError } from '@tmcp/errors';
import { classifyTeleportError } from './classify-teleport-error.js';
import { validateClusterConnection, type ClusterConnection } from './cluster-connection.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { LineSplitter } from './line-splitter.js';
import { truncationNotice } from './output-truncation.js';
import { withPrivateResourceFile } from './private-resource-file.js';
import type { ReadinessDetector, ReadySignal } from './readiness-detectors.js';
import { redact } from './redact.js';
import { TctlArgvBuilder, isTctlMutableKind } from './tctl-argv-builder.js';
import { TshArgvBuilder } from './tsh-argv-builder.js';
import { validateResourceName } from './validators.js';

export type TeleportTool = 'tsh' | 'tctl';

export interface TeleportRunnerConfig {
  /** Absolute paths, or bare names resolved once against PATH when the runner is built. */
  binaries: { tsh?: string; tctl?: string };
  cluster: ClusterConnection;
  timeoutMs?: number;
  /** SIGTERM → this grace → SIGKILL, on the whole process group. */
  killGraceMs?: number;
  /**
   * Per stream; beyond it the capture is cut and marked (parsers then refuse it with
   * limit_exceeded, see output-truncation.ts).
   */
  maxOutputBytes?: number;
  maxConcurrent?: number;
  /** Names of variables copied from `baseEnv` into the child environment. */
  envAllowList?: readonly string[];
  /** Extra variables set in the child environment (cannot override TELEPORT_HOME or PATH). */
  extraEnv?: Readonly<Record<string, string>>;
  /** Where PATH, HOME and allow-listed variables are read (default: this process's env). */
  baseEnv?: Readonly<Record<string, string | undefined>>;
}

export interface RunOptions {
  /** A read: identical concurrent reads (same argv, same cluster) share one process. */
  read?: boolean;
  /** Written to stdin, then stdin is closed; without it stdin is not connected. */
  stdin?: string;
  timeoutMs?: number;
  /**
   * Return stdout unredacted, for a parser that needs exact values (it must not log or store
   * them). By default stdout is redacted like everything else.
   */
  rawStdout?: boolean;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  /** Always redacted. */
  stderr: string;
  durationMs: number;
  /** Whether stdout or stderr exceeded maxOutputBytes. */
  truncated: boolean;
}

export interface OutputLine {
  stream: 'stdout' | 'stderr';
  /** Redacted. */
  text: string;
}

export interface LongRunningOptions {
  readiness: ReadinessDetector;
  /** Default 15 s. */
  readyTimeoutMs?: number;
  onLine?: (line: OutputLine) => void;
  /**
   * `bridge`: stdin and stdout are handed to the caller (stdio MCP servers, `tsh proxy ssh`); only
   * stderr goes to onLine. `lines` (default): stdin closed, both streams read as lines.
   */
  stdio?: 'lines' | 'bridge';
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LongRunningProcess {
  readonly pid: number;
  /** The process group (the process leads its own group). */
  readonly pgid: number;
  /** Known once ready, when the banner names an address. */
  readonly listenAddr: string | undefined;
  /** Resolves on the readiness banner; rejects with a classified AppError if it exits first. */
  readonly ready: Promise<ReadySignal>;
  readonly exited: Promise<ProcessExit>;
  /** In `bridge` mode. */
  readonly stdin: Writable | undefined;
  readonly stdout: Readable | undefined;
  /** SIGTERM the group, SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<ProcessExit>;
}

export const RUNNER_DEFAULTS = {
  timeoutMs: 30_000,
  killGraceMs: 2_000,
  maxOutputBytes: 4 * 1024 * 1024,
  maxConcurrent: 8,
  readyTimeoutMs: 15_000,
} as const;

const STDERR_TAIL_BYTES = 16 * 1024;

type BinaryResolution = { path: string } | { error: AppError };

export class TeleportRunner {
  readonly tsh: TshArgvBuilder;
  readonly tctl: TctlArgvBuilder;
  private readonly cluster: ClusterConnection;
  private readonly binaries: Record<TeleportTool, BinaryResolution>;
  private readonly limiter: ConcurrencyLimiter;
  private readonly env: Record<string, string>;
  private readonly inflightReads = new Map<string, Promise<RunResult>>();
  private readonly timeoutMs: number;
  private readonly killGraceMs: number;
  private readonly maxOutputBytes: number;

  constructor(config: TeleportRunnerConfig) {
    this.cluster = validateClusterConnection(config.cluster);
    this.tsh = new TshArgvBuilder(this.cluster);
    this.tctl = new TctlArgvBuilder(this.cluster);
    this.timeoutMs = positive(config.timeoutMs, RUNNER_DEFAULTS.timeoutMs, 'timeoutMs');
    this.killGraceMs = positive(config.killGraceMs, RUNNER_DEFAULTS.killGraceMs, 'killGraceMs');
    this.maxOutputBytes = positive(
      config.maxOutputBytes,
      RUNNER_DEFAULTS.maxOutputBytes,
      'maxOutputBytes',
    );
    this.limiter = new ConcurrencyLimiter(
      positive(config.maxConcurrent, RUNNER_DEFAULTS.maxConcurrent, 'maxConcurrent'),
    );
    const baseEnv = config.baseEnv ?? process.env;
    this.env = buildChildEnv(
      baseEnv,
      this.cluster.home,
      config.envAllowList ?? [],
      config.extraEnv ?? {},
    );
    this.binaries = {
      tsh: resolveBinary('tsh', config.binaries.tsh, baseEnv.PATH),
      tctl: resolveBinary('tctl', config.binaries.tctl, baseEnv.PATH),
    };
  }

  /** The absolute path of a tool; throws binary_missing when it could not be resolved. */
  binaryPath(tool: TeleportTool): string {
    const r = this.binaries[tool];
    if ('error' in r) throw r.error;
    return r.path;
  }

  /** Runs a short command. Non-zero exit, timeout or spawn failure → classified AppError. */
  run(tool: TeleportTool, argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (!options.read || options.stdin !== undefined) return this.runLimited(tool, argv, options);
    const key = JSON.stringify([
      tool,
      this.cluster.proxy,
      this.cluster.home,
      options.rawStdout === true,
      argv,
    ]);
    const existing = this.inflightReads.get(key);
    if (existing) return existing;
    const promise = this.runLimited(tool, argv, options).finally(() =>
      this.inflightReads.delete(key),
    );
    this.inflightReads.set(key, promise);
    return promise;
  }

  /**
   * `tctl create [-f]` of one resource document. It is written as JSON (valid YAML, so no YAML
   * quoting pitfalls) to a private temporary file that is removed afterwards.
   */
  async createResource(
    document: { kind: string; metadata: { name: string } } & Record<string, unknown>,
    options: { force?: boolean } = {},
  ): Promise<RunResult> {
    if (!isTctlMutableKind(document.kind)) {
      throw AppError.badParameter('kind', `cannot create resources of kind "${document.kind}"`);
    }
    validateResourceName(document.metadata.name, 'metadata.name');
    return withPrivateResourceFile(`${JSON.stringify(document, null, 2)}\n`, (file) =>
      this.run('tctl', this.tctl.create(file, options)),
    );
  }

  private async runLimited(
    tool: TeleportTool,
    argv: readonly string[],
    options: RunOptions,
  ): Promise<RunResult> {
    const binary = this.binaryPath(tool);
    return this.limiter.run(() => this.spawnOnce(tool, binary, argv, options));
  }

  private spawnOnce(
    tool: TeleportTool,
    binary: string,
    argv: readonly string[],
    options: RunOptions,
  ): Promise<RunResult> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const started = performance.now();
    return new Promise<RunResult>((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(binary, argv, {
          shell: false,
          detached: true,
          env: this.env,
          stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        });
      } catch (err) {
        reject(
          classifyTeleportError({
            tool,
            argv,
            binary,
            exitCode: null,
            stderr: '',
            spawnError: err as Error,
          }),
        );
        return;
      }
      const stdout = new CappedCapture(this.maxOutputBytes);
      const stderr = new CappedCapture(this.maxOutputBytes);
      child.stdout?.on('data', (c: Buffer) => stdout.push(c));
      child.stderr?.on('data', (c: Buffer) => stderr.push(c));
      if (options.stdin !== undefined && child.stdin) {
        child.stdin.on('error', () => undefined); // EPIPE if it exits without reading
        child.stdin.end(options.stdin);
      }

      let timedOut = false;
      let killTimer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined) {
          const pid = child.pid;
          killGroup(pid, 'SIGTERM');
          killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), this.killGraceMs);
        }
      }, timeoutMs);

      // A spawn failure (binary removed since start-up, EACCES) emits 'error' and may never emit
      // 'close'; settle on whichever comes first.
      let settled = false;
      child.once('error', (err) => {
        if (child.pid !== undefined || settled) return;
        settled = true;
        clearTimeout(timer);
        reject(
          classifyTeleportError({
            tool,
            argv,
            binary,
            exitCode: null,
            stderr: '',
            spawnError: err,
          }),
        );
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        if (settled) return;
        settled = true;
        // The group may outlive its leader only through a timeout; make sure nothing stays.
        if (timedOut && child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
        const durationMs = Math.round(performance.now() - started);
        const rawErr = stderr.text();
        if (timedOut) {
          reject(
            classifyTeleportError({
              tool,
              argv,
              exitCode: code,
              stderr: rawErr,
              timedOut: true,
              timeoutMs,
            }),
          );
          return;
        }
        const exitCode = code ?? (signal ? 128 + signalNumber(signal) : 1);
        if (exitCode !== 0) {
          reject(classifyTeleportError({ tool, argv, exitCode: code, stderr: rawErr }));
          return;
        }
        resolve({
          exitCode,
          stdout: options.rawStdout ? stdout.text() : stdout.text(redact),
          stderr: stderr.text(redact),
          durationMs,
          truncated: stdout.truncated || stderr.truncated,
        });
      });
    });
  }

  /**
   * Starts a long-running command (local proxy, VNet, stdio MCP server) in its own process group.
   * Resolves once spawned; `ready` tells when it serves. Not counted against maxConcurrent.
   */
  async startLongRunning(
    tool: TeleportTool,
    argv: readonly string[],
    options: LongRunningOptions,
  ): Promise<LongRunningProcess> {
    const binary = this.binaryPath(tool);
    const bridge = options.stdio === 'bridge';
    const child = spawn(binary, argv, {
      shell: false,
      detached: true,
      env: this.env,
      stdio: [bridge ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err) =>
        reject(
          classifyTeleportError({
            tool,
            argv,
            binary,
            exitCode: null,
            stderr: '',
            spawnError: err,
          }),
        ),
      );
    });
    const pid = child.pid;
    if (pid === undefined) throw AppError.internal(new Error('spawned process has no pid'));
    return new RunningProcess(child, pid, tool, argv, options, this.killGraceMs);
  }
}

class RunningProcess implements LongRunningProcess {
  readonly pgid: number;
  readonly ready: Promise<ReadySignal>;
  readonly exited: Promise<ProcessExit>;
  readonly stdin: Writable | undefined;
  readonly stdout: Readable | undefined;
  private address: string | undefined;
  private exit: ProcessExit | undefined;
  private stderrTail = '';

  constructor(
    child: ChildProcess,
    readonly pid: number,
    tool: TeleportTool,
    argv: readonly string[],
    options: LongRunningOptions,
    private readonly defaultGraceMs: number,
  ) {
    this.pgid = pid;
    const bridge = options.stdio === 'bridge';
    this.stdin = bridge ? (child.stdin ?? undefined) : undefined;
    this.stdout = bridge ? (child.stdout ?? undefined) : undefined;
    this.stdin?.on('error', () => undefined);

    let settleReady:
      | { resolve: (s: ReadySignal) => void; reject: (e: AppError) => void; done: boolean }
      | undefined;
    this.ready = new Promise<ReadySignal>((resolve, reject) => {
      settleReady = { resolve, reject, done: false };
    });
    // Callers may only await `exited`; a failed start must not become an unhandled rejection.
    this.ready.catch(() => undefined);
    const markReady = (signal: ReadySignal): void => {
      if (!settleReady || settleReady.done) return;
      settleReady.done = true;
      this.address = signal.listenAddr;
      settleReady.resolve(signal);
    };
    const failReady = (err: AppError): void => {
      if (!settleReady || settleReady.done) return;
      settleReady.done = true;
      settleReady.reject(err);
    };

    const emit = (stream: OutputLine['stream'], raw: string): void => {
      if (stream === 'stdout' && !bridge) {
        const signal = options.readiness.detect(raw);
        if (signal) markReady(signal);
      }
      options.onLine?.({ stream, text: redact(raw) });
    };
    const stdoutLines = new LineSplitter((l) => emit('stdout', l));
    const stderrLines = new LineSplitter((l) => emit('stderr', l));
    if (!bridge) child.stdout?.on('data', (c: Buffer) => stdoutLines.push(c));
    child.stderr?.on('data', (c: Buffer) => {
      this.stderrTail = (this.stderrTail + c.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      stderrLines.push(c);
    });

    const readyTimeoutMs = options.readyTimeoutMs ?? RUNNER_DEFAULTS.readyTimeoutMs;
    const readyTimer = setTimeout(() => {
      failReady(
        new AppError(
          'timeout',
          `${tool} ${argv
            .filter((a) => !a.startsWith('-'))
            .slice(0, 2)
            .join(
              ' ',
            )} did not become ready within ${readyTimeoutMs / 1000} s and was stopped; check the target and the proxy's reachability.`,
          { details: { stderr: redact(this.stderrTail) } },
        ),
      );
      void this.stop();
    }, readyTimeoutMs);
    if (options.readiness.onSpawn) markReady({});

    this.exited = new Promise<ProcessExit>((resolve) => {
      child.once('close', (code, signal) => {
        clearTimeout(readyTimer);
        stdoutLines.end();
        stderrLines.end();
        this.exit = { code, signal };
        // Anything the leader left in its group goes with it.
        killGroup(this.pgid, 'SIGKILL');
        failReady(classifyTeleportError({ tool, argv, exitCode: code, stderr: this.stderrTail }));
        resolve(this.exit);
      });
    });
    this.ready.then(
      () => clearTimeout(readyTimer),
      () => clearTimeout(readyTimer),
    );
  }

  get listenAddr(): string | undefined {
    return this.address;
  }

  async stop(graceMs: number = this.defaultGraceMs): Promise<ProcessExit> {
    if (this.exit) return this.exit;
    killGroup(this.pgid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(this.pgid, 'SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Signals a whole process group; false when it is already gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ESRCH: already gone. EPERM: the id now belongs to someone else's process; never touch it.
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw err;
  }
}

class CappedCapture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    if (this.size >= this.max) {
      this.truncated = true;
      return;
    }
    const room = this.max - this.size;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (chunk.length > room) this.truncated = true;
    this.chunks.push(part);
    this.size += part.length;
  }

  /** The captured text through `transform` (redaction), then the notice if it was cut. */
  text(transform: (body: string) => string = (body) => body): string {
    const body = transform(Buffer.concat(this.chunks).toString('utf8'));
    return this.truncated ? `${body}${truncationNotice(this.max)}` : body;
  }
}

function resolveBinary(
  tool: TeleportTool,
  configured: string | undefined,
  pathVar: string | undefined,
): BinaryResolution {
  const name = configured ?? tool;
  const missing = (detail: string): BinaryResolution => ({
    error: new AppError(
      'binary_missing',
      `the ${tool} binary ${detail}; install the Teleport client tools on this host or set ${tool}_path in the configuration (the cluster's or the agent's) to its absolute path.`,
      { details: { binary: name } },
    ),
  });
  const isExecutable = (p: string): boolean => {
    try {
      accessSync(p, fsConstants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (path.isAbsolute(name)) {
    return isExecutable(name)
      ? { path: name }
      : missing(`${name} was not found or is not executable`);
  }
  if (name.includes('/') || name.length === 0)
    return missing(`"${name}" must be an absolute path or a bare name`);
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue; // relative PATH entries would depend on the cwd
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return { path: candidate };
  }
  return missing(`"${name}" was not found on PATH`);
}

const CORE_ENV = new Set(['PATH', 'HOME', 'TELEPORT_HOME', 'LANG']);

function buildChildEnv(
  base: Readonly<Record<string, string | undefined>>,
  home: string,
  allowList: readonly string[],
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: base.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    TELEPORT_HOME: home,
    LANG: 'C.UTF-8',
  };
  if (base.HOME !== undefined) env.HOME = base.HOME;
  for (const name of allowList) {
    const value = base[name];
    if (!CORE_ENV.has(name) && value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (CORE_ENV.has(name))
      throw AppError.badParameter(`extraEnv.${name}`, 'cannot override a variable the runner sets');
    env[name] = value;
  }
  return env;
}

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw AppError.badParameter(field, 'must be a positive number');
  return value;
}

function signalNumber(signal: NodeJS.Signals): number {
  const n: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGKILL: 9,
    SIGTERM: 15,
  };
  return n[signal] ?? 0;
}
