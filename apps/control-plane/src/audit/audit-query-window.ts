// The time window of audit queries (`hours` back from `now`), validated the same way for
// search and anomaly detection.
import { AppError } from '@tmcp/errors';
import type { AuditWindow } from './audit-event.js';

export const MAX_AUDIT_HOURS = 720;

export interface QueryWindow {
  from: Date;
  to: Date;
}

export function queryWindow(hours: number, now: Date): QueryWindow {
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_AUDIT_HOURS) {
    throw AppError.badParameter('hours', `must be a whole number from 1 to ${MAX_AUDIT_HOURS}`);
  }
  if (Number.isNaN(now.getTime())) throw AppError.badParameter('now', 'is not a valid time');
  return { from: new Date(now.getTime() - hours * 3_600_000), to: new Date(now.getTime()) };
}

export function windowJson(window: QueryWindow): AuditWindow {
  return { from: window.from.toISOString(), to: window.to.toISOString() };
}
