// Turns an agent command job into the ControlMessage to write, re-reading Postgres first: a job
// that no longer matches the lease (stopped meanwhile, superseded generation, another agent) is
// skipped, so replayed or late jobs cannot resurrect a lease.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Injectable } from '@nestjs/common';
import {
  LEASE_KIND_BY_NAME,
  LeaseExitReason,
  type ControlMessageSchema,
  type LeaseSpecSchema,
} from '@tmcp/proto';
import type { AgentCommandJob } from '../queue/job-catalogue.js';
import { LeaseEvents } from './lease-events.js';
import { LeaseRepository, type LeaseRecord } from './lease.repository.js';
import { specTargetOf } from './lease-target.js';

export type ControlBody = MessageInitShape<typeof ControlMessageSchema>['body'];

@Injectable()
export class LeaseCommands {
  constructor(
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEvents,
  ) {}

  /** The message for `job`, or undefined when the job is obsolete. */
  async toControlBody(agentId: string, job: AgentCommandJob): Promise<ControlBody | undefined> {
    const lease = await this.leases.get(job.data.leaseId);
    if (lease?.agentId !== agentId) return undefined;
    switch (job.name) {
      case 'lease.start': {
        if (lease.generation !== job.data.generation) return undefined;
        if (lease.status === 'pending') {
          const starting = await this.leases.transition(lease.leaseId, 'starting', {
            generation: lease.generation,
            agentId,
          });
          if (starting === undefined) return undefined;
          this.events.notify(lease.leaseId);
          return startBody(starting);
        }
        return lease.status === 'starting' ? startBody(lease) : undefined;
      }
      case 'lease.stop':
        // Sent whatever the status: making sure a process is gone is always right.
        return {
          case: 'stopLease',
          value: {
            leaseId: lease.leaseId,
            generation: job.data.generation,
            reason:
              job.data.reason === 'expired' ? LeaseExitReason.EXPIRED : LeaseExitReason.STOPPED,
          },
        };
      case 'lease.extend':
        if (lease.status !== 'active' || lease.generation !== job.data.generation) return undefined;
        return {
          case: 'extendLease',
          value: {
            leaseId: lease.leaseId,
            generation: lease.generation,
            expiresAt: timestampFromDate(lease.expiresAt),
          },
        };
    }
  }

  /** A start the agent refused in its ack (draining, unsupported kind…) fails the lease. */
  async startRefused(agentId: string, job: AgentCommandJob, message: string): Promise<void> {
    if (job.name !== 'lease.start') return;
    const lease = await this.leases.transition(job.data.leaseId, 'failed', {
      generation: job.data.generation,
      agentId,
      from: ['pending', 'starting'],
      fields: { error: message },
    });
    if (lease !== undefined) this.events.notify(lease.leaseId);
  }
}

export function leaseSpecOf(lease: LeaseRecord): MessageInitShape<typeof LeaseSpecSchema> {
  return {
    leaseId: lease.leaseId,
    generation: lease.generation,
    kind: LEASE_KIND_BY_NAME[lease.kind],
    cluster: lease.cluster,
    target: specTargetOf(lease.kind, lease.target),
    listenAddr: lease.listenAddr ?? '',
    expiresAt: timestampFromDate(lease.expiresAt),
  };
}

function startBody(lease: LeaseRecord): ControlBody {
  return { case: 'startLease', value: { spec: leaseSpecOf(lease) } };
}
