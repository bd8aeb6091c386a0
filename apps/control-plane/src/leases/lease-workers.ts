// The BullMQ consumers every replica runs: the delayed expiry jobs and the reaper tick (one
// replica gets each job). Agent command queues are consumed by AgentStreamRegistry instead,
// only where the agent is connected.
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { LOGGER } from '../logging/logger.token.js';
import { BullmqConnections } from '../queue/bullmq-connections.js';
import { LEASE_EXPIRY_QUEUE, MAINTENANCE_QUEUE, type JobPayloads } from '../queue/job-catalogue.js';
import { LeaseDispatcher } from '../queue/lease-dispatcher.js';
import { LeaseReaper, REAPER_INTERVAL_MS } from './lease-reaper.js';

@Injectable()
export class LeaseWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private workers: Worker[] = [];
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly connections: BullmqConnections,
    private readonly dispatcher: LeaseDispatcher,
    private readonly reaper: LeaseReaper,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.start(REAPER_INTERVAL_MS);
  }

  /** Starts the consumers and installs the reaper schedule (tests pass a shorter interval). */
  async start(reaperEveryMs: number): Promise<void> {
    const expiry = new Worker(
      LEASE_EXPIRY_QUEUE,
      async (job: Job<JobPayloads['lease.expire']>) => {
        const { leaseId, generation } = job.data;
        if (typeof leaseId !== 'string' || typeof generation !== 'number') {
          throw new UnrecoverableError('malformed lease.expire job');
        }
        return (await this.reaper.expire(leaseId, generation)) === undefined ? 'no-op' : 'expired';
      },
      this.connections.workerOptions({ concurrency: 16 }),
    );
    const maintenance = new Worker(
      MAINTENANCE_QUEUE,
      async (job: Job) => {
        if (job.name !== 'lease.reap')
          throw new UnrecoverableError(`unknown maintenance job ${job.name}`);
        return this.reaper.reap();
      },
      this.connections.workerOptions({ concurrency: 1 }),
    );
    for (const [worker, name] of [
      [expiry, 'expiry-worker'],
      [maintenance, 'maintenance-worker'],
    ] as const) {
      this.connections.watch(worker, name);
      worker.on('failed', (job, error) =>
        this.logger.warn({ err: error, job_id: job?.id, worker: name }, 'lease job failed'),
      );
      this.workers.push(worker);
    }
    await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
    await this.dispatcher.scheduleReaper(reaperEveryMs);
    // The schedule lives in Redis only: every replica checks it, so a flushed Redis gets its
    // reaper back (which then re-derives every other job from Postgres).
    this.watchdog = setInterval(() => {
      this.dispatcher.ensureReaperScheduled(reaperEveryMs).then(
        (reinstalled) => {
          if (reinstalled)
            this.logger.warn('the reaper schedule was missing in Redis: re-installed');
        },
        (error: unknown) => this.logger.warn({ err: error }, 'reaper schedule not checked'),
      );
    }, reaperEveryMs);
    this.watchdog.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    const workers = this.workers;
    this.workers = [];
    await Promise.allSettled(workers.map((worker) => worker.close()));
  }
}
