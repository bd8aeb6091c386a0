// Starts a lease's tsh process with @tmcp/teleport: one TeleportRunner per lease so each gets its
// own TELEPORT_HOME (<teleport_home_root>/<cluster>/<lease_id>, removed when the process ends, or
// by release() for a leftover from before a restart),
// spawned in its own process group, readiness from its banner. The interface lets the supervisor
// be tested without processes.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import {
  TeleportRunner,
  type OutputLine,
  type ProcessExit,
  type ReadySignal,
  validateClusterName,
} from '@tmcp/teleport';
import { leaseInvocation, validateLeaseId, type ParsedLease } from './lease-command.js';
import type { ProcessInspector } from './process-inspector.js';

export interface LeaseProcess {
  readonly pid: number;
  readonly pgid: number;
  /** /proc start time at spawn, to verify the pid after a restart. */
  readonly startTime: string | undefined;
  readonly ready: Promise<ReadySignal>;
  readonly exited: Promise<ProcessExit>;
  /** stdio-bridged kinds only. */
  readonly stdin: Writable | undefined;
  readonly stdout: Readable | undefined;
  /** SIGTERM to the group, SIGKILL after graceMs; resolves on exit. */
  stop(graceMs: number): Promise<ProcessExit>;
}

export interface LeaseProcessLauncher {
  /** Spawns the lease's process; rejects with a classified AppError when it cannot start. */
  launch(lease: ParsedLease, onLine: (line: OutputLine) => void): Promise<LeaseProcess>;
  /**
   * Removes what a launch left on disk (the lease's TELEPORT_HOME) once a process this agent
   * did not spawn in this life — a leftover from before a restart — is gone.
   */
  release(lease: { leaseId: string; cluster: string }): Promise<void>;
}

export interface TeleportLeaseLauncherOptions {
  tshPath: string;
  teleportHomeRoot: string;
  inspector: ProcessInspector;
  /** Variables of the agent's environment passed to tsh (TELEPORT_CLIENT_ENV). */
  envAllowList: readonly string[];
  baseEnv?: Readonly<Record<string, string | undefined>>;
  readyTimeoutMs?: number;
}

export class TeleportLeaseLauncher implements LeaseProcessLauncher {
  constructor(private readonly options: TeleportLeaseLauncherOptions) {}

  async launch(lease: ParsedLease, onLine: (line: OutputLine) => void): Promise<LeaseProcess> {
    const home = this.homeOf(lease.cluster.name, lease.leaseId);
    await mkdir(home, { recursive: true, mode: 0o700 });
    const runner = new TeleportRunner({
      binaries: { tsh: this.options.tshPath },
      cluster: {
        proxy: lease.cluster.proxy,
        home,
        ...(lease.cluster.identityFile === undefined
          ? {}
          : { identityFile: lease.cluster.identityFile }),
      },
      envAllowList: this.options.envAllowList,
      ...(this.options.baseEnv === undefined ? {} : { baseEnv: this.options.baseEnv }),
    });
    const invocation = leaseInvocation(runner.tsh, lease);
    let running;
    try {
      running = await runner.startLongRunning('tsh', invocation.argv, {
        readiness: invocation.readiness,
        stdio: invocation.stdio,
        onLine,
        ...(this.options.readyTimeoutMs === undefined
          ? {}
          : { readyTimeoutMs: this.options.readyTimeoutMs }),
      });
    } catch (err) {
      await rm(home, { recursive: true, force: true });
      throw err;
    }
    const startTime = this.options.inspector.startTime(running.pid);
    void running.exited.then(() =>
      rm(home, { recursive: true, force: true }).catch(() => undefined),
    );
    return {
      pid: running.pid,
      pgid: running.pgid,
      startTime,
      ready: running.ready,
      exited: running.exited,
      stdin: running.stdin,
      stdout: running.stdout,
      stop: (graceMs) => running.stop(graceMs),
    };
  }

  async release(lease: { leaseId: string; cluster: string }): Promise<void> {
    // The names come from the state file: validated again, so no path can leave the root.
    await rm(
      this.homeOf(validateClusterName(lease.cluster, 'cluster'), validateLeaseId(lease.leaseId)),
      {
        recursive: true,
        force: true,
      },
    );
  }

  /** <teleport_home_root>/<cluster>/<lease_id>, as launch creates it. */
  private homeOf(cluster: string, leaseId: string): string {
    return path.join(this.options.teleportHomeRoot, cluster, leaseId);
  }
}
