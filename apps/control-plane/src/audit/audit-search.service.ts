// search_audit: what happened in the last N hours — counts by type, failures, the busiest
// users and the latest matching events. Every number is computed by PostgreSQL.
import { Injectable } from '@nestjs/common';
import { AppError } from '@tmcp/errors';
import type { AuditEventSummary, AuditWindow } from './audit-event.js';
import { AuditEventsRepository, type AuditEventFilter } from './audit-events.repository.js';
import { queryWindow, windowJson } from './audit-query-window.js';

export const DEFAULT_SEARCH_LIMIT = 50;
export const MAX_SEARCH_LIMIT = 500;
/** Failed events listed in `failures.recent` (the full list is a search with failures only). */
export const MAX_RECENT_FAILURES = 20;
export const TOP_USERS = 10;
/** Teleport has a few hundred event types; more distinct types than this are not listed. */
const MAX_TYPES = 500;
const MAX_EVENT_TYPES_FILTER = 50;
const EVENT_TYPE_PATTERN = /^[A-Za-z0-9_.:-]{1,128}\*?$/;

export interface AuditSearchRequest {
  /** 1..720 hours back from `now`. */
  hours: number;
  /** Event types (`user.login`), or prefixes ending in `*` (`access_request.*`). */
  eventTypes?: readonly string[] | undefined;
  user?: string | undefined;
  /** Events listed, default 50, at most 500. */
  limit?: number | undefined;
  now: Date;
}

export interface AuditSearchResult {
  window: AuditWindow;
  total: number;
  byType: { event: string; count: number }[];
  failures: {
    count: number;
    byType: { event: string; count: number }[];
    recent: AuditEventSummary[];
  };
  topUsers: { user: string; count: number; failures: number }[];
  /** The latest matching events, newest first. */
  events: AuditEventSummary[];
  /** More events matched than `events` lists. */
  truncated: boolean;
}

@Injectable()
export class AuditSearchService {
  constructor(private readonly events: AuditEventsRepository) {}

  async search(request: AuditSearchRequest): Promise<AuditSearchResult> {
    const window = queryWindow(request.hours, request.now);
    const limit = searchLimit(request.limit);
    const filter: AuditEventFilter = {
      ...window,
      eventTypes: eventTypes(request.eventTypes),
      user: user(request.user),
    };
    const [totals, byType, topUsers, events, recentFailures] = await Promise.all([
      this.events.countTotals(filter),
      this.events.countByType(filter, MAX_TYPES),
      this.events.topUsers(filter, TOP_USERS),
      this.events.recentEvents(filter, limit),
      this.events.recentEvents(filter, Math.min(limit, MAX_RECENT_FAILURES), {
        failuresOnly: true,
      }),
    ]);
    return {
      window: windowJson(window),
      total: totals.total,
      byType: byType.map(({ event, count }) => ({ event, count })),
      failures: {
        count: totals.failures,
        byType: byType
          .filter((t) => t.failures > 0)
          .map(({ event, failures }) => ({ event, count: failures }))
          .sort((a, b) => b.count - a.count || a.event.localeCompare(b.event)),
        recent: recentFailures,
      },
      topUsers,
      events,
      truncated: totals.total > events.length,
    };
  }
}

function searchLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_SEARCH_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw AppError.badParameter('limit', `must be a whole number from 1 to ${MAX_SEARCH_LIMIT}`);
  }
  return limit;
}

function eventTypes(types: readonly string[] | undefined): string[] | undefined {
  if (types === undefined || types.length === 0) return undefined;
  if (types.length > MAX_EVENT_TYPES_FILTER) {
    throw AppError.badParameter('event_types', `at most ${MAX_EVENT_TYPES_FILTER} event types`);
  }
  for (const type of types) {
    if (!EVENT_TYPE_PATTERN.test(type)) {
      throw AppError.badParameter(
        'event_types',
        `"${type.slice(0, 64)}" is not an event type: use names like "user.login" or prefixes like "access_request.*"`,
      );
    }
  }
  return [...new Set(types)];
}

function user(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (name.length === 0 || name.length > 256) {
    throw AppError.badParameter('user', 'must be 1 to 256 characters');
  }
  // No Teleport user name holds a control or invisible formatting character (newline, NUL, a
  // bidi override): such a filter is a mistake or an attack, never a match.
  if (/[\p{Cc}\p{Cf}]/u.test(name)) {
    throw AppError.badParameter('user', 'must not contain control or formatting characters');
  }
  return name;
}
