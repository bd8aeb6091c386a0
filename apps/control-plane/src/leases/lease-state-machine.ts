// The one place that says which lease status may follow which (DESIGN §3.5):
// pending → starting → active → stopping → stopped | expired | failed. Every UPDATE of a lease's
// status is guarded with `status = ANY(sourcesOf(target))`, so a transition the table refuses
// never reaches the database, whichever replica or message tries it.
import { AppError } from '@tmcp/errors';
import { LEASE_STATUSES, type LeaseStatus } from '../database/entities/index.js';

export const TERMINAL_STATUSES: readonly LeaseStatus[] = ['stopped', 'expired', 'failed'];
/** Leases that count against the per-actor cap and that the reaper watches. */
export const LIVE_STATUSES: readonly LeaseStatus[] = ['pending', 'starting', 'active', 'stopping'];

const TRANSITIONS: Readonly<Record<LeaseStatus, readonly LeaseStatus[]>> = {
  // Not yet sent to the agent: a stop needs no process kill, so it ends at once.
  pending: ['starting', 'stopped', 'expired', 'failed'],
  starting: ['active', 'stopping', 'expired', 'failed'],
  // `stopped` directly: the agent reports an exit it was told to make (reconcile, shutdown).
  active: ['stopping', 'stopped', 'expired', 'failed'],
  stopping: ['stopped', 'expired', 'failed'],
  stopped: [],
  expired: [],
  failed: [],
};

export function isTerminal(status: LeaseStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function canTransition(from: LeaseStatus, to: LeaseStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Every status from which `to` may be reached (the guard of the UPDATE). */
export function sourcesOf(to: LeaseStatus): LeaseStatus[] {
  return LEASE_STATUSES.filter((from) => canTransition(from, to));
}

export function assertTransition(from: LeaseStatus, to: LeaseStatus): void {
  if (!canTransition(from, to)) {
    throw new AppError('precondition_failed', `the lease is ${from}; it cannot become ${to}`);
  }
}
