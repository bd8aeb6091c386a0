// The agents whose Connect stream this replica holds. For each, this replica consumes the
// agent's BullMQ command queue and writes the commands to the stream (DESIGN §3.5), so an MCP
// call on any replica reaches the agent wherever it is connected.
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { AppError } from '@tmcp/errors';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { LeaseCommands, type ControlBody } from '../leases/lease-commands.js';
import { LeaseMetrics } from '../leases/lease-metrics.js';
import { LOGGER } from '../logging/logger.token.js';
import { BullmqConnections } from '../queue/bullmq-connections.js';
import { agentQueueName, isAgentCommandJob, type AgentCommandJob } from '../queue/job-catalogue.js';
import type { AgentSession } from './agent-session.js';

/** How long a command waits for its CommandAck before the job is retried. */
export const COMMAND_ACK_TIMEOUT_MS = 15_000;

interface Entry {
  readonly session: AgentSession;
  readonly worker: Worker;
}

@Injectable()
export class AgentStreamRegistry implements BeforeApplicationShutdown {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly connections: BullmqConnections,
    private readonly commands: LeaseCommands,
    private readonly metrics: LeaseMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(agentId: string): boolean {
    return this.entries.has(agentId);
  }

  /**
   * Writes a message that needs no ack (Drain) to the agent's stream if this replica holds it;
   * false when it does not.
   */
  send(agentId: string, body: ControlBody, commandId: string): boolean {
    const entry = this.entries.get(agentId);
    if (entry === undefined || entry.session.isClosed) return false;
    entry.session.write(body, commandId);
    return true;
  }

  /** Ends the agent's stream with `error` if this replica holds it; false when it does not. */
  disconnect(agentId: string, error: AppError): boolean {
    const entry = this.entries.get(agentId);
    if (entry === undefined || entry.session.isClosed) return false;
    entry.session.close(error);
    return true;
  }

  /** Starts consuming the agent's commands into `session`; a previous stream of it is closed. */
  async register(session: AgentSession): Promise<void> {
    const previous = this.entries.get(session.agentId);
    if (previous !== undefined) {
      previous.session.close(
        new AppError('conflict', 'the agent opened a newer stream; this one is closed'),
      );
      await this.unregister(previous.session);
    }
    const worker = new Worker(
      agentQueueName(session.agentId),
      (job: Job) => this.deliver(session, job),
      // One at a time: commands of one agent keep their order (a stop never overtakes its start).
      this.connections.workerOptions({ concurrency: 1 }),
    );
    this.connections.watch(worker, 'agent-worker');
    worker.on('failed', (job, error) => {
      this.logger.warn(
        { err: error, agent_id: session.agentId, job_id: job?.id },
        'agent command not delivered',
      );
    });
    // A worker closed before its connection is initialized leaves BullMQ's init promise
    // rejected and unhandled; waiting here also surfaces a Redis outage to the caller.
    try {
      await worker.waitUntilReady();
    } catch (error) {
      await worker.close().catch(() => undefined);
      throw error;
    }
    this.entries.set(session.agentId, { session, worker });
    this.metrics.agentsConnected.set(this.entries.size);
  }

  /** Stops consuming for this session (no-op when a newer session replaced it). */
  async unregister(session: AgentSession): Promise<void> {
    const entry = this.entries.get(session.agentId);
    if (entry?.session !== session) return;
    this.entries.delete(session.agentId);
    this.metrics.agentsConnected.set(this.entries.size);
    session.close();
    await entry.worker.close();
  }

  private async deliver(session: AgentSession, job: Job): Promise<string> {
    if (!isAgentCommandJob(job.name, job.data)) {
      throw new UnrecoverableError(`unknown agent command job ${job.name}`);
    }
    const command = { name: job.name, data: job.data as unknown } as AgentCommandJob;
    if (session.isClosed) throw new AppError('unavailable', 'the agent stream is closed');
    const body = await this.commands.toControlBody(session.agentId, command);
    if (body === undefined) return 'skipped: obsolete';
    const commandId = `${job.id ?? job.name}#${job.attemptsMade + 1}`;
    const result = await session.command(body, commandId, COMMAND_ACK_TIMEOUT_MS);
    if (!result.ok) {
      const message =
        result.message ||
        `the agent refused the command (${result.errorCode || 'no reason given'})`;
      await this.commands.startRefused(session.agentId, command, message);
      throw new UnrecoverableError(message);
    }
    return 'delivered';
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.closeAll();
  }

  async closeAll(): Promise<void> {
    // Closing the streams makes agents reconnect to another replica at once.
    const sessions = [...this.entries.values()].map((entry) => entry.session);
    for (const session of sessions)
      session.close(new AppError('unavailable', 'the control plane replica is shutting down'));
    await Promise.allSettled(sessions.map((session) => this.unregister(session)));
  }
}
