// Teleport audit events: the ingest endpoint for the event handler plugin, search, anomaly
// detection and retention (DESIGN §3.2 audit row, §4 teleport_events). Needs the global
// SERVER_CONFIG/CLOCK (ConfigModule), LOGGER (LoggingModule) and the TypeORM DataSource
// (DatabaseModule); uses MetricsService when MetricsModule is loaded.
import { Module } from '@nestjs/common';
import { AuditAnomalyDetector } from './audit-anomaly-detector.service.js';
import { AuditEventsRepository } from './audit-events.repository.js';
import { AuditIngestAuthGuard } from './audit-ingest-auth.guard.js';
import { AuditIngestReportService } from './audit-ingest-report.service.js';
import { AuditIngestStatusService } from './audit-ingest-status.service.js';
import { AuditIngestController } from './audit-ingest.controller.js';
import { AuditIngestService } from './audit-ingest.service.js';
import { AuditRetentionService } from './audit-retention.service.js';
import { AuditSearchService } from './audit-search.service.js';
import { AuditTools } from './audit.tools.js';

@Module({
  controllers: [AuditIngestController],
  providers: [
    AuditEventsRepository,
    AuditIngestStatusService,
    AuditIngestReportService,
    AuditIngestService,
    AuditIngestAuthGuard,
    AuditSearchService,
    AuditAnomalyDetector,
    AuditRetentionService,
    AuditTools,
  ],
  exports: [
    AuditIngestReportService,
    AuditSearchService,
    AuditAnomalyDetector,
    AuditIngestStatusService,
    AuditRetentionService,
  ],
})
export class AuditModule {}
