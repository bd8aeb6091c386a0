// Test support: a private simulated Teleport cluster (packages/teleport-sim) per test — its own
// state file and TELEPORT_HOME, identities minted by the simulator's `tctl auth sign`, and
// TeleportRunners whose binaries are the simulator's tsh/tctl (real child processes).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PolicyDecision } from '@tmcp/policy';
import { TeleportRunner } from '@tmcp/teleport';
import { CLUSTER_NAME, mintIdentity, simBinDir } from '@tmcp/teleport-sim';
import type { ToolContext } from '../mcp/tool-definition.js';
import type { ObservedCommand, TeleportRunnerSource } from './observed-runner.js';

export const SIM_PROXY = `${CLUSTER_NAME}:443`;

export class SimCluster {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'tmcp-sim-'));
  readonly statePath = path.join(this.dir, 'state.json');

  /** `tctl auth sign --user=<user>` as the auth service's built-in admin; ttl `expired` for an expired one. */
  identity(user: string, ttl = '1h'): string {
    const out = path.join(this.dir, `${user}-${ttl}.identity`);
    if (ttl === 'expired') {
      // tctl refuses a negative TTL; an identity that has since expired is minted directly.
      mintIdentity({ user, ttlSeconds: -3600, path: out });
      return out;
    }
    execFileSync(
      path.join(simBinDir(), 'tctl'),
      ['auth', 'sign', `--user=${user}`, '--format=file', `--out=${out}`, `--ttl=${ttl}`],
      {
        env: { PATH: process.env.PATH ?? '', HOME: this.dir, TELEPORT_SIM_STATE: this.statePath },
        stdio: 'ignore',
      },
    );
    return out;
  }

  /** A runner acting as `user` (the identity is minted on first use). */
  runner(
    user = 'admin',
    options: { ttl?: string; extraEnv?: Record<string, string> } = {},
  ): TeleportRunner {
    return new TeleportRunner({
      binaries: { tsh: path.join(simBinDir(), 'tsh'), tctl: path.join(simBinDir(), 'tctl') },
      cluster: {
        proxy: SIM_PROXY,
        identityFile: this.identity(user, options.ttl ?? '1h'),
        home: path.join(this.dir, `home-${user}`),
      },
      extraEnv: { TELEPORT_SIM_STATE: this.statePath, ...options.extraEnv },
      baseEnv: { PATH: process.env.PATH, HOME: this.dir },
    });
  }

  source(
    user = 'admin',
    options: { ttl?: string; extraEnv?: Record<string, string> } = {},
  ): TeleportRunnerSource {
    const runner = this.runner(user, options);
    return { runner: () => runner };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A ToolContext that records progress and commands. Built loosely (cast) so that fields the
 * gateway adds to ToolContext later do not break these tests; tools here use only what is set.
 */
export function recordingContext(reason: string | undefined = 'testing'): {
  ctx: ToolContext;
  progress: { progress: number; total?: number; message?: string }[];
  commands: ObservedCommand[];
} {
  const progress: { progress: number; total?: number; message?: string }[] = [];
  const commands: ObservedCommand[] = [];
  const ctx = {
    actor: { id: 'p-test', roles: ['admin'], kind: 'user', name: 'tester', via: 'api_key' },
    opId: 'op-test',
    requestId: '1',
    sessionId: undefined,
    decision: {
      allow: true,
      reason: 'test',
      rule: 'test',
      constraints: {},
    } as unknown as PolicyDecision,
    reason,
    ticket: undefined,
    signal: new AbortController().signal,
    progress: (p: number, total?: number, message?: string): Promise<void> => {
      progress.push({
        progress: p,
        ...(total === undefined ? {} : { total }),
        ...(message === undefined ? {} : { message }),
      });
      return Promise.resolve();
    },
    recordCommand: (c: ObservedCommand): void => void commands.push(c),
  } as unknown as ToolContext;
  return { ctx, progress, commands };
}
