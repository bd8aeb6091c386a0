// MCP tools over the ingested Teleport audit log: search_audit and detect_audit_anomalies.
// Thin edges: each maps its arguments to one service call and renders the result.
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { CLOCK, type Clock } from '../common/clock.js';
import {
  defineTool,
  McpToolSource,
  type McpToolProvider,
  type ToolDefinition,
} from '../mcp/tool-definition.js';
import { AuditAnomalyDetector } from './audit-anomaly-detector.service.js';
import { AuditSearchService, MAX_SEARCH_LIMIT } from './audit-search.service.js';

const hours = z.number().int().min(1).max(720).describe('Look-back window in hours (1-720).');

const eventSummary = z.object({
  uid: z.string(),
  time: z.string(),
  event: z.string(),
  code: z.string().nullable(),
  user: z.string().nullable(),
  success: z.boolean().nullable(),
  remote: z.string().optional(),
  resource: z.string().optional(),
  error: z.string().optional(),
});

const window = z.object({ from: z.string(), to: z.string() });
const typeCount = z.object({ event: z.string(), count: z.number() });

const searchOutput = z.object({
  window,
  total: z.number(),
  byType: z.array(typeCount),
  failures: z.object({
    count: z.number(),
    byType: z.array(typeCount),
    recent: z.array(eventSummary),
  }),
  topUsers: z.array(z.object({ user: z.string(), count: z.number(), failures: z.number() })),
  events: z.array(eventSummary),
  truncated: z.boolean(),
});

const anomaliesOutput = z.object({
  window,
  findings: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      severity: z.enum(['low', 'medium', 'high', 'critical']),
      summary: z.string(),
      evidence: z.array(eventSummary),
      counts: z.record(z.string(), z.number()),
    }),
  ),
  scanned: z.object({ events: z.number(), truncated: z.boolean() }),
});

@Injectable()
@McpToolSource()
export class AuditTools implements McpToolProvider {
  constructor(
    private readonly search: AuditSearchService,
    private readonly detector: AuditAnomalyDetector,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  tools(): readonly ToolDefinition[] {
    return [this.searchAudit(), this.detectAnomalies()];
  }

  private searchAudit() {
    return defineTool({
      name: 'search_audit',
      capability: 'audit.search',
      title: 'Search the Teleport audit log',
      description:
        'Summarises Teleport audit events received in the last N hours: counts by event type, failures, the most active users and the most recent matching events. Filter by event types (exact names like "user.login" or prefixes like "access_request.*") and by user.',
      input: z.strictObject({
        hours,
        event_types: z.array(z.string().min(1).max(128)).max(50).optional(),
        user: z.string().min(1).max(256).optional(),
        limit: z.number().int().min(1).max(MAX_SEARCH_LIMIT).optional(),
      }),
      output: searchOutput,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      run: async (input) => {
        const result = await this.search.search({
          hours: input.hours,
          eventTypes: input.event_types,
          user: input.user,
          limit: input.limit,
          now: this.clock.now(),
        });
        return { text: renderSearch(result), structured: result };
      },
    });
  }

  private detectAnomalies() {
    return defineTool({
      name: 'detect_audit_anomalies',
      capability: 'audit.anomalies',
      title: 'Detect anomalies in the Teleport audit log',
      description:
        'Looks for event storms, brute-force logins, role and user change spikes and privilege-escalation signals in the last N hours; each finding lists the events that prove it.',
      input: z.strictObject({ hours }),
      output: anomaliesOutput,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      run: async (input) => {
        const result = await this.detector.detect({ hours: input.hours, now: this.clock.now() });
        const structured = {
          window: result.window,
          findings: result.findings,
          scanned: result.scanned,
        };
        return { text: renderFindings(structured), structured };
      },
    });
  }
}

function renderSearch(result: z.output<typeof searchOutput>): string {
  const lines = [
    `${result.total} event(s) from ${result.window.from} to ${result.window.to}; ${result.failures.count} failed.`,
  ];
  if (result.byType.length > 0) {
    lines.push('By type:', ...result.byType.slice(0, 15).map((t) => `  ${t.event}: ${t.count}`));
  }
  if (result.topUsers.length > 0) {
    lines.push(
      'Top users:',
      ...result.topUsers.map((u) => `  ${u.user}: ${u.count} (${u.failures} failed)`),
    );
  }
  if (result.failures.recent.length > 0) {
    lines.push(
      'Recent failures:',
      ...result.failures.recent
        .slice(0, 10)
        .map((e) => `  ${e.time} ${e.event} ${e.user ?? '-'}${e.error ? `: ${e.error}` : ''}`),
    );
  }
  if (result.truncated) lines.push(`(showing the ${result.events.length} most recent events)`);
  return lines.join('\n');
}

function renderFindings(result: z.output<typeof anomaliesOutput>): string {
  if (result.findings.length === 0) {
    return `No anomalies in ${result.scanned.events} event(s) from ${result.window.from} to ${result.window.to}.`;
  }
  return [
    `${result.findings.length} finding(s) in ${result.scanned.events} event(s):`,
    ...result.findings.map(
      (f) =>
        `  [${f.severity}] ${f.kind}: ${f.summary} (${f.evidence.length} event(s) as evidence)`,
    ),
  ].join('\n');
}
