// Stores one event posted by Teleport's event handler: normalize (validate, mask secrets),
// insert unless its uid is known, and keep the per-replica ingest status.
import { HttpException, Inject, Injectable } from '@nestjs/common';
import { AppError, isAppError } from '@tmcp/errors';
import type { Logger } from 'pino';
import { CLOCK, type Clock } from '../common/clock.js';
import { LOGGER } from '../logging/logger.token.js';
import type { NormalizedAuditEvent } from './audit-event.js';
import { normalizeAuditEvent } from './audit-event-normalizer.js';
import { AuditEventsRepository } from './audit-events.repository.js';
import { AuditIngestStatusService } from './audit-ingest-status.service.js';
import { LINK_CLOCK_SKEW_MS, operationLinkOf } from './operation-audit-links.js';

export interface IngestResult {
  /** false when an event with the same uid was already stored (re-delivery). */
  accepted: boolean;
}

@Injectable()
export class AuditIngestService {
  private readonly logger: Logger;

  constructor(
    private readonly events: AuditEventsRepository,
    private readonly status: AuditIngestStatusService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'audit-ingest' });
  }

  async ingest(body: unknown): Promise<IngestResult> {
    let event;
    try {
      event = normalizeAuditEvent(body);
    } catch (error) {
      this.rejected(error);
      throw error;
    }
    let stored: boolean;
    try {
      stored = await this.events.insert(event);
    } catch (error) {
      this.status.recordFailure('failed', 'could not store the event', this.clock.now());
      this.logger.error(
        { err: error, uid: event.uid, event: event.event },
        'storing an audit event failed',
      );
      throw new AppError(
        'unavailable',
        'could not store the audit event; the sender should retry',
        {
          cause: error,
        },
      );
    }
    if (stored) {
      this.status.recordStored(event.time, this.clock.now());
      await this.linkOperations(event);
    } else {
      this.status.recordDuplicate();
    }
    return { accepted: stored };
  }

  /** operations.teleport_audit_refs: best effort, the event is stored either way. */
  private async linkOperations(event: NormalizedAuditEvent): Promise<void> {
    const link = operationLinkOf(event.event, event.raw);
    if (link === undefined) return;
    try {
      const linked = await this.events.linkToOperations(
        event.uid,
        event.time,
        link,
        LINK_CLOCK_SKEW_MS,
      );
      if (linked > 0) this.logger.debug({ uid: event.uid, linked }, 'audit event linked');
    } catch (error) {
      this.logger.warn(
        { err: error, uid: event.uid },
        'linking an audit event to operations failed',
      );
    }
  }

  /** Counts a request refused before its event could be read (unreadable or oversized body). */
  rejected(error: unknown): void {
    // Only our own errors reach here; their messages are what the sender was told.
    const reason =
      isAppError(error) || error instanceof HttpException ? error.message : 'unreadable request';
    this.status.recordFailure('rejected', reason, this.clock.now());
    this.logger.warn({ reason }, 'audit event rejected');
  }

  unauthorized(message: string): void {
    this.status.recordFailure('unauthorized', message, this.clock.now());
  }
}
