// The lease use cases behind the MCP tools (and later the admin API): start, stop, extend, get,
// list, logs. Authorization happened at the edge (policy); this service enforces what needs
// state: the per-actor cap (inside the inserting transaction), ownership for `own` scope, the
// state machine, and the wait for `active`.
import { Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import type { LeaseScope } from '@tmcp/policy';
import { validateClusterName, validateListenAddress } from '@tmcp/teleport';
import type { Logger } from 'pino';
import { EdgeAgentsRepository } from '../agents/edge-agents.repository.js';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import type { LeaseKind } from '../database/entities/index.js';
import { LOGGER } from '../logging/logger.token.js';
import { LeaseDispatcher } from '../queue/lease-dispatcher.js';
import { LeaseEvents } from './lease-events.js';
import { LeaseMetrics } from './lease-metrics.js';
import {
  LeaseRepository,
  type LeaseLogLine,
  type LeasePageFilter,
  type LeaseRecord,
} from './lease.repository.js';
import { isTerminal, LIVE_STATUSES } from './lease-state-machine.js';
import { parseLeaseTarget } from './lease-target.js';

/** Who asks, and whose leases they may touch (from the policy decision's constraints). */
export interface LeaseCaller {
  readonly actor: string;
  readonly leaseScope: LeaseScope;
}

export interface StartLeaseInput {
  readonly actor: string;
  readonly kind: LeaseKind;
  readonly target: unknown;
  readonly listenAddr?: string | undefined;
  readonly ttlSeconds?: number | undefined;
  /** An agent id or name; omitted: the control plane chooses (EdgeAgentsRepository.choose). */
  readonly agentId?: string | undefined;
  readonly cluster?: string | undefined;
  readonly reason?: string | undefined;
  readonly ticket?: string | undefined;
  /** From the policy decision; capped by the server's own limits. */
  readonly maxTtlSeconds?: number;
  readonly maxConcurrentLeases?: number;
}

export interface StartLeaseOptions {
  readonly signal?: AbortSignal;
  /** Called while waiting, with a short status message. */
  readonly onProgress?: (message: string) => void;
  /** How long to wait for active/failed; the lease keeps starting afterwards. */
  readonly waitMs?: number;
}

export const DEFAULT_START_WAIT_MS = 30_000;
export const MAX_LOG_TAIL = 5_000;

@Injectable()
export class LeaseService {
  constructor(
    private readonly leases: LeaseRepository,
    private readonly agents: EdgeAgentsRepository,
    private readonly dispatcher: LeaseDispatcher,
    private readonly events: LeaseEvents,
    private readonly metrics: LeaseMetrics,
    @Inject(SERVER_CONFIG) private readonly config: Pick<ServerConfig, 'policy' | 'teleport'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Validates, inserts within the cap, dispatches, then waits (bounded) for active or failed. */
  async start(input: StartLeaseInput, options: StartLeaseOptions = {}): Promise<LeaseRecord> {
    const began = performance.now();
    const target = parseLeaseTarget(input.kind, input.target);
    const maxTtl = Math.min(input.maxTtlSeconds ?? Infinity, this.config.policy.maxProxyTtlSeconds);
    const ttlSeconds =
      input.ttlSeconds ?? Math.min(this.config.policy.defaultProxyTtlSeconds, maxTtl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > maxTtl) {
      throw AppError.badParameter(
        'ttl_seconds',
        `must be a whole number of seconds between 1 and ${maxTtl}`,
      );
    }
    let listenAddr: string | null = null;
    if (input.listenAddr !== undefined && input.listenAddr !== '') {
      const parsed = validateListenAddress(input.listenAddr, 'listen_addr');
      listenAddr = `${parsed.host}:${parsed.port}`;
    }
    const cluster =
      input.cluster !== undefined && input.cluster !== ''
        ? validateClusterName(input.cluster, 'cluster')
        : this.config.teleport.defaultCluster;
    if (
      cluster !== '' &&
      this.config.teleport.clusters.length > 0 &&
      !this.config.teleport.clusters.some((c) => c.name === cluster)
    ) {
      throw AppError.badParameter(
        'cluster',
        `is not a configured cluster (${this.config.teleport.clusters.map((c) => c.name).join(', ')})`,
      );
    }
    const agent = await this.agents.choose(input.agentId);
    const maxConcurrent = Math.min(
      input.maxConcurrentLeases ?? Infinity,
      this.config.policy.maxConcurrentProxiesPerActor,
    );
    const lease = await this.leases.insertWithinCap(
      {
        actor: input.actor,
        kind: input.kind,
        cluster,
        target,
        listenAddr,
        agentId: agent.agentId,
        ttlSeconds,
        reason: input.reason ?? null,
        ticket: input.ticket ?? null,
      },
      maxConcurrent,
    );
    this.logger.info(
      {
        lease_id: lease.leaseId,
        agent_id: agent.agentId,
        kind: lease.kind,
        actor: lease.actor,
        ttl_seconds: ttlSeconds,
      },
      'lease created',
    );
    // Redis down here is not fatal: the lease is in Postgres and the reaper re-enqueues both.
    await this.dispatch(lease);
    options.onProgress?.(
      `lease ${lease.leaseId} created; waiting for agent ${agent.name} to start it`,
    );
    // One progress notification per status the wait sees (pending → starting → active/failed).
    let reported = lease.status;
    const settled = await this.events.waitFor(
      lease.leaseId,
      async () => {
        const current = await this.leases.get(lease.leaseId);
        if (current !== undefined && current.status !== reported) {
          reported = current.status;
          options.onProgress?.(progressMessage(current, agent.name));
        }
        return current !== undefined &&
          current.status !== 'pending' &&
          current.status !== 'starting'
          ? current
          : undefined;
      },
      {
        timeoutMs: options.waitMs ?? DEFAULT_START_WAIT_MS,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    if (settled?.status === 'active')
      this.metrics.startLatency.observe((performance.now() - began) / 1000);
    return settled ?? (await this.leases.get(lease.leaseId)) ?? lease;
  }

  async get(caller: LeaseCaller, leaseId: string): Promise<LeaseRecord> {
    const lease = await this.leases.get(leaseId);
    // `own` scope: another actor's lease is indistinguishable from a missing one.
    if (lease === undefined || (caller.leaseScope === 'own' && lease.actor !== caller.actor)) {
      throw new AppError(
        'not_found',
        `lease ${leaseId} does not exist (list_proxies_leases shows yours)`,
      );
    }
    return lease;
  }

  async list(
    caller: LeaseCaller,
    options: { activeOnly: boolean; limit?: number },
  ): Promise<LeaseRecord[]> {
    return this.leases.list({
      activeOnly: options.activeOnly,
      limit: Math.min(options.limit ?? 200, 1_000),
      ...(caller.leaseScope === 'own' ? { actor: caller.actor } : {}),
    });
  }

  async logs(caller: LeaseCaller, leaseId: string, tail = 200): Promise<LeaseLogLine[]> {
    if (!Number.isInteger(tail) || tail < 1 || tail > MAX_LOG_TAIL) {
      throw AppError.badParameter('tail', `must be between 1 and ${MAX_LOG_TAIL}`);
    }
    const lease = await this.get(caller, leaseId);
    return this.leases.tailLogs(lease.leaseId, tail);
  }

  /** Stops a lease: a lease not yet sent ends at once, a running one goes `stopping`. */
  async stop(caller: LeaseCaller, leaseId: string): Promise<LeaseRecord> {
    const lease = await this.get(caller, leaseId);
    if (isTerminal(lease.status)) return lease;
    if (lease.status === 'stopping') return lease;
    const next =
      lease.status === 'pending'
        ? await this.leases.transition(leaseId, 'stopped', { generation: lease.generation })
        : await this.leases.transition(leaseId, 'stopping', { generation: lease.generation });
    if (next === undefined) return this.get(caller, leaseId); // moved meanwhile: report where it is
    this.events.notify(leaseId);
    // A pending lease may still have its start queued; a stop makes sure the agent drops it.
    if (next.agentId !== null) {
      await this.dispatcher.sendToAgent(next.agentId, {
        name: 'lease.stop',
        data: { leaseId, generation: next.generation, reason: 'stopped' },
      });
    }
    this.logger.info(
      { lease_id: leaseId, actor: caller.actor, status: next.status },
      'lease stop requested',
    );
    return next;
  }

  /** A new deadline `ttlSeconds` from now, as a new generation; active leases only. */
  async extend(
    caller: LeaseCaller,
    leaseId: string,
    ttlSeconds: number,
    maxTtlSeconds?: number,
  ): Promise<LeaseRecord> {
    const maxTtl = Math.min(maxTtlSeconds ?? Infinity, this.config.policy.maxProxyTtlSeconds);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > maxTtl) {
      throw AppError.badParameter(
        'ttl_seconds',
        `must be a whole number of seconds between 1 and ${maxTtl}`,
      );
    }
    const lease = await this.get(caller, leaseId);
    if (lease.status !== 'active') {
      throw new AppError(
        'precondition_failed',
        lease.status === 'pending' || lease.status === 'starting'
          ? `lease ${leaseId} is still ${lease.status}: extend it once it is active`
          : `lease ${leaseId} is ${lease.status}: start a new one instead`,
      );
    }
    const extended = await this.leases.extend(leaseId, ttlSeconds);
    if (extended === undefined) {
      throw new AppError(
        'conflict',
        `lease ${leaseId} changed while extending it: look at get_proxy_status and retry`,
      );
    }
    this.events.notify(leaseId);
    // Postgres already holds the new deadline: Redis down is not fatal here either. The agent's
    // next heartbeat (an older generation of an active lease) gets its ExtendLease straight
    // away, and the reaper re-arms the expiry and re-sends the extend. The extend job goes
    // first: the reaper takes a missing expiry job of an extended generation as the sign that
    // its extend may be missing too.
    try {
      if (extended.agentId !== null) {
        await this.dispatcher.sendToAgent(extended.agentId, {
          name: 'lease.extend',
          data: { leaseId, generation: extended.generation },
        });
      }
      await this.dispatcher.scheduleExpiry(leaseId, extended.generation, extended.expiresAt);
      await this.dispatcher.cancelExpiry(leaseId, lease.generation);
    } catch (error) {
      this.logger.warn(
        { err: error, lease_id: leaseId, generation: extended.generation },
        'lease extend dispatch deferred to the reaper and the next heartbeat (Redis unavailable)',
      );
    }
    this.logger.info(
      {
        lease_id: leaseId,
        generation: extended.generation,
        expires_at: extended.expiresAt.toISOString(),
      },
      'lease extended',
    );
    return extended;
  }

  /**
   * One page of leases, newest first (the admin listing). A caller with `own` scope sees only
   * its own leases, whatever actor it filters on.
   */
  async page(caller: LeaseCaller, filter: LeasePageFilter): Promise<LeaseRecord[]> {
    const scoped = scopedFilter(caller, filter);
    return scoped === undefined ? [] : this.leases.page(scoped);
  }

  /** Leases that have not ended, over every actor and agent. */
  async countLive(): Promise<number> {
    const counts = await this.leases.countByStatus();
    return LIVE_STATUSES.reduce((sum, status) => sum + (counts.get(status) ?? 0), 0);
  }

  private async dispatch(lease: LeaseRecord): Promise<void> {
    if (lease.agentId === null) return;
    try {
      await this.dispatcher.sendToAgent(lease.agentId, {
        name: 'lease.start',
        data: { leaseId: lease.leaseId, generation: lease.generation },
      });
      await this.dispatcher.scheduleExpiry(lease.leaseId, lease.generation, lease.expiresAt);
    } catch (error) {
      this.logger.warn(
        { err: error, lease_id: lease.leaseId },
        'lease dispatch deferred to the reaper (Redis unavailable)',
      );
    }
  }
}

/** What start_proxy's caller is told when the lease it waits for reaches `lease.status`. */
export function progressMessage(lease: LeaseRecord, agentName: string): string {
  switch (lease.status) {
    case 'pending':
      return `lease ${lease.leaseId} is waiting for agent ${agentName}`;
    case 'starting':
      return `agent ${agentName} is starting lease ${lease.leaseId}`;
    case 'active':
      return `lease ${lease.leaseId} is active on ${lease.listenAddr ?? 'its listen address'}`;
    case 'failed':
      return `lease ${lease.leaseId} failed: ${lease.error ?? 'see get_proxy_status'}`;
    case 'stopping':
    case 'stopped':
    case 'expired':
      return `lease ${lease.leaseId} is ${lease.status}`;
  }
}

/** The filter narrowed to the caller's scope; undefined when it can match nothing. */
export function scopedFilter<F extends { actor?: string }>(
  caller: LeaseCaller,
  filter: F,
): F | undefined {
  if (caller.leaseScope === 'any') return filter;
  if (filter.actor !== undefined && filter.actor !== caller.actor) return undefined;
  return { ...filter, actor: caller.actor };
}
