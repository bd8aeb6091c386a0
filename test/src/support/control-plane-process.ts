// Spawns the real `tmcp-server serve` with a config file of the test's own, collects its log,
// waits for the `listening` line, and stops it (SIGTERM, then SIGKILL) — call stop() in `after`.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { serverBin } from './paths.js';

const execFileAsync = promisify(execFile);

export interface ControlPlaneProcess {
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  readonly mcpUrl: string;
  readonly configPath: string;
  /** Everything the process printed so far (stdout and stderr). */
  log(): string;
  /** Runs another `tmcp-server` command with the same config and environment. */
  cli(args: readonly string[]): Promise<string>;
  /** Creates a user principal with `tmcp-server principals create` and returns its API key. */
  createPrincipal(name: string, role: string): Promise<string>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The configuration file content (JSON is YAML). database.url/redis.url come from env. */
  config: Record<string, unknown>;
  databaseUrl: string;
  redisUrl: string;
  /** Prefix for this server's Redis keys (default: a random one). */
  redisKeyPrefix: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export async function startControlPlane(options: StartOptions): Promise<ControlPlaneProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tmcp-e2e-cp-'));
  const configPath = path.join(dir, 'tmcp.yaml');
  writeFileSync(configPath, JSON.stringify(options.config, null, 2));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMCP_DATABASE__URL: options.databaseUrl,
    TMCP_REDIS__URL: options.redisUrl,
    TMCP_REDIS__KEY_PREFIX: options.redisKeyPrefix,
    TMCP_SERVICE__PORT: '0',
    TMCP_SERVICE__HOST: '127.0.0.1',
    // The other listeners on random loopback ports and a CA of this process's own, so that
    // servers of concurrent suites (or replicas of one suite) never collide.
    TMCP_GRPC__HOST: '127.0.0.1',
    TMCP_GRPC__PORT: '0',
    TMCP_AGENT_SERVICE__HOST: '127.0.0.1',
    TMCP_AGENT_SERVICE__PORT: '0',
    TMCP_AGENT_SERVICE__CA_DIR: path.join(dir, 'ca'),
    ...options.env,
  };
  const child = spawn(process.execPath, [serverBin(), 'serve', '--config', configPath], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const stop = (): Promise<void> =>
    stopProcess(child).finally(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const line = await waitForLogLine(
      child,
      () => output,
      (l) => l.msg === 'listening',
      options.startTimeoutMs ?? 30_000,
    );
    const baseUrl = String(line.http_url);
    const cli = async (args: readonly string[]): Promise<string> =>
      (
        await execFileAsync(process.execPath, [serverBin(), ...args, '--config', configPath], {
          env,
        })
      ).stdout;
    return {
      baseUrl,
      mcpUrl: `${baseUrl}/mcp`,
      configPath,
      log: () => output,
      cli,
      createPrincipal: async (name, role) => {
        const out = await cli([
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
        return (JSON.parse(out) as { api_key: string }).api_key;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n--- server output ---\n${output}`,
    );
  }
}

/** Resolves with the first JSON log line matching `match`; rejects on exit or timeout. */
export function waitForLogLine(
  child: ChildProcess,
  output: () => string,
  match: (line: Record<string, unknown>) => boolean,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      for (const text of output().split('\n')) {
        if (!text.startsWith('{')) continue;
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          if (match(line)) {
            cleanup();
            resolve(line);
            return true;
          }
        } catch {
          // a partial line; the next chunk completes it
        }
      }
      return false;
    };
    const onData = (): void => void check();
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`tmcp-server exited (code ${String(code)}) before the expected log line`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no matching log line within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    check();
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
