// The whole picture of the audit ingest for admins: what Postgres holds (shared by every
// replica) and this replica's counters since it started.
import { Injectable } from '@nestjs/common';
import { AuditEventsRepository } from './audit-events.repository.js';
import { AuditIngestStatusService, type AuditIngestStatus } from './audit-ingest-status.service.js';

/** How many event types the report lists. */
const TOP_EVENT_TYPES = 10;

export interface AuditIngestReport {
  readonly stored: { count: number; oldest: Date | null; newest: Date | null };
  /** Recent receipts, from Postgres (ingested_at), the same on every replica. */
  readonly recent: Awaited<ReturnType<AuditEventsRepository['ingestSummary']>>;
  readonly replica: AuditIngestStatus;
}

@Injectable()
export class AuditIngestReportService {
  constructor(
    private readonly events: AuditEventsRepository,
    private readonly status: AuditIngestStatusService,
  ) {}

  async report(): Promise<AuditIngestReport> {
    const [stored, recent] = await Promise.all([
      this.events.storedSummary(),
      this.events.ingestSummary(TOP_EVENT_TYPES),
    ]);
    return { stored, recent, replica: this.status.status() };
  }
}
