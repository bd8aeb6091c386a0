// What agents report about leases, applied to Postgres: started, failed, exited, logs, and the
// inventory reconciliation of Hello and Heartbeat. Every update is guarded by the lease's agent
// and generation, so a stale or foreign report changes nothing (and is logged at debug).
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { LeaseLogStream } from '../database/entities/index.js';
import { LOGGER } from '../logging/logger.token.js';
import { LeaseDispatcher } from '../queue/lease-dispatcher.js';
import { LeaseEvents } from './lease-events.js';
import { droppedLinesNotice } from './lease-log-drops.js';
import { LeaseMetrics } from './lease-metrics.js';
import {
  reconcileInventory,
  type InventoryItem,
  type ReapedItem,
  type ReconcileAction,
} from './lease-reconciler.js';
import { LeaseRepository, type LeaseRecord } from './lease.repository.js';

/** Lines kept per lease; older ones are deleted as new batches arrive. */
export const LEASE_LOG_RETENTION_LINES = 5_000;

export type ExitReason =
  'expired' | 'stopped' | 'crashed' | 'agent_shutdown' | 'disconnect_grace' | 'unspecified';

export interface LeaseExit {
  readonly leaseId: string;
  readonly generation: number;
  readonly exitCode: number | undefined;
  readonly signal: string;
  readonly reason: ExitReason;
}

export interface LogBatch {
  readonly leaseId: string;
  readonly generation: number;
  readonly lines: readonly { seq: number; ts: Date; stream: LeaseLogStream; line: string }[];
  readonly dropped: number;
}

/**
 * Commands the session must write to the agent's stream at once (reconcile runs where the
 * stream is): stop a lease that must not run, or re-send the extend of an active lease the
 * agent runs at an older generation.
 */
export type AgentOrder =
  | { readonly type: 'stop'; readonly leaseId: string; readonly generation: number }
  | {
      readonly type: 'extend';
      readonly leaseId: string;
      readonly generation: number;
      readonly expiresAt: Date;
    };

const OWNER_CACHE_SIZE = 10_000;

@Injectable()
export class LeaseReportService {
  /** lease id → agent id, so log batches do not cost a lookup each. */
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly leases: LeaseRepository,
    private readonly dispatcher: LeaseDispatcher,
    private readonly events: LeaseEvents,
    private readonly metrics: LeaseMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async started(
    agentId: string,
    report: { leaseId: string; generation: number; pid: number; listenAddr: string },
  ): Promise<void> {
    const lease = await this.leases.transition(report.leaseId, 'active', {
      generation: report.generation,
      agentId,
      fields: { pid: report.pid, listenAddr: report.listenAddr },
    });
    this.applied(lease, report, 'started');
    if (lease === undefined) {
      // A start the control plane no longer wants (stopped or expired meanwhile): stop it.
      const current = await this.leases.get(report.leaseId);
      if (current?.agentId === agentId && current.status !== 'starting') {
        await this.sendStop(current, current.status === 'expired' ? 'expired' : 'stopped');
      }
    }
  }

  async failed(
    agentId: string,
    report: {
      leaseId: string;
      generation: number;
      errorCode: string;
      message: string;
      exitCode: number | undefined;
    },
  ): Promise<void> {
    const message = report.message === '' ? 'the agent could not start the lease' : report.message;
    const lease = await this.leases.transition(report.leaseId, 'failed', {
      generation: report.generation,
      agentId,
      fields: {
        error: report.errorCode === '' ? message : `${message} (${report.errorCode})`,
        ...(report.exitCode === undefined ? {} : { exitCode: report.exitCode }),
      },
    });
    this.applied(lease, report, 'failed');
  }

  async exited(agentId: string, exit: LeaseExit): Promise<void> {
    const fields = {
      pid: null,
      ...(exit.exitCode === undefined ? {} : { exitCode: exit.exitCode }),
    };
    const options = { generation: exit.generation, agentId };
    let lease: LeaseRecord | undefined;
    switch (exit.reason) {
      case 'expired':
        lease = await this.leases.transition(exit.leaseId, 'expired', { ...options, fields });
        break;
      case 'stopped':
        lease = await this.leases.transition(exit.leaseId, 'stopped', { ...options, fields });
        break;
      case 'crashed':
      case 'unspecified': {
        const how =
          exit.signal !== ''
            ? `was killed by ${exit.signal}`
            : `exited with code ${exit.exitCode ?? 'unknown'}`;
        lease = await this.leases.transition(exit.leaseId, 'failed', {
          ...options,
          fields: {
            ...fields,
            error: `the proxy process ${how} on its own: see get_proxy_logs, then start a new lease`,
          },
        });
        break;
      }
      case 'agent_shutdown':
      case 'disconnect_grace': {
        const error =
          exit.reason === 'agent_shutdown'
            ? 'the agent shut down and stopped this lease: start a new one'
            : 'the agent could not reach the control plane for longer than its disconnect grace and stopped this lease';
        // A lease being stopped anyway counts as stopped; any other ends failed with the reason.
        lease =
          (await this.leases.transition(exit.leaseId, 'stopped', {
            ...options,
            from: ['stopping'],
            fields,
          })) ??
          (await this.leases.transition(exit.leaseId, 'failed', {
            ...options,
            fields: { ...fields, error },
          }));
        break;
      }
    }
    if (lease === undefined) {
      // Ended here already (expiry job, reaper): the process is gone now as well.
      const ended = await this.leases.processGone(exit.leaseId, exit.generation, agentId);
      if (ended !== undefined) {
        this.events.notify(ended.leaseId);
        return;
      }
    }
    this.applied(lease, exit, `exited (${exit.reason})`);
  }

  /** Stores a log batch if the lease belongs to the agent; returns how many lines were new. */
  async logs(agentId: string, batch: LogBatch): Promise<number> {
    if (!(await this.owns(agentId, batch.leaseId))) {
      this.logger.debug(
        { agent_id: agentId, lease_id: batch.leaseId },
        'log batch for a lease of another agent ignored',
      );
      return 0;
    }
    if (batch.dropped > 0) {
      this.logger.warn(
        { agent_id: agentId, lease_id: batch.leaseId, dropped: batch.dropped },
        'agent dropped lease log lines',
      );
      // Where the gap is: before the batch's first line (whose predecessors were dropped).
      const firstSeq = batch.lines.reduce<number | undefined>(
        (min, line) => (min === undefined || line.seq < min ? line.seq : min),
        undefined,
      );
      if (
        await this.leases.appendSystemLine(
          batch.leaseId,
          droppedLinesNotice(batch.dropped),
          firstSeq,
        )
      ) {
        this.metrics.droppedLogLines.inc(batch.dropped);
      }
    }
    const stored = await this.leases.appendLogs(
      batch.leaseId,
      batch.lines,
      LEASE_LOG_RETENTION_LINES,
    );
    this.metrics.logLines.inc(stored);
    return stored;
  }

  /**
   * A heartbeat: reconciles the inventory (see reconcile). The total of dropped log lines is
   * logged here; the lines themselves are accounted per lease by the log batches.
   */
  async heartbeat(
    agentId: string,
    heartbeat: { inventory: readonly InventoryItem[]; droppedLogLines: number },
  ): Promise<AgentOrder[]> {
    if (heartbeat.droppedLogLines > 0) {
      this.logger.warn(
        { agent_id: agentId, dropped: heartbeat.droppedLogLines },
        'agent dropped lease log lines since its previous heartbeat (its buffer was full)',
      );
    }
    return this.reconcile(agentId, heartbeat.inventory, []);
  }

  /**
   * Reconciles the agent's inventory with Postgres (Hello: with its reaped leftovers) and
   * records the heartbeat of every lease it names (leases.last_heartbeat_at). Returns
   * the stops and extends to write to the agent's stream now.
   */
  async reconcile(
    agentId: string,
    inventory: readonly InventoryItem[],
    reaped: readonly ReapedItem[],
  ): Promise<AgentOrder[]> {
    await this.leases.touchHeartbeat(
      agentId,
      inventory.map((item) => item.leaseId),
    );
    const dbLeases = await this.leases.forReconcile(agentId, [
      ...inventory.map((item) => item.leaseId),
      ...reaped.map((item) => item.leaseId),
    ]);
    // Leases of other agents are "unknown" to this one: stop them if it runs them.
    const mine = dbLeases.filter((lease) => lease.agentId === agentId);
    const actions = reconcileInventory({ dbLeases: mine, inventory, reaped });
    const orders: AgentOrder[] = [];
    for (const gone of reaped) {
      const ended = await this.leases.processGone(gone.leaseId, gone.generation, agentId);
      if (ended !== undefined) this.events.notify(ended.leaseId);
    }
    for (const action of actions) {
      const lease = await this.apply(agentId, action);
      if (action.type === 'stop' || action.type === 'extend') {
        orders.push(action);
        this.logger.info(
          { agent_id: agentId, lease_id: action.leaseId, generation: action.generation },
          action.type === 'stop'
            ? 'lease reconciled: the agent runs it but must not, stop sent'
            : 'lease reconciled: the agent runs an older generation, extend sent again',
        );
      }
      if (lease !== undefined)
        this.logger.info(
          { agent_id: agentId, lease_id: action.leaseId, action: action.type },
          'lease reconciled',
        );
    }
    return orders;
  }

  private async apply(agentId: string, action: ReconcileAction): Promise<LeaseRecord | undefined> {
    const options = { generation: action.generation, agentId };
    let lease: LeaseRecord | undefined;
    switch (action.type) {
      case 'stop':
      case 'extend':
        return undefined;
      case 'fail':
        lease = await this.leases.transition(action.leaseId, 'failed', {
          ...options,
          fields: { error: action.message, pid: null },
        });
        break;
      case 'stopped':
        lease = await this.leases.transition(action.leaseId, 'stopped', {
          ...options,
          fields: { pid: null },
        });
        break;
      case 'expire':
        lease = await this.leases.transition(action.leaseId, 'expired', {
          ...options,
          fields: { pid: null },
        });
        break;
      case 'activate':
        lease = await this.leases.transition(action.leaseId, 'active', {
          ...options,
          fields: { pid: action.pid, listenAddr: action.listenAddr },
        });
        break;
    }
    if (lease !== undefined) this.events.notify(lease.leaseId);
    return lease;
  }

  private async owns(agentId: string, leaseId: string): Promise<boolean> {
    let owner = this.owners.get(leaseId);
    if (owner === undefined) {
      owner = (await this.leases.get(leaseId))?.agentId ?? '';
      if (this.owners.size >= OWNER_CACHE_SIZE) this.owners.clear();
      this.owners.set(leaseId, owner);
    }
    return owner === agentId;
  }

  private async sendStop(lease: LeaseRecord, reason: 'stopped' | 'expired'): Promise<void> {
    if (lease.agentId === null) return;
    await this.dispatcher.sendToAgent(lease.agentId, {
      name: 'lease.stop',
      data: { leaseId: lease.leaseId, generation: lease.generation, reason },
    });
  }

  private applied(
    lease: LeaseRecord | undefined,
    report: { leaseId: string; generation: number },
    what: string,
  ): void {
    if (lease === undefined) {
      this.logger.debug(
        { lease_id: report.leaseId, generation: report.generation },
        `stale or foreign lease report ignored: ${what}`,
      );
      return;
    }
    this.events.notify(lease.leaseId);
    this.logger.info(
      {
        lease_id: lease.leaseId,
        agent_id: lease.agentId,
        status: lease.status,
        generation: lease.generation,
      },
      `lease ${what}`,
    );
  }
}
