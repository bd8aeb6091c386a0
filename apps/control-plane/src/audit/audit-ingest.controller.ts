// POST /audit/events and /audit/events/:tag — where Teleport's event handler (fluentd output)
// delivers one audit or session event per request. The handler retries anything but 200, so a
// duplicate is a 200 too (`accepted: false`).
import type { IncomingMessage } from 'node:http';
import {
  Controller,
  Header,
  HttpCode,
  Param,
  Post,
  Req,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { AppError } from '@tmcp/errors';
import { AuditHttpExceptionFilter } from './audit-http-exception.filter.js';
import { AuditIngestAuthGuard } from './audit-ingest-auth.guard.js';
import { AuditIngestService, type IngestResult } from './audit-ingest.service.js';
import { readJsonBody } from './audit-request-body.js';

/** fluentd-style tags: `teleport.events`, `session.log` … */
const TAG = /^[A-Za-z0-9._-]{1,128}$/;

@Controller('audit/events')
@UseGuards(AuditIngestAuthGuard)
@UseFilters(AuditHttpExceptionFilter)
export class AuditIngestController {
  constructor(private readonly ingest: AuditIngestService) {}

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  receive(@Req() req: IncomingMessage): Promise<IngestResult> {
    return this.receiveBody(req);
  }

  /** The tag only routes (audit vs session events share the table); it is not stored. */
  @Post(':tag')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  receiveTagged(@Param('tag') tag: string, @Req() req: IncomingMessage): Promise<IngestResult> {
    if (!TAG.test(tag)) {
      const error = AppError.badParameter('tag', 'must be 1-128 letters, digits, ".", "_" or "-"');
      this.ingest.rejected(error);
      return Promise.reject(error);
    }
    return this.receiveBody(req);
  }

  private async receiveBody(req: IncomingMessage): Promise<IngestResult> {
    let body: unknown;
    try {
      body = await readJsonBody(req);
    } catch (error) {
      this.ingest.rejected(error);
      throw error;
    }
    return this.ingest.ingest(body);
  }
}
