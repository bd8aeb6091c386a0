// Bounded retention of teleport_events (DESIGN §4): events older than audit.retention_days are
// deleted in small batches, so a sweep never holds long locks or one huge transaction. Every
// replica sweeps on its own timer; concurrent sweeps skip each other's locked rows.
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import type { Logger } from 'pino';
import { CLOCK, type Clock } from '../common/clock.js';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { LOGGER } from '../logging/logger.token.js';
import { AuditEventsRepository } from './audit-events.repository.js';

export interface AuditRetentionOptions {
  /** Time between sweeps; 0 disables the timer (sweep() still works). */
  intervalMs: number;
  /** Delay of the first sweep after start. */
  initialDelayMs: number;
  batchSize: number;
  /** Upper bound of batches per sweep; the rest waits for the next sweep. */
  maxBatches: number;
}

export const AUDIT_RETENTION_OPTIONS = Symbol('AUDIT_RETENTION_OPTIONS');

export const DEFAULT_AUDIT_RETENTION_OPTIONS: AuditRetentionOptions = {
  intervalMs: 60 * 60_000,
  initialDelayMs: 60_000,
  batchSize: 5_000,
  maxBatches: 200,
};

const DAY_MS = 86_400_000;

@Injectable()
export class AuditRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly options: AuditRetentionOptions;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly events: AuditEventsRepository,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: Logger,
    @Optional() @Inject(AUDIT_RETENTION_OPTIONS) options?: Partial<AuditRetentionOptions>,
  ) {
    this.options = { ...DEFAULT_AUDIT_RETENTION_OPTIONS, ...options };
    this.logger = logger.child({ component: 'audit-retention' });
  }

  /** Deletes events older than the retention period before `now`; returns how many went. */
  async sweep(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.audit.retentionDays * DAY_MS);
    let deleted = 0;
    for (let batch = 0; batch < this.options.maxBatches; batch++) {
      const n = await this.events.deleteOlderThan(cutoff, this.options.batchSize);
      deleted += n;
      if (n < this.options.batchSize) break;
    }
    if (deleted > 0) {
      this.logger.info({ deleted, cutoff: cutoff.toISOString() }, 'expired audit events deleted');
    }
    return deleted;
  }

  onApplicationBootstrap(): void {
    if (this.options.intervalMs <= 0) return;
    const schedule = (delayMs: number): void => {
      this.timer = setTimeout(() => {
        this.running = this.sweep(this.clock.now())
          .catch((error: unknown) => {
            this.logger.warn(
              { err: error },
              'audit retention sweep failed; retrying at the next interval',
            );
            return 0;
          })
          .finally(() => {
            this.running = undefined;
            if (this.timer !== undefined) schedule(this.options.intervalMs);
          });
      }, delayMs);
      // Never keeps the process alive on its own.
      this.timer.unref();
    };
    schedule(this.options.initialDelayMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
