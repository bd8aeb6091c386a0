// How ingestion is going on this replica: counters since start, the last event stored and the
// last error. In memory on purpose (per replica, like the Prometheus counters it mirrors): the
// admin CLI asks each replica, and the table itself says what was stored.
import { Injectable, Optional } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';

export const INGEST_OUTCOMES = [
  'stored',
  'duplicate',
  'rejected',
  'unauthorized',
  'failed',
] as const;
export type IngestOutcome = (typeof INGEST_OUTCOMES)[number];

export interface AuditIngestStatus {
  /** Requests that reached the ingest endpoint (any outcome). */
  received: number;
  stored: number;
  duplicates: number;
  /** Bad input (not JSON, wrong shape, too large). */
  rejected: number;
  /** Missing or wrong credentials, or ingest not configured. */
  unauthorized: number;
  /** Valid events that could not be stored (database trouble). */
  failed: number;
  /** `time` of the last event stored, and when it was stored. */
  lastEventTime: string | null;
  lastStoredAt: string | null;
  lastError: { at: string; message: string } | null;
}

@Injectable()
export class AuditIngestStatusService {
  private readonly counts: Record<IngestOutcome, number> = {
    stored: 0,
    duplicate: 0,
    rejected: 0,
    unauthorized: 0,
    failed: 0,
  };
  private lastEventTime: Date | null = null;
  private lastStoredAt: Date | null = null;
  private lastError: { at: Date; message: string } | null = null;
  private readonly counter: Counter<'outcome'> | undefined;

  constructor(@Optional() metrics?: MetricsService) {
    this.counter = metrics?.counter({
      name: 'tmcp_audit_ingest_events_total',
      help: 'Teleport audit events posted to the ingest endpoint, by outcome.',
      labelNames: ['outcome'],
    });
    for (const outcome of INGEST_OUTCOMES) this.counter?.inc({ outcome }, 0);
  }

  recordStored(eventTime: Date, at: Date): void {
    this.count('stored');
    this.lastEventTime = eventTime;
    this.lastStoredAt = at;
  }

  recordDuplicate(): void {
    this.count('duplicate');
  }

  /** `message` must be safe to show (it is what the sender was told). */
  recordFailure(outcome: 'rejected' | 'unauthorized' | 'failed', message: string, at: Date): void {
    this.count(outcome);
    this.lastError = { at, message: message.slice(0, 500) };
  }

  status(): AuditIngestStatus {
    const c = this.counts;
    return {
      received: c.stored + c.duplicate + c.rejected + c.unauthorized + c.failed,
      stored: c.stored,
      duplicates: c.duplicate,
      rejected: c.rejected,
      unauthorized: c.unauthorized,
      failed: c.failed,
      lastEventTime: this.lastEventTime?.toISOString() ?? null,
      lastStoredAt: this.lastStoredAt?.toISOString() ?? null,
      lastError:
        this.lastError === null
          ? null
          : { at: this.lastError.at.toISOString(), message: this.lastError.message },
    };
  }

  private count(outcome: IngestOutcome): void {
    this.counts[outcome]++;
    this.counter?.inc({ outcome });
  }
}
