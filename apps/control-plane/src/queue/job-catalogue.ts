// The typed catalogue of every BullMQ job the control plane uses: one `JobName` union with its
// payload, the queues they travel on and their job ids. Payloads carry identifiers only (no
// secrets, no specs): processors re-read Postgres, which is the truth (DESIGN §3.5).

/** Commands to one agent, on that agent's own queue (`agent-<agentId>`). */
export interface LeaseStartJob {
  readonly leaseId: string;
  readonly generation: number;
}
export interface LeaseStopJob {
  readonly leaseId: string;
  readonly generation: number;
  /** Echoed to the agent as StopLease.reason. */
  readonly reason: 'stopped' | 'expired';
}
export interface LeaseExtendJob {
  readonly leaseId: string;
  readonly generation: number;
}
/** Delayed to the lease's expires_at, on the shared expiry queue. */
export interface LeaseExpireJob {
  readonly leaseId: string;
  readonly generation: number;
}
/** The reaper tick, from a job scheduler on the maintenance queue. */
export type LeaseReapJob = Record<string, never>;

export interface JobPayloads {
  'lease.start': LeaseStartJob;
  'lease.stop': LeaseStopJob;
  'lease.extend': LeaseExtendJob;
  'lease.expire': LeaseExpireJob;
  'lease.reap': LeaseReapJob;
}
export type JobName = keyof JobPayloads;

/** Jobs an agent's queue carries (written to that agent's stream by the replica holding it). */
export type AgentCommandJobName = 'lease.start' | 'lease.stop' | 'lease.extend';
export type AgentCommandJob = {
  [N in AgentCommandJobName]: { readonly name: N; readonly data: JobPayloads[N] };
}[AgentCommandJobName];

export const LEASE_EXPIRY_QUEUE = 'lease-expiry';
export const MAINTENANCE_QUEUE = 'maintenance';
export const LEASE_REAPER_SCHEDULER_ID = 'lease-reaper';
const AGENT_QUEUE_PREFIX = 'agent-';

/** BullMQ queue names may not contain ":"; agent ids are UUIDs. */
export function agentQueueName(agentId: string): string {
  return `${AGENT_QUEUE_PREFIX}${agentId}`;
}

export function agentIdOfQueue(queueName: string): string | undefined {
  return queueName.startsWith(AGENT_QUEUE_PREFIX)
    ? queueName.slice(AGENT_QUEUE_PREFIX.length)
    : undefined;
}

/**
 * Job ids make enqueueing idempotent: the reaper re-adds what Redis lost with the same id, and
 * BullMQ ignores an add whose id already exists.
 */
export const jobIds = {
  start: (leaseId: string, generation: number): string => `lease-start-${leaseId}-${generation}`,
  stop: (leaseId: string, generation: number): string => `lease-stop-${leaseId}-${generation}`,
  extend: (leaseId: string, generation: number): string => `lease-extend-${leaseId}-${generation}`,
  expire: (leaseId: string, generation: number): string => `lease-expire-${leaseId}-${generation}`,
} as const;

/** Narrows a job read from Redis to the catalogue (a foreign name is a bug, not a retry). */
export function isAgentCommandJob(name: string, data: unknown): boolean {
  if (name !== 'lease.start' && name !== 'lease.stop' && name !== 'lease.extend') return false;
  if (typeof data !== 'object' || data === null) return false;
  const { leaseId, generation } = data as { leaseId?: unknown; generation?: unknown };
  return typeof leaseId === 'string' && typeof generation === 'number';
}
