// Severities shared by the health check, the RBAC scan and their tool outputs.
import { z } from 'zod';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severitySchema = z.enum(SEVERITIES);

/** Highest first, for reports. */
export function bySeverityDesc(a: { severity: Severity }, b: { severity: Severity }): number {
  return SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity);
}

/** `{critical: 1, high: 2, …}` with every severity present. */
export function countBySeverity(
  items: readonly { severity: Severity }[],
): Record<Severity, number> {
  const counts = { info: 0, low: 0, medium: 0, high: 0, critical: 0 };
  for (const item of items) counts[item.severity] += 1;
  return counts;
}
