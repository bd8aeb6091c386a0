// `tail -f` of a lease's stored log for the admin TailLeaseLogs stream: the last N lines, then
// (with follow) new lines as agents' batches are stored, until the lease has ended and its late
// lines are in, or the caller cancels. Wakes on lease events and polls at a slow fallback rate
// (log batches are not announced; an agent sends them about once a second).
import { Injectable } from '@nestjs/common';
import { AppError } from '@tmcp/errors';
import { LeaseEvents } from './lease-events.js';
import { LeaseRepository, type LeaseLogLine } from './lease.repository.js';
import { LeaseService, MAX_LOG_TAIL, type LeaseCaller } from './lease.service.js';
import { isTerminal } from './lease-state-machine.js';

export interface FollowLogsOptions {
  /** How many of the most recent lines to send first (0: none). */
  readonly tail: number;
  readonly follow: boolean;
  /** How often to look for new lines when nothing announced a change. */
  readonly pollMs?: number;
}

const BATCH_LINES = 500;
const DEFAULT_POLL_MS = 500;
/** After the lease ended, lines that were still on their way get this long to arrive. */
const LATE_LINES_GRACE_MS = 2_000;
/** A wait that sees nothing ends after this and starts over (keeps timers short-lived). */
const WAIT_SLICE_MS = 60_000;

@Injectable()
export class LeaseLogFollower {
  constructor(
    private readonly service: LeaseService,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEvents,
  ) {}

  /** Batches of lines, oldest first; ends normally when `signal` aborts. */
  async *follow(
    caller: LeaseCaller,
    leaseId: string,
    options: FollowLogsOptions,
    signal: AbortSignal,
  ): AsyncGenerator<LeaseLogLine[]> {
    if (!Number.isInteger(options.tail) || options.tail < 0 || options.tail > MAX_LOG_TAIL) {
      throw AppError.badParameter('tail', `must be between 0 and ${MAX_LOG_TAIL}`);
    }
    const lease = await this.service.get(caller, leaseId);
    let last: number;
    if (options.tail > 0) {
      const lines = await this.leases.tailLogs(lease.leaseId, options.tail);
      if (lines.length > 0) yield lines;
      last = lines.at(-1)?.seq ?? 0;
    } else {
      last = await this.leases.lastLogSeq(lease.leaseId);
    }
    if (!options.follow) return;

    let endedAt: number | undefined;
    while (!signal.aborted) {
      let outcome: { lines: LeaseLogLine[] } | 'ended' | undefined;
      try {
        outcome = await this.events.waitFor(
          lease.leaseId,
          async () => {
            const lines = await this.leases.logsAfter(lease.leaseId, last, BATCH_LINES);
            if (lines.length > 0) return { lines };
            if (endedAt === undefined) {
              const current = await this.leases.get(lease.leaseId);
              if (current === undefined || isTerminal(current.status)) endedAt = Date.now();
            }
            return endedAt !== undefined && Date.now() - endedAt >= LATE_LINES_GRACE_MS
              ? 'ended'
              : undefined;
          },
          { timeoutMs: WAIT_SLICE_MS, fallbackMs: options.pollMs ?? DEFAULT_POLL_MS, signal },
        );
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      if (outcome === 'ended') return;
      if (outcome === undefined) continue;
      last = outcome.lines.at(-1)?.seq ?? last;
      yield outcome.lines;
    }
  }
}
