// Runs the built `tmcp-server` binary as a separate process for end-to-end tests.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export const BIN = fileURLToPath(new URL('../../bin/tmcp-server.js', import.meta.url));

/** The environment without any TMCP_ setting of the caller's (test harness variables aside). */
export function cleanEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('TMCP_') || key.startsWith('TMCP_TEST_')) env[key] = value;
  }
  return { ...env, ...overrides };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion. */
/**
 * Runs the binary to completion. A run that outlives `timeoutMs` (a `serve` that was expected to
 * refuse but started, say) is killed, so a failing test never leaves a server behind.
 */
export async function runBinary(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 45_000,
): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => {
    stderr += `\n[runBinary: killed after ${timeoutMs} ms]`;
    child.kill('SIGKILL');
  }, timeoutMs);
  try {
    const [code] = (await once(child, 'close')) as [number | null];
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** A long-running `tmcp-server serve`, its JSON log lines collected as they arrive. */
export class ServerProcess {
  readonly logs: Record<string, unknown>[] = [];
  stderr = '';
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private readonly exited: Promise<number | null>;
  private readonly waiters: {
    match: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    const lines = createInterface({ input: this.child.stdout });
    lines.on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { unparsed: text };
      }
      this.logs.push(line);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(line)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    });
  }

  get stdoutText(): string {
    return this.logs.map((line) => JSON.stringify(line)).join('\n');
  }

  /** The next log line (or one already seen) with this `msg`; rejects if the process exits first. */
  waitForLog(msg: string): Promise<Record<string, unknown>> {
    const seen = this.logs.find((line) => line.msg === msg);
    if (seen !== undefined) return Promise.resolve(seen);
    return Promise.race([
      new Promise<Record<string, unknown>>((resolve) =>
        this.waiters.push({ match: (line) => line.msg === msg, resolve }),
      ),
      this.exited.then((code) => {
        throw new Error(
          `tmcp-server exited (${String(code)}) before logging "${msg}": ${this.stderr}`,
        );
      }),
    ]);
  }

  /** Waits for the `listening` line and returns the URL it announced. */
  async listening(): Promise<string> {
    const line = await this.waitForLog('listening');
    if (typeof line.http_url !== 'string') throw new Error('listening line without http_url');
    return line.http_url;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  exitCode(): Promise<number | null> {
    return this.exited;
  }

  /** For after() hooks: make sure nothing is left running. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
