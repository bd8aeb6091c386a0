// Pure reconciliation of what an agent says it runs with what Postgres says it should run
// (DESIGN §3.5). Called on every Hello (full reconcile) and Heartbeat (inventory check).
import type { LeaseStatus } from '../database/entities/index.js';
import { isTerminal } from './lease-state-machine.js';

/** A lease of this agent as Postgres knows it. */
export interface DbLeaseView {
  readonly leaseId: string;
  readonly status: LeaseStatus;
  readonly generation: number;
  readonly expiresAt: Date;
}

export type InventoryState = 'starting' | 'running' | 'stopping';

/** One process the agent runs. */
export interface InventoryItem {
  readonly leaseId: string;
  readonly generation: number;
  readonly state: InventoryState;
  readonly pid: number;
  readonly listenAddr: string;
}

export type ReapKind = 'deadline_passed' | 'not_adoptable' | 'process_gone';

/**
 * A lease the agent ended without the control plane knowing (Hello only): a leftover killed or
 * found dead after a restart, or a lease that ended while the stream was down.
 */
export interface ReapedItem {
  readonly leaseId: string;
  readonly generation: number;
  readonly kind: ReapKind;
  readonly message: string;
}

export type ReconcileAction =
  /** The agent runs something Postgres says must not run: tell it to stop. */
  | { readonly type: 'stop'; readonly leaseId: string; readonly generation: number }
  /** Postgres expects a process the agent does not have. */
  | {
      readonly type: 'fail';
      readonly leaseId: string;
      readonly generation: number;
      readonly message: string;
    }
  /** The process of a lease being stopped is gone: the stop is done. */
  | { readonly type: 'stopped'; readonly leaseId: string; readonly generation: number }
  /**
   * The agent runs an older generation of an active lease: its ExtendLease was lost (Redis
   * failed or was flushed), so send the current generation and deadline again.
   */
  | {
      readonly type: 'extend';
      readonly leaseId: string;
      readonly generation: number;
      readonly expiresAt: Date;
    }
  /** The agent killed a leftover at its deadline while it was down. */
  | { readonly type: 'expire'; readonly leaseId: string; readonly generation: number }
  /** The agent runs a lease whose LeaseStarted was lost (e.g. with the previous stream). */
  | {
      readonly type: 'activate';
      readonly leaseId: string;
      readonly generation: number;
      readonly pid: number;
      readonly listenAddr: string;
    };

export const LOST_LEASE_MESSAGE = 'the agent lost this lease (restart?)';

export interface ReconcileInput {
  /** Live leases assigned to the agent, plus any lease the inventory names. */
  readonly dbLeases: readonly DbLeaseView[];
  readonly inventory: readonly InventoryItem[];
  /** Leftovers handled after a restart (Hello only; empty for heartbeats). */
  readonly reaped: readonly ReapedItem[];
}

export function reconcileInventory(input: ReconcileInput): ReconcileAction[] {
  const actions: ReconcileAction[] = [];
  const db = new Map(input.dbLeases.map((lease) => [lease.leaseId, lease]));
  const running = new Map(input.inventory.map((item) => [item.leaseId, item]));
  const reaped = new Map(input.reaped.map((item) => [item.leaseId, item]));

  for (const item of input.inventory) {
    const lease = db.get(item.leaseId);
    // Unknown to Postgres (deleted, or another control plane's) or ended: must not run.
    if (lease === undefined || isTerminal(lease.status)) {
      if (item.state !== 'stopping') {
        actions.push({ type: 'stop', leaseId: item.leaseId, generation: item.generation });
      }
      continue;
    }
    if (lease.status === 'stopping' && item.state !== 'stopping') {
      actions.push({ type: 'stop', leaseId: item.leaseId, generation: lease.generation });
      continue;
    }
    if (
      (lease.status === 'starting' || lease.status === 'pending') &&
      item.state === 'running' &&
      item.generation === lease.generation
    ) {
      actions.push({
        type: 'activate',
        leaseId: item.leaseId,
        generation: item.generation,
        pid: item.pid,
        listenAddr: item.listenAddr,
      });
    }
    if (
      lease.status === 'active' &&
      item.state !== 'stopping' &&
      item.generation < lease.generation
    ) {
      actions.push({
        type: 'extend',
        leaseId: item.leaseId,
        generation: lease.generation,
        expiresAt: lease.expiresAt,
      });
    }
  }

  for (const lease of input.dbLeases) {
    if (isTerminal(lease.status) || running.has(lease.leaseId)) continue;
    const gone = reaped.get(lease.leaseId);
    if (gone !== undefined) {
      actions.push(
        gone.kind === 'deadline_passed'
          ? { type: 'expire', leaseId: lease.leaseId, generation: lease.generation }
          : {
              type: 'fail',
              leaseId: lease.leaseId,
              generation: lease.generation,
              message: `the agent reaped this lease (after a restart or while disconnected): ${gone.message || gone.kind.replace('_', ' ')}`,
            },
      );
      continue;
    }
    switch (lease.status) {
      case 'active':
        actions.push({
          type: 'fail',
          leaseId: lease.leaseId,
          generation: lease.generation,
          message: LOST_LEASE_MESSAGE,
        });
        break;
      case 'stopping':
        actions.push({ type: 'stopped', leaseId: lease.leaseId, generation: lease.generation });
        break;
      case 'pending':
      case 'starting':
        // The start command may still be queued or in flight (BullMQ retries it); the reaper
        // fails leases that stay here beyond the start timeout.
        break;
      case 'stopped':
      case 'expired':
      case 'failed':
        break;
    }
  }
  return actions;
}
