// Runs the operations orphan sweep at start and then periodically, so a crash (here or on another
// replica) never leaves a row `running` for longer than the stale bound plus one period.
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../logging/logger.token.js';
import { OperationsService } from './operations.service.js';

export const ORPHAN_SWEEP_INTERVAL_MS = 60_000;

@Injectable()
export class OperationOrphanSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly operations: OperationsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = undefined));
    }, ORPHAN_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running;
  }

  /** One sweep; failures are logged, never thrown (the next period tries again). */
  async sweep(): Promise<void> {
    try {
      const fixed = await this.operations.sweepOrphans();
      if (fixed > 0)
        this.logger.warn(
          { operations: fixed },
          'failed operations orphaned by a stopped control plane',
        );
    } catch (error) {
      this.logger.warn({ err: error }, 'operations orphan sweep failed; retrying later');
    }
  }
}
