// detect_audit_anomalies: loads a bounded slice of the window (per-bucket counts for storms,
// the few event types the other rules read) and runs the pure rules of audit-anomaly-rules.ts.
import { Injectable } from '@nestjs/common';
import { AppError } from '@tmcp/errors';
import { z } from 'zod';
import type { AuditWindow } from './audit-event.js';
import {
  CHANGE_EVENTS,
  DEFAULT_ANOMALY_THRESHOLDS,
  detectEventAnomalies,
  findEventStorms,
  sortFindings,
  stormFinding,
  type AnomalyFinding,
  type AnomalyThresholds,
} from './audit-anomaly-rules.js';
import { AuditEventsRepository } from './audit-events.repository.js';
import { queryWindow, windowJson } from './audit-query-window.js';

/** Events the rules read at most (the newest are kept; `scanned.truncated` says so). */
export const MAX_DETECTOR_EVENTS = 20_000;
/** Busy buckets considered for storms, and storms reported with sample events. */
const MAX_BUSY_BUCKETS = 500;
const MAX_STORMS = 10;
const STORM_SAMPLES = 5;

export interface AnomalyDetectionRequest {
  hours: number;
  now: Date;
  thresholds?: Partial<AnomalyThresholds> | undefined;
}

export interface AnomalyDetectionResult {
  window: AuditWindow;
  findings: AnomalyFinding[];
  /** How many events the event rules read, and whether the cap cut older ones. */
  scanned: { events: number; truncated: boolean };
  thresholds: AnomalyThresholds;
}

const count = z.number().int().min(1).max(1_000_000);
const thresholdsSchema = z.strictObject({
  stormBucketMinutes: z.number().int().min(1).max(1440),
  stormMinEvents: count,
  stormBaselineFactor: z.number().min(1).max(10_000),
  stormAbsoluteEvents: count,
  burstWindowMinutes: z.number().int().min(1).max(1440),
  failedLoginsPerUser: count,
  failedLoginsPerAddress: count,
  distinctUsersPerAddress: count,
  roleChangesPerWindow: count,
  userChangesPerWindow: count,
  deniedRequestsBeforeApproval: count,
  privilegedRoles: z.array(z.string().min(1).max(128)).max(100),
});

@Injectable()
export class AuditAnomalyDetector {
  constructor(private readonly events: AuditEventsRepository) {}

  async detect(request: AnomalyDetectionRequest): Promise<AnomalyDetectionResult> {
    const window = queryWindow(request.hours, request.now);
    const thresholds = resolveThresholds(request.thresholds);
    const bucketSeconds = thresholds.stormBucketMinutes * 60;

    const [busy, totals, loaded] = await Promise.all([
      this.events.busyBuckets(
        window,
        bucketSeconds,
        Math.min(thresholds.stormMinEvents, thresholds.stormAbsoluteEvents),
        MAX_BUSY_BUCKETS,
      ),
      this.events.countByType(window, 1000),
      this.events.detectorEvents({
        ...window,
        changeEvents: CHANGE_EVENTS,
        limit: MAX_DETECTOR_EVENTS,
      }),
    ]);

    const storms = findEventStorms(
      { window, buckets: busy, totals: new Map(totals.map((t) => [t.event, t.count])) },
      thresholds,
    ).slice(0, MAX_STORMS);
    const stormFindings = await Promise.all(
      storms.map(async (storm) => {
        const samples = await this.events.recentEvents(
          { from: storm.bucketStart, to: storm.bucketEnd, eventTypes: [storm.event] },
          STORM_SAMPLES,
        );
        return stormFinding(storm, thresholds, samples);
      }),
    );

    return {
      window: windowJson(window),
      findings: sortFindings([
        ...stormFindings,
        ...detectEventAnomalies(loaded.events, thresholds),
      ]),
      scanned: { events: loaded.events.length, truncated: loaded.truncated },
      thresholds,
    };
  }
}

/** Defaults overridden by the given values, each checked; `bad_parameter` names the field. */
export function resolveThresholds(
  overrides: Partial<AnomalyThresholds> | undefined,
): AnomalyThresholds {
  const parsed = thresholdsSchema.safeParse({ ...DEFAULT_ANOMALY_THRESHOLDS, ...overrides });
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw AppError.badParameter(
      `thresholds.${issue?.path.map(String).join('.') ?? ''}`,
      issue?.message ?? 'is invalid',
    );
  }
  return parsed.data;
}
