// Test support: runs the real bin/tsh and bin/tctl as child processes against a private state
// file, and tracks every long-running child so a test can never leave one behind.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintIdentity, simBinDir } from '../index.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class SimHarness {
  readonly dir = mkdtempSync(join(tmpdir(), 'teleport-sim-'));
  readonly statePath = join(this.dir, 'state.json');
  private readonly children = new Set<ChildProcessWithoutNullStreams>();

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TELEPORT_SIM_STATE: this.statePath,
      HOME: this.dir,
      ...extra,
    };
    for (const key of Object.keys(env)) {
      if (key.startsWith('TELEPORT_SIM_') && key !== 'TELEPORT_SIM_STATE' && !(key in extra))
        delete env[key];
    }
    return env;
  }

  /** An identity file for `user`, valid `ttlSeconds` from now. */
  identity(user: string, ttlSeconds = 3600): string {
    const path = join(this.dir, `${user}-${ttlSeconds}.id`);
    mintIdentity({ user, ttlSeconds, path });
    return path;
  }

  /** Global flags of a tsh call as `user`. */
  tshAs(user: string, ttlSeconds = 3600): string[] {
    return ['-i', this.identity(user, ttlSeconds), '--proxy', 'teleport.example.com:443'];
  }

  spawn(
    bin: 'tsh' | 'tctl',
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ): ChildProcessWithoutNullStreams {
    const child = spawn(join(simBinDir(), bin), args, { env: this.env(env), stdio: 'pipe' });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  run(
    bin: 'tsh' | 'tctl',
    args: string[],
    options: { env?: NodeJS.ProcessEnv; stdin?: string } = {},
  ): Promise<RunResult> {
    const child = this.spawn(bin, args, options.env);
    child.stdin.end(options.stdin ?? '');
    return collect(child);
  }

  async cleanup(): Promise<void> {
    await Promise.all(
      [...this.children].map((c) => {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        return exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function collect(child: ChildProcessWithoutNullStreams): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** Resolves with stdout so far once it matches `pattern` (rejects if the process exits first). */
export function waitForOutput(
  child: ChildProcessWithoutNullStreams,
  pattern: RegExp,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const onData = (c: Buffer): void => {
      out += c.toString();
      if (pattern.test(out)) {
        child.stdout.off('data', onData);
        resolve(out);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) =>
      reject(new Error(`exited with ${String(code)} before ${String(pattern)}: ${out} ${err}`)),
    );
  });
}

export function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export const RED_ERROR = '\x1b[31mERROR: \x1b[0m';
