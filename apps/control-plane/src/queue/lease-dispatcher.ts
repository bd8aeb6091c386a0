// The producer side of lease dispatch: commands onto the agent's own queue, the delayed expiry
// job per lease generation, the reaper's job scheduler. Idempotent by job id, so the reaper can
// re-derive every job from Postgres after Redis lost them.
import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { BullmqConnections } from './bullmq-connections.js';
import {
  agentQueueName,
  jobIds,
  LEASE_EXPIRY_QUEUE,
  LEASE_REAPER_SCHEDULER_ID,
  MAINTENANCE_QUEUE,
  type AgentCommandJob,
  type JobPayloads,
} from './job-catalogue.js';

/** Commands are retried while the agent's stream flaps; after that the reaper takes over. */
const COMMAND_ATTEMPTS = 5;
const COMMAND_BACKOFF_MS = 1_000;

@Injectable()
export class LeaseDispatcher implements BeforeApplicationShutdown {
  private readonly agentQueues = new Map<string, Queue>();
  private expiryQueue: Queue<JobPayloads['lease.expire']> | undefined;
  private maintenanceQueue: Queue<JobPayloads['lease.reap']> | undefined;

  constructor(private readonly connections: BullmqConnections) {}

  async sendToAgent(agentId: string, command: AgentCommandJob): Promise<void> {
    await this.agentQueue(agentId).add(command.name, command.data, {
      jobId: commandJobId(command),
      attempts: COMMAND_ATTEMPTS,
      backoff: { type: 'exponential', delay: COMMAND_BACKOFF_MS },
    });
  }

  /**
   * The reaper's re-derivation: adds the command when Redis lost it, and retries it when it ran
   * out of attempts (a plain add would be ignored while the failed job is retained).
   * Returns true when something was (re-)enqueued.
   */
  async ensureAgentCommand(agentId: string, command: AgentCommandJob): Promise<boolean> {
    const job = await this.agentQueue(agentId).getJob(commandJobId(command));
    if (job === undefined) {
      await this.sendToAgent(agentId, command);
      return true;
    }
    if (await job.isFailed()) {
      await job.retry('failed');
      return true;
    }
    return false;
  }

  /** Re-arms a lost expiry job; true when it was missing. */
  async ensureExpiry(leaseId: string, generation: number, expiresAt: Date): Promise<boolean> {
    const job = await this.expiry().getJob(jobIds.expire(leaseId, generation));
    if (job !== undefined) return false;
    await this.scheduleExpiry(leaseId, generation, expiresAt);
    return true;
  }

  /** Arms the expiry of one lease generation at `expiresAt` (now when already past). */
  async scheduleExpiry(
    leaseId: string,
    generation: number,
    expiresAt: Date,
    now = new Date(),
  ): Promise<void> {
    await this.expiry().add(
      'lease.expire',
      { leaseId, generation },
      {
        jobId: jobIds.expire(leaseId, generation),
        delay: Math.max(0, expiresAt.getTime() - now.getTime()),
        attempts: 3,
        backoff: { type: 'exponential', delay: 1_000 },
      },
    );
  }

  /** Drops the expiry job of a superseded generation (best effort: its processor ignores it). */
  async cancelExpiry(leaseId: string, generation: number): Promise<void> {
    await this.expiry().remove(jobIds.expire(leaseId, generation));
  }

  /** Installs (or updates) the reaper tick; safe to call from every replica. */
  async scheduleReaper(everyMs: number): Promise<void> {
    await this.maintenance().upsertJobScheduler(
      LEASE_REAPER_SCHEDULER_ID,
      { every: everyMs },
      { name: 'lease.reap', data: {}, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  }

  /** Re-installs the reaper tick when Redis lost it (a flush, a failover); true when it did. */
  async ensureReaperScheduled(everyMs: number): Promise<boolean> {
    if ((await this.maintenance().getJobScheduler(LEASE_REAPER_SCHEDULER_ID)) !== undefined) {
      return false;
    }
    await this.scheduleReaper(everyMs);
    return true;
  }

  /** Jobs waiting or delayed, per queue this replica produced to (for the metrics gauge). */
  async depths(): Promise<Map<string, number>> {
    const depths = new Map<string, number>();
    const queues: Queue[] = [...this.agentQueues.values()];
    queues.push(this.expiry(), this.maintenance());
    for (const queue of queues) {
      depths.set(queue.name, await queue.getJobCountByTypes('waiting', 'delayed', 'prioritized'));
    }
    return depths;
  }

  /** Removes the agent's queue from Redis (tests, agent deletion). */
  async obliterateAgentQueue(agentId: string): Promise<void> {
    await this.agentQueue(agentId).obliterate({ force: true });
  }

  private agentQueue(agentId: string): Queue {
    let queue = this.agentQueues.get(agentId);
    if (queue === undefined) {
      queue = new Queue(agentQueueName(agentId), this.connections.queueOptions());
      this.connections.watch(queue, 'agent-queue');
      this.agentQueues.set(agentId, queue);
    }
    return queue;
  }

  private expiry(): Queue<JobPayloads['lease.expire']> {
    if (this.expiryQueue === undefined) {
      this.expiryQueue = new Queue(LEASE_EXPIRY_QUEUE, this.connections.queueOptions());
      this.connections.watch(this.expiryQueue, 'expiry-queue');
    }
    return this.expiryQueue;
  }

  private maintenance(): Queue<JobPayloads['lease.reap']> {
    if (this.maintenanceQueue === undefined) {
      this.maintenanceQueue = new Queue(MAINTENANCE_QUEUE, this.connections.queueOptions());
      this.connections.watch(this.maintenanceQueue, 'maintenance-queue');
    }
    return this.maintenanceQueue;
  }

  async beforeApplicationShutdown(): Promise<void> {
    const queues: Queue[] = [...this.agentQueues.values()];
    if (this.expiryQueue !== undefined) queues.push(this.expiryQueue);
    if (this.maintenanceQueue !== undefined) queues.push(this.maintenanceQueue);
    this.agentQueues.clear();
    this.expiryQueue = undefined;
    this.maintenanceQueue = undefined;
    await Promise.allSettled(queues.map((queue) => queue.close()));
  }
}

function commandJobId(command: AgentCommandJob): string {
  const { leaseId, generation } = command.data;
  switch (command.name) {
    case 'lease.start':
      return jobIds.start(leaseId, generation);
    case 'lease.stop':
      return jobIds.stop(leaseId, generation);
    case 'lease.extend':
      return jobIds.extend(leaseId, generation);
  }
}
