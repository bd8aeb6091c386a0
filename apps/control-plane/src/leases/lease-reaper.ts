// Postgres is the truth, Redis the transport (DESIGN §3.5). The reaper runs every ~15 s on one
// replica (a BullMQ job scheduler): it expires overdue leases, fails leases stuck before
// `active`, marks silent agents offline (database clock), re-derives every job Redis should
// hold, and refreshes the lease gauges. `expire` is the delayed per-generation expiry job.
import { Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import type { Logger } from 'pino';
import { EdgeAgentsRepository } from '../agents/edge-agents.repository.js';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { LOGGER } from '../logging/logger.token.js';
import { LeaseDispatcher } from '../queue/lease-dispatcher.js';
import { agentIdOfQueue } from '../queue/job-catalogue.js';
import { LeaseEvents } from './lease-events.js';
import { LeaseMetrics } from './lease-metrics.js';
import { LeaseRepository, type LeaseRecord } from './lease.repository.js';

export const REAPER_INTERVAL_MS = 15_000;
/** A lease not active this long after creation has failed to start. */
export const START_TIMEOUT_SECONDS = 60;
/** Heartbeats an agent may miss before it is marked offline. */
export const MISSED_HEARTBEATS = 3;

export interface ReapReport {
  readonly expired: number;
  readonly failedToStart: number;
  readonly agentsOffline: number;
  readonly requeued: number;
}

@Injectable()
export class LeaseReaper {
  constructor(
    private readonly leases: LeaseRepository,
    private readonly agents: EdgeAgentsRepository,
    private readonly dispatcher: LeaseDispatcher,
    private readonly events: LeaseEvents,
    private readonly metrics: LeaseMetrics,
    @Inject(SERVER_CONFIG) private readonly config: Pick<ServerConfig, 'agentService'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The delayed expiry of one generation; an extended (newer) generation makes it a no-op. */
  async expire(leaseId: string, generation: number): Promise<LeaseRecord | undefined> {
    const lease = await this.leases.expireIfDue(leaseId, generation);
    if (lease === undefined) return undefined;
    this.events.notify(leaseId);
    this.logger.info({ lease_id: leaseId, generation, agent_id: lease.agentId }, 'lease expired');
    await this.stopOnAgent(lease, 'expired');
    return lease;
  }

  async reap(): Promise<ReapReport> {
    const expired = await this.leases.expireOverdue();
    for (const lease of expired) {
      this.events.notify(lease.leaseId);
      this.logger.info(
        { lease_id: lease.leaseId, agent_id: lease.agentId },
        'lease expired by the reaper',
      );
      await this.stopOnAgent(lease, 'expired');
    }
    const stuck = await this.leases.failStuckStarts(START_TIMEOUT_SECONDS);
    for (const lease of stuck) {
      this.events.notify(lease.leaseId);
      this.logger.warn(
        { lease_id: lease.leaseId, agent_id: lease.agentId },
        'lease failed to start in time',
      );
      await this.stopOnAgent(lease, 'stopped');
    }
    const offline = await this.agents.markSilentOffline(
      this.config.agentService.heartbeatIntervalSeconds * MISSED_HEARTBEATS,
    );
    if (offline.length > 0)
      this.logger.warn({ agent_ids: offline }, 'silent agents marked offline');
    const requeued = await this.requeue();
    await this.refreshGauges();
    return {
      expired: expired.length,
      failedToStart: stuck.length,
      agentsOffline: offline.length,
      requeued,
    };
  }

  /**
   * Re-adds what Redis lost (a flush, a failover, a failed add): expiry jobs, starts of leases
   * not yet active, the extend of an extended active lease whose expiry was lost too, stops.
   * Each is idempotent on the agent (same lease and generation), so re-sending one it already
   * carried out is harmless.
   */
  private async requeue(): Promise<number> {
    let requeued = 0;
    for (const lease of await this.leases.live()) {
      const { leaseId, generation, agentId } = lease;
      if (agentId === null) continue;
      const expiryLost =
        lease.status !== 'stopping' &&
        (await this.dispatcher.ensureExpiry(leaseId, generation, lease.expiresAt));
      if (expiryLost) requeued++;
      // `starting`: the start job may be gone with Redis before the agent got it.
      if (lease.status === 'pending' || lease.status === 'starting') {
        if (
          await this.dispatcher.ensureAgentCommand(agentId, {
            name: 'lease.start',
            data: { leaseId, generation },
          })
        )
          requeued++;
      }
      // Generations above 1 come from extends. LeaseService.extend adds the extend job before
      // the generation's expiry job, so a missing expiry means the extend may be lost as well
      // (a completed extend job ages out of Redis; its delayed expiry job does not). The agent's
      // heartbeats, which name the generation it runs, catch every other case.
      if (lease.status === 'active' && generation > 1 && expiryLost) {
        const extend = { name: 'lease.extend', data: { leaseId, generation } } as const;
        if (await this.dispatcher.ensureAgentCommand(agentId, extend)) requeued++;
      }
      if (lease.status === 'stopping') {
        const stop = {
          name: 'lease.stop',
          data: { leaseId, generation, reason: 'stopped' },
        } as const;
        if (await this.dispatcher.ensureAgentCommand(agentId, stop)) requeued++;
      }
    }
    if (requeued > 0) this.logger.warn({ requeued }, 'reaper re-enqueued jobs Redis did not have');
    return requeued;
  }

  private async refreshGauges(): Promise<void> {
    this.metrics.setLeaseCounts(await this.leases.countByStatus());
    this.metrics.agentsOnline.set(await this.agents.countOnline());
    let agents = 0;
    for (const [queue, depth] of await this.dispatcher.depths()) {
      if (agentIdOfQueue(queue) === undefined) this.metrics.queueDepth.set({ queue }, depth);
      else agents += depth;
    }
    this.metrics.queueDepth.set({ queue: 'agents' }, agents);
  }

  private async stopOnAgent(lease: LeaseRecord, reason: 'stopped' | 'expired'): Promise<void> {
    if (lease.agentId === null) return;
    await this.dispatcher.sendToAgent(lease.agentId, {
      name: 'lease.stop',
      data: { leaseId: lease.leaseId, generation: lease.generation, reason },
    });
  }
}
