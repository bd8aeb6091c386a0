// The whole picture of the audit ingest for admins: what Postgres holds (shared by every
// replica) and this replica's counters since it started.
import { Injectable } from '@nestjs/common';
import { AuditEventsRepository } from './audit-events.repository.js';
import { AuditIngestStatusService, type AuditIngestStatus } from './audit-ingest-status.service.js';

export interface AuditIngestReport {
  readonly stored: { count: number; oldest: Date | null; newest: Date | null };
  readonly replica: AuditIngestStatus;
}

@Injectable()
export class AuditIngestReportService {
  constructor(
    private readonly events: AuditEventsRepository,
    private readonly status: AuditIngestStatusService,
  ) {}

  async report(): Promise<AuditIngestReport> {
    return { stored: await this.events.storedSummary(), replica: this.status.status() };
  }
}
