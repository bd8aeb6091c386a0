// Runs the agent's leases: starts them from structured specs, reports their lifecycle, enforces
// each lease's deadline locally (SIGTERM to the process group, SIGKILL after the stop grace)
// whether or not the control plane is reachable, cuts them off after the disconnect grace,
// persists what runs after every change, and after a restart kills or re-adopts leftovers.
// The rules are the pure functions of lease-decisions.ts; side effects come in through `deps`.
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { AgentClusterConfig, LeftoverPolicy } from '@tmcp/config';
import { AppError, toAppError } from '@tmcp/errors';
import {
  AgentLeaseState,
  LeaseExitReason,
  ReapReason,
  type LeaseInventoryItemSchema,
  type LeaseSpec,
  type ReapedLeaseSchema,
  type AgentMessageSchema,
} from '@tmcp/proto';
import { redact, type OutputLine, type ProcessExit } from '@tmcp/teleport';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from './clock.js';
import { parseLeaseSpec, type ParsedLease } from './lease-command.js';
import {
  decideExtend,
  decideLeftover,
  decideStart,
  decideStop,
  killPlan,
  type LeaseKindName,
} from './lease-decisions.js';
import type { LeaseLogBatcher } from './lease-log-batcher.js';
import type { LeaseProcess, LeaseProcessLauncher } from './lease-process-launcher.js';
import type { LeaseStateStore, PersistedLease } from './lease-state-store.js';
import { probeLeftover, type ProcessInspector } from './process-inspector.js';

type AgentBody = NonNullable<MessageInitShape<typeof AgentMessageSchema>['body']>;
/** A lifecycle report for the control plane (LeaseStarted, LeaseFailed, LeaseExited). */
export type LeaseReport = Extract<
  AgentBody,
  { case: 'leaseStarted' | 'leaseFailed' | 'leaseExited' }
>;
export type LeaseInventoryItemInit = MessageInitShape<typeof LeaseInventoryItemSchema>;
export type ReapedLeaseInit = MessageInitShape<typeof ReapedLeaseSchema>;

export interface LeaseReportSink {
  report(report: LeaseReport): void;
  /** stdout bytes of a stdio-bridged MCP lease. */
  mcpOutput(leaseId: string, generation: number, data: Buffer): void;
}

/** The answer to a command (CommandAck without its id). */
export interface CommandOutcome {
  ok: boolean;
  errorCode?: string;
  message?: string;
}

const OK: CommandOutcome = { ok: true };

export interface LeaseSupervisorConfig {
  clusters: readonly AgentClusterConfig[];
  stopGraceMs: number;
  /** The agent's own limit; a shorter grace in the control plane's Welcome wins, never a longer one. */
  disconnectGraceMs: number;
  leftoverPolicy: LeftoverPolicy;
  /** How often an adopted process (not our child: no exit event) is checked; default 1 s. */
  adoptedPollMs?: number;
}

export interface LeaseSupervisorDeps {
  clock: Clock;
  launcher: LeaseProcessLauncher;
  store: LeaseStateStore;
  inspector: ProcessInspector;
  logs: LeaseLogBatcher;
  reports: LeaseReportSink;
  logger: Logger;
}

type LeaseState = 'starting' | 'running' | 'stopping';

interface SupervisedLease {
  leaseId: string;
  generation: number;
  kind: LeaseKindName;
  cluster: string;
  specKey: string;
  deadline: number;
  state: LeaseState;
  pid: number;
  pgid: number;
  startTime: string | undefined;
  listenAddr: string;
  /** Undefined for a re-adopted leftover (not our child) and before the spawn completes. */
  process: LeaseProcess | undefined;
  adopted: boolean;
  timer: TimerHandle | undefined;
  stopReason: LeaseExitReason | undefined;
  readyError: AppError | undefined;
  /** Resolves once the process is gone and reported. */
  gone: Promise<void>;
  markGone: () => void;
}

export class LeaseSupervisor {
  private readonly leases = new Map<string, SupervisedLease>();
  private disconnectedSince: number | undefined;
  private disconnectGraceMs: number;
  private draining = false;
  private readonly adoptedPollMs: number;

  constructor(
    private readonly config: LeaseSupervisorConfig,
    private readonly deps: LeaseSupervisorDeps,
  ) {
    this.disconnectGraceMs = config.disconnectGraceMs;
    this.adoptedPollMs = config.adoptedPollMs ?? 1_000;
    // Until a Welcome arrives the agent counts as disconnected (it may never reach the server).
    this.disconnectedSince = deps.clock.now();
  }

  // ---- commands ----

  startLease(spec: LeaseSpec): CommandOutcome {
    let lease: ParsedLease;
    try {
      lease = parseLeaseSpec(spec, this.config.clusters);
    } catch (err) {
      return refusal(err);
    }
    const current = this.leases.get(lease.leaseId);
    const decision = decideStart(current, lease, {
      draining: this.draining,
      now: this.deps.clock.now(),
    });
    switch (decision.action) {
      case 'spawn':
        this.spawn(lease);
        return OK;
      case 'report-again':
        // After the ack (the link sends it when this returns), as for a fresh start.
        if (current?.state === 'running') queueMicrotask(() => this.reportStarted(current));
        return OK;
      case 'adopt-generation':
        if (current === undefined) return OK;
        current.generation = lease.generation;
        current.deadline = lease.deadline;
        this.arm(current);
        void this.persist();
        if (current.state === 'running') queueMicrotask(() => this.reportStarted(current));
        return OK;
      case 'replace':
        if (current === undefined) return OK;
        void this.stop(current, LeaseExitReason.STOPPED).then(() => {
          if (!this.leases.has(lease.leaseId)) this.spawn(lease);
        });
        return OK;
      case 'ignore-stale':
        return stale(lease.leaseId, lease.generation, decision.running);
      case 'refuse-draining':
        return {
          ok: false,
          errorCode: 'precondition_failed',
          message: 'this agent is draining and accepts no new leases; choose another agent',
        };
      case 'refuse-expired':
        return {
          ok: false,
          errorCode: 'bad_parameter',
          message: `lease ${lease.leaseId}: expires_at is already past`,
        };
    }
  }

  stopLease(leaseId: string, generation: number, reason: LeaseExitReason): CommandOutcome {
    const current = this.leases.get(leaseId);
    const decision = decideStop(current, generation);
    switch (decision.action) {
      case 'already-stopped':
        return OK;
      case 'ignore-stale':
        return stale(leaseId, generation, decision.running);
      case 'stop':
        if (current !== undefined) {
          const why =
            reason === LeaseExitReason.EXPIRED ? LeaseExitReason.EXPIRED : LeaseExitReason.STOPPED;
          void this.stop(current, why);
        }
        return OK;
    }
  }

  extendLease(leaseId: string, generation: number, expiresAtMs: number): CommandOutcome {
    const current = this.leases.get(leaseId);
    const decision = decideExtend(current, generation, expiresAtMs, this.deps.clock.now());
    switch (decision.action) {
      case 'unknown-lease':
        return {
          ok: false,
          errorCode: 'not_found',
          message: `lease ${leaseId} is not running on this agent`,
        };
      case 'ignore-stale':
        return stale(leaseId, generation, decision.running);
      case 'refuse-expired':
        return {
          ok: false,
          errorCode: 'bad_parameter',
          message: `lease ${leaseId}: the new expires_at is already past`,
        };
      case 'unchanged':
        return OK;
      case 'extend':
        if (current === undefined || current.state === 'stopping') {
          return {
            ok: false,
            errorCode: 'conflict',
            message: `lease ${leaseId} is already stopping`,
          };
        }
        current.generation = generation;
        current.deadline = expiresAtMs;
        this.arm(current);
        void this.persist();
        this.deps.logger.info(
          { lease_id: leaseId, generation, deadline: new Date(expiresAtMs).toISOString() },
          'lease extended',
        );
        return OK;
    }
  }

  drain(reason: string): CommandOutcome {
    this.draining = true;
    this.deps.logger.info({ reason }, 'draining: no new leases will be accepted');
    return OK;
  }

  /** Bytes for the stdin of a stdio-bridged lease. */
  writeMcpInput(leaseId: string, generation: number, data: Uint8Array): void {
    const current = this.leases.get(leaseId);
    if (current?.process?.stdin === undefined || current.generation !== generation) {
      this.deps.logger.warn(
        { lease_id: leaseId, generation },
        'MCP input for a lease without a bridged process; dropped',
      );
      return;
    }
    current.process.stdin.write(data);
  }

  // ---- connection state ----

  /**
   * The stream is up (Welcome received); `graceMs` is the server's disconnect grace, if it gave
   * one. The shorter of it and the agent's own applies: the operator of the jumpbox can bound
   * how long leases outlive a lost control plane, whatever the server says.
   */
  connectionUp(graceMs?: number): void {
    this.disconnectGraceMs =
      graceMs !== undefined && graceMs > 0
        ? Math.min(graceMs, this.config.disconnectGraceMs)
        : this.config.disconnectGraceMs;
    this.disconnectedSince = undefined;
    for (const lease of this.leases.values()) this.arm(lease);
  }

  connectionDown(): void {
    if (this.disconnectedSince !== undefined) return;
    this.disconnectedSince = this.deps.clock.now();
    for (const lease of this.leases.values()) this.arm(lease);
    if (this.leases.size > 0) {
      this.deps.logger.warn(
        { leases: this.leases.size, grace_seconds: this.disconnectGraceMs / 1000 },
        'control plane unreachable: leases keep running until their deadline or the disconnect grace ends',
      );
    }
  }

  // ---- inventory ----

  inventory(): LeaseInventoryItemInit[] {
    return [...this.leases.values()]
      .filter((l) => l.pid > 0)
      .map((l) => ({
        leaseId: l.leaseId,
        generation: l.generation,
        pid: l.pid,
        pgid: l.pgid,
        listenAddr: l.listenAddr,
        deadline: timestampFromMs(l.deadline),
        state:
          l.state === 'starting'
            ? AgentLeaseState.STARTING
            : l.state === 'running'
              ? AgentLeaseState.RUNNING
              : AgentLeaseState.STOPPING,
      }));
  }

  get size(): number {
    return this.leases.size;
  }

  // ---- restart and shutdown ----

  /**
   * Handles the leases recorded before a restart: kills those whose deadline passed (or all,
   * per leftover_policy), re-adopts the others, forgets the gone. Returns what was reaped.
   */
  async recoverLeftovers(): Promise<ReapedLeaseInit[]> {
    const recorded = await this.deps.store.load();
    const reaped: ReapedLeaseInit[] = [];
    const now = this.deps.clock.now();
    await Promise.all(
      recorded.map(async (entry) => {
        const deadline = Date.parse(entry.deadline);
        const probe = probeLeftover(this.deps.inspector, {
          pid: entry.pid,
          pgid: entry.pgid,
          startTime: entry.start_time,
        });
        const decision = decideLeftover(probe, deadline, now, this.config.leftoverPolicy);
        const log = { lease_id: entry.lease_id, generation: entry.generation, pid: entry.pid };
        switch (decision.action) {
          case 'adopt':
            this.adopt(entry, deadline);
            this.deps.logger.info(
              { ...log, deadline: entry.deadline },
              're-adopted a lease left running before the restart; its deadline is enforced again, but its output cannot be re-attached (no more log lines from it)',
            );
            return;
          case 'kill':
            await this.killLeftover(entry.pgid);
            await this.releaseLeftover(entry.lease_id, entry.cluster);
            this.deps.logger.info(
              { ...log, reason: decision.reason },
              `killed a leftover lease process: ${decision.message}`,
            );
            reaped.push({
              leaseId: entry.lease_id,
              generation: entry.generation,
              pid: entry.pid,
              reason:
                decision.reason === 'deadline_passed'
                  ? ReapReason.DEADLINE_PASSED
                  : ReapReason.NOT_ADOPTABLE,
              message: decision.message,
            });
            return;
          case 'forget':
            // A process that could not be verified may still run and use its home: keep it.
            if (decision.reason === 'process_gone') {
              await this.releaseLeftover(entry.lease_id, entry.cluster);
            }
            this.deps.logger.info(
              { ...log, reason: decision.reason },
              `dropped a leftover lease record: ${decision.message}`,
            );
            reaped.push({
              leaseId: entry.lease_id,
              generation: entry.generation,
              pid: entry.pid,
              reason:
                decision.reason === 'process_gone'
                  ? ReapReason.PROCESS_GONE
                  : ReapReason.NOT_ADOPTABLE,
              message: decision.message,
            });
            return;
        }
      }),
    );
    await this.persist();
    return reaped;
  }

  /** Stops every lease (reason AGENT_SHUTDOWN) and persists the empty state. */
  async shutdown(): Promise<number> {
    this.draining = true;
    const all = [...this.leases.values()];
    await Promise.all(all.map((l) => this.stop(l, LeaseExitReason.AGENT_SHUTDOWN)));
    await this.persist();
    return all.length;
  }

  // ---- internals ----

  private spawn(lease: ParsedLease): void {
    let markGone!: () => void;
    const gone = new Promise<void>((resolve) => (markGone = resolve));
    const entry: SupervisedLease = {
      leaseId: lease.leaseId,
      generation: lease.generation,
      kind: lease.target.kind,
      cluster: lease.cluster.name,
      specKey: lease.specKey,
      deadline: lease.deadline,
      state: 'starting',
      pid: 0,
      pgid: 0,
      startTime: undefined,
      listenAddr: '',
      process: undefined,
      adopted: false,
      timer: undefined,
      stopReason: undefined,
      readyError: undefined,
      gone,
      markGone,
    };
    this.leases.set(lease.leaseId, entry);
    this.arm(entry);
    const log = { lease_id: lease.leaseId, generation: lease.generation, kind: lease.target.kind };
    this.deps.logger.info(log, 'starting lease');
    const onLine = (line: OutputLine): void => {
      this.deps.logs.append(
        entry.leaseId,
        entry.generation,
        line.stream,
        redact(line.text),
        new Date(this.deps.clock.now()),
      );
    };
    this.deps.launcher.launch(lease, onLine).then(
      (proc) => this.launched(entry, proc),
      (err: unknown) => {
        const error = toAppError(err);
        this.deps.logger.warn({ ...log, err, code: error.code }, 'lease failed to start');
        this.forget(entry);
        entry.markGone();
        this.deps.reports.report({
          case: 'leaseFailed',
          value: {
            leaseId: entry.leaseId,
            generation: entry.generation,
            errorCode: error.code,
            message: error.message,
          },
        });
        void this.persist();
      },
    );
  }

  private launched(entry: SupervisedLease, proc: LeaseProcess): void {
    entry.process = proc;
    entry.pid = proc.pid;
    entry.pgid = proc.pgid;
    entry.startTime = proc.startTime;
    void this.persist();
    if (proc.stdout !== undefined) {
      const bridged = entry.kind === 'proxy_mcp' || entry.kind === 'mcp_db';
      proc.stdout.on('data', (chunk: Buffer) => {
        if (bridged) this.deps.reports.mcpOutput(entry.leaseId, entry.generation, chunk);
      });
    }
    proc.ready.then(
      (signal) => {
        if (entry.state !== 'starting') return;
        entry.state = 'running';
        entry.listenAddr = signal.listenAddr ?? '';
        void this.persist();
        this.deps.logger.info(
          {
            lease_id: entry.leaseId,
            generation: entry.generation,
            pid: entry.pid,
            listen_addr: entry.listenAddr,
          },
          'lease ready',
        );
        this.reportStarted(entry);
      },
      (err: unknown) => {
        entry.readyError = toAppError(err);
      },
    );
    void proc.exited.then((exit) => this.exited(entry, exit));
    // A stop that arrived while spawning is carried out now.
    if (entry.stopReason !== undefined) void proc.stop(this.config.stopGraceMs);
  }

  private exited(entry: SupervisedLease, exit: ProcessExit): void {
    this.forget(entry);
    // A child's launcher removes its home on exit; a re-adopted leftover's is removed here.
    if (entry.adopted) void this.releaseLeftover(entry.leaseId, entry.cluster);
    const log = {
      lease_id: entry.leaseId,
      generation: entry.generation,
      pid: entry.pid,
      code: exit.code,
      signal: exit.signal,
    };
    if (entry.stopReason === undefined && entry.readyError !== undefined) {
      this.deps.logger.warn(
        { ...log, code: entry.readyError.code, err: entry.readyError },
        'lease failed to start',
      );
      this.deps.reports.report({
        case: 'leaseFailed',
        value: {
          leaseId: entry.leaseId,
          generation: entry.generation,
          errorCode: entry.readyError.code,
          message: entry.readyError.message,
          ...(exit.code === null ? {} : { exitCode: exit.code }),
        },
      });
    } else {
      const reason = entry.stopReason ?? LeaseExitReason.CRASHED;
      this.deps.logger.info({ ...log, reason: LeaseExitReason[reason] }, 'lease process exited');
      this.deps.reports.report({
        case: 'leaseExited',
        value: {
          leaseId: entry.leaseId,
          generation: entry.generation,
          ...(exit.code === null ? {} : { exitCode: exit.code }),
          signal: exit.signal ?? '',
          reason,
        },
      });
    }
    void this.persist();
    entry.markGone();
  }

  private forget(entry: SupervisedLease): void {
    entry.timer?.cancel();
    entry.timer = undefined;
    if (this.leases.get(entry.leaseId) === entry) this.leases.delete(entry.leaseId);
    this.deps.logs.forget(entry.leaseId);
  }

  private adopt(entry: PersistedLease, deadline: number): void {
    let markGone!: () => void;
    const gone = new Promise<void>((resolve) => (markGone = resolve));
    const lease: SupervisedLease = {
      leaseId: entry.lease_id,
      generation: entry.generation,
      kind: entry.kind as LeaseKindName,
      cluster: entry.cluster,
      specKey: `adopted:${entry.lease_id}`,
      deadline,
      state: 'running',
      pid: entry.pid,
      pgid: entry.pgid,
      startTime: entry.start_time,
      listenAddr: entry.listen_addr,
      process: undefined,
      adopted: true,
      timer: undefined,
      stopReason: undefined,
      readyError: undefined,
      gone,
      markGone,
    };
    this.leases.set(lease.leaseId, lease);
    this.arm(lease);
    // Not our child: no exit event. Poll so a crash is noticed and reported.
    const watch = (): void => {
      if (this.leases.get(lease.leaseId) !== lease) return;
      if (lease.state !== 'stopping' && !this.adoptedAlive(lease)) {
        this.exited(lease, { code: null, signal: null });
        return;
      }
      this.deps.clock.setTimer(this.adoptedPollMs, watch);
    };
    this.deps.clock.setTimer(this.adoptedPollMs, watch);
  }

  private adoptedAlive(lease: SupervisedLease): boolean {
    return (
      this.deps.inspector.groupAlive(lease.pgid) &&
      this.deps.inspector.startTime(lease.pid) === lease.startTime
    );
  }

  /** Arms (or re-arms) the lease's local kill timer per killPlan. */
  private arm(lease: SupervisedLease): void {
    lease.timer?.cancel();
    if (lease.state === 'stopping') return;
    const plan = killPlan(lease.deadline, this.disconnectedSince, this.disconnectGraceMs);
    lease.timer = this.deps.clock.setTimer(plan.at - this.deps.clock.now(), () => {
      lease.timer = undefined;
      this.deps.logger.info(
        { lease_id: lease.leaseId, generation: lease.generation, pid: lease.pid },
        plan.reason === 'expired'
          ? 'lease deadline reached: stopping it'
          : 'control plane unreachable for longer than the disconnect grace: stopping the lease',
      );
      void this.stop(
        lease,
        plan.reason === 'expired' ? LeaseExitReason.EXPIRED : LeaseExitReason.DISCONNECT_GRACE,
      );
    });
  }

  /** SIGTERM to the group, SIGKILL after the grace; resolves when the lease is gone and reported. */
  private async stop(lease: SupervisedLease, reason: LeaseExitReason): Promise<void> {
    if (lease.state !== 'stopping') {
      lease.state = 'stopping';
      lease.stopReason = reason;
      lease.timer?.cancel();
      lease.timer = undefined;
      void this.persist();
      if (lease.process !== undefined) {
        void lease.process.stop(this.config.stopGraceMs);
      } else if (lease.adopted) {
        void this.killLeftover(lease.pgid).then(() =>
          this.exited(lease, { code: null, signal: 'SIGTERM' }),
        );
      }
      // Neither: the spawn is in flight; launched() carries the stop out.
    }
    await lease.gone;
  }

  /** Removes the TELEPORT_HOME of a leftover whose process is gone; never throws. */
  private async releaseLeftover(leaseId: string, cluster: string): Promise<void> {
    try {
      await this.deps.launcher.release({ leaseId, cluster });
    } catch (err) {
      this.deps.logger.warn(
        { lease_id: leaseId, cluster, err },
        'could not remove the TELEPORT_HOME of a leftover lease',
      );
    }
  }

  /** Kills a process group that is not our child: SIGTERM, wait, SIGKILL after the grace. */
  private async killLeftover(pgid: number): Promise<void> {
    const { inspector, clock } = this.deps;
    if (!inspector.signalGroup(pgid, 'SIGTERM')) return;
    const killAt = clock.now() + this.config.stopGraceMs;
    let killed = false;
    while (inspector.groupAlive(pgid)) {
      if (!killed && clock.now() >= killAt) {
        inspector.signalGroup(pgid, 'SIGKILL');
        killed = true;
      }
      await new Promise<void>((resolve) => clock.setTimer(50, resolve));
    }
  }

  private reportStarted(lease: SupervisedLease): void {
    this.deps.reports.report({
      case: 'leaseStarted',
      value: {
        leaseId: lease.leaseId,
        generation: lease.generation,
        pid: lease.pid,
        listenAddr: lease.listenAddr,
        startedAt: timestampFromMs(this.deps.clock.now()),
      },
    });
  }

  private persist(): Promise<void> {
    const entries: PersistedLease[] = [...this.leases.values()]
      .filter((l) => l.pid > 0)
      .map((l) => ({
        lease_id: l.leaseId,
        generation: l.generation,
        pid: l.pid,
        pgid: l.pgid,
        ...(l.startTime === undefined ? {} : { start_time: l.startTime }),
        deadline: new Date(l.deadline).toISOString(),
        listen_addr: l.listenAddr,
        kind: l.kind,
        cluster: l.cluster,
      }));
    return this.deps.store.save(entries).catch((err: unknown) => {
      this.deps.logger.error(
        { err },
        'could not write the lease state file; a restart now could not find these leases',
      );
    });
  }
}

function refusal(err: unknown): CommandOutcome {
  const error = toAppError(err);
  return { ok: false, errorCode: error.code, message: error.message };
}

/**
 * Messages about an older generation are ignored. The ack is ok (nothing failed: the command is
 * simply obsolete) and says so, so a control plane that fails a lease on a refused start does not
 * fail the newer generation.
 */
function stale(leaseId: string, generation: number, running: number): CommandOutcome {
  return {
    ok: true,
    message: `ignored: lease ${leaseId} generation ${generation} is older than the running generation ${running}`,
  };
}
