// Every SQL statement on `teleport_events`. Aggregations happen in PostgreSQL (GROUP BY over the
// time/event/user indexes); only bounded result sets come back, and never the raw blob: events
// leave as compact summaries built from a few JSON fields.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AuditEventSummary, NormalizedAuditEvent } from './audit-event.js';

/** Which events a query looks at; `eventTypes` entries ending in `*` match a prefix. */
export interface AuditEventFilter {
  from: Date;
  to: Date;
  eventTypes?: readonly string[] | undefined;
  user?: string | undefined;
}

export interface EventTypeCount {
  event: string;
  count: number;
  failures: number;
}

export interface UserCount {
  user: string;
  count: number;
  failures: number;
}

/** One bucket of one event type in which that type was frequent. */
export interface EventBucketCount {
  event: string;
  /** Bucket index from the window start (bucket i covers [from + i·size, from + (i+1)·size)). */
  bucket: number;
  count: number;
}

/** A summary plus the few fields the anomaly rules read (all optional: events vary). */
export interface DetectorEvent extends AuditEventSummary {
  /** `roles` of user and access-request events. */
  roles?: string[];
  /** Access request id (`id`). */
  requestId?: string;
  /** `state` of access_request.create/update. */
  state?: string;
  /** `proposed_state` of access_request.review. */
  proposedState?: string;
  reviewer?: string;
  updatedBy?: string;
  /** `name`: the user or role a user/role event is about. */
  name?: string;
  /** MCP: the tool of a `tools/call` request, and the app it went to. */
  tool?: string;
  app?: string;
  /** Role events: `spec` when the sender included one (Teleport's own events do not). */
  spec?: unknown;
}

export interface DetectorEventQuery {
  from: Date;
  to: Date;
  /** Event types loaded whole (role, user and access request changes). */
  changeEvents: readonly string[];
  limit: number;
}

const SUMMARY_COLUMNS = `
  uid, time, event, code, "user", success,
  COALESCE(raw->>'addr.remote', raw->'addr'->>'remote', raw->>'remote_addr') AS remote,
  COALESCE(raw->>'name', raw->>'app_name', raw->>'db_service', raw->>'server_hostname',
           raw->>'kube_cluster', raw->>'id') AS resource,
  left(raw->>'error', 200) AS error`;

interface SummaryRow {
  uid: string;
  time: Date;
  event: string;
  code: string | null;
  user: string | null;
  success: boolean | null;
  remote: string | null;
  resource: string | null;
  error: string | null;
}

interface DetectorRow extends SummaryRow {
  roles: unknown;
  request_id: string | null;
  state: string | null;
  proposed_state: string | null;
  reviewer: string | null;
  updated_by: string | null;
  name: string | null;
  tool: string | null;
  app: string | null;
  spec: unknown;
}

@Injectable()
export class AuditEventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores an event unless one with the same uid exists; true when a row was written. */
  async insert(event: NormalizedAuditEvent): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO teleport_events (uid, event, code, time, "user", success, cluster, raw)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (uid) DO NOTHING
       RETURNING id`,
      [
        event.uid,
        event.event,
        event.code,
        event.time,
        event.user,
        event.success,
        event.cluster,
        JSON.stringify(event.raw),
      ],
    );
    return rows.length === 1;
  }

  /**
   * Adds the event's uid to operations.teleport_audit_refs of the calls that caused it: the
   * given tools, naming `resource` in `inputKey`, running at the event's time (± skew).
   * Returns how many operations were linked.
   */
  async linkToOperations(
    uid: string,
    time: Date,
    link: { tools: readonly string[]; inputKey: string; resource: string },
    skewMs: number,
  ): Promise<number> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE operations
          SET teleport_audit_refs = array_append(teleport_audit_refs, $1)
        WHERE tool = ANY($2)
          AND status IN ('running', 'succeeded', 'failed')
          AND inputs ->> $3 = $4
          AND started_at <= $5::timestamptz + make_interval(secs => $6)
          AND COALESCE(ended_at, now()) >= $5::timestamptz - make_interval(secs => $6)
          AND NOT ($1 = ANY(teleport_audit_refs))
      RETURNING op_id`,
      [uid, [...link.tools], link.inputKey, link.resource, time, skewMs / 1000],
    );
    return rows.length;
  }

  /** Everything stored: how many events, and the time of the oldest and newest. */
  async storedSummary(): Promise<{ count: number; oldest: Date | null; newest: Date | null }> {
    const [row] = await this.dataSource.query<
      { count: string; oldest: Date | null; newest: Date | null }[]
    >(`SELECT count(*) AS count, min(time) AS oldest, max(time) AS newest FROM teleport_events`);
    return {
      count: Number(row?.count ?? 0),
      oldest: row?.oldest ?? null,
      newest: row?.newest ?? null,
    };
  }

  /**
   * What was received recently, by ingested_at on the database clock (the same on every
   * replica): events stored in the last hour and day, the last receipt, and the most frequent
   * types of the last day.
   */
  async ingestSummary(topTypes: number): Promise<{
    lastHour: number;
    lastDay: number;
    lastReceivedAt: Date | null;
    topTypesLastDay: { event: string; count: number }[];
  }> {
    const [row] = await this.dataSource.query<
      { last_hour: string; last_day: string; last_received_at: Date | null }[]
    >(
      `SELECT count(*) FILTER (WHERE ingested_at > now() - interval '1 hour') AS last_hour,
              count(*) FILTER (WHERE ingested_at > now() - interval '1 day') AS last_day,
              (SELECT max(ingested_at) FROM teleport_events) AS last_received_at
         FROM teleport_events WHERE ingested_at > now() - interval '1 day'`,
    );
    const types = await this.dataSource.query<{ event: string; count: string }[]>(
      `SELECT event, count(*) AS count FROM teleport_events
        WHERE ingested_at > now() - interval '1 day'
        GROUP BY event ORDER BY count(*) DESC, event ASC LIMIT ${int(topTypes)}`,
    );
    return {
      lastHour: Number(row?.last_hour ?? 0),
      lastDay: Number(row?.last_day ?? 0),
      lastReceivedAt: row?.last_received_at ?? null,
      topTypesLastDay: types.map((t) => ({ event: t.event, count: Number(t.count) })),
    };
  }

  /** Number of matching events and of failed ones among them. */
  async countTotals(filter: AuditEventFilter): Promise<{ total: number; failures: number }> {
    const { where, params } = whereClause(filter);
    const [row] = await this.dataSource.query<{ total: string; failures: string }[]>(
      `SELECT count(*) AS total, count(*) FILTER (WHERE success = false) AS failures
         FROM teleport_events WHERE ${where}`,
      params,
    );
    return { total: Number(row?.total ?? 0), failures: Number(row?.failures ?? 0) };
  }

  /** Counts per event type, most frequent first. */
  async countByType(filter: AuditEventFilter, limit: number): Promise<EventTypeCount[]> {
    const { where, params } = whereClause(filter);
    const rows = await this.dataSource.query<{ event: string; count: string; failures: string }[]>(
      `SELECT event, count(*) AS count, count(*) FILTER (WHERE success = false) AS failures
         FROM teleport_events WHERE ${where}
        GROUP BY event ORDER BY count(*) DESC, event ASC LIMIT ${int(limit)}`,
      params,
    );
    return rows.map((r) => ({
      event: r.event,
      count: Number(r.count),
      failures: Number(r.failures),
    }));
  }

  /** The most active users, with their failure counts. */
  async topUsers(filter: AuditEventFilter, limit: number): Promise<UserCount[]> {
    const { where, params } = whereClause(filter);
    const rows = await this.dataSource.query<{ user: string; count: string; failures: string }[]>(
      `SELECT "user", count(*) AS count, count(*) FILTER (WHERE success = false) AS failures
         FROM teleport_events WHERE ${where} AND "user" IS NOT NULL
        GROUP BY "user" ORDER BY count(*) DESC, "user" ASC LIMIT ${int(limit)}`,
      params,
    );
    return rows.map((r) => ({
      user: r.user,
      count: Number(r.count),
      failures: Number(r.failures),
    }));
  }

  /** The most recent matching events, newest first. */
  async recentEvents(
    filter: AuditEventFilter,
    limit: number,
    options: { failuresOnly?: boolean } = {},
  ): Promise<AuditEventSummary[]> {
    const { where, params } = whereClause(filter);
    const rows = await this.dataSource.query<SummaryRow[]>(
      `SELECT ${SUMMARY_COLUMNS} FROM teleport_events
        WHERE ${where}${options.failuresOnly === true ? ' AND success = false' : ''}
        ORDER BY time DESC, id DESC LIMIT ${int(limit)}`,
      params,
    );
    return rows.map(toSummary);
  }

  /**
   * Buckets in which an event type reached `minCount` events, busiest first. Bucket i covers
   * [from + i·bucketSeconds, from + (i+1)·bucketSeconds).
   */
  async busyBuckets(
    window: { from: Date; to: Date },
    bucketSeconds: number,
    minCount: number,
    limit: number,
  ): Promise<EventBucketCount[]> {
    const rows = await this.dataSource.query<{ event: string; bucket: number; count: string }[]>(
      `SELECT event, floor(extract(epoch FROM (time - $1)) / $3)::int AS bucket, count(*) AS count
         FROM teleport_events WHERE time >= $1 AND time <= $2
        GROUP BY 1, 2 HAVING count(*) >= $4
        ORDER BY count(*) DESC, event ASC, 2 ASC LIMIT ${int(limit)}`,
      [window.from, window.to, bucketSeconds, minCount],
    );
    return rows.map((r) => ({ event: r.event, bucket: Number(r.bucket), count: Number(r.count) }));
  }

  /**
   * The events the anomaly rules read, oldest first, at most `limit` (the newest are kept):
   * failed logins (plus the successful logins of users who also failed), the listed change
   * events, and MCP `tools/call` requests that failed (plus later successes of the same
   * user and tool). Returns whether the limit cut the set.
   */
  async detectorEvents(
    query: DetectorEventQuery,
  ): Promise<{ events: DetectorEvent[]; truncated: boolean }> {
    const rows = await this.dataSource.query<DetectorRow[]>(
      // No CTE over the window: a CTE referenced several times is materialized, raw and all.
      `SELECT ${SUMMARY_COLUMNS},
              raw->'roles' AS roles, raw->>'id' AS request_id, raw->>'state' AS state,
              raw->>'proposed_state' AS proposed_state, raw->>'reviewer' AS reviewer,
              raw->>'updated_by' AS updated_by, raw->>'name' AS name,
              raw->'message'->'params'->>'name' AS tool, raw->>'app_name' AS app,
              CASE WHEN event LIKE 'role.%' THEN raw->'spec' END AS spec
         FROM teleport_events
        WHERE time >= $1 AND time <= $2 AND (
              (event = 'user.login' AND (success = false OR "user" IN (
                 SELECT "user" FROM teleport_events
                  WHERE time >= $1 AND time <= $2 AND event = 'user.login' AND success = false)))
           OR event = ANY($3)
           OR (event = 'mcp.session.request' AND raw->'message'->>'method' = 'tools/call'
               AND ("user", raw->'message'->'params'->>'name') IN (
                 SELECT "user", raw->'message'->'params'->>'name' FROM teleport_events
                  WHERE time >= $1 AND time <= $2 AND event = 'mcp.session.request'
                    AND success = false AND raw->'message'->>'method' = 'tools/call')))
        ORDER BY time DESC, id DESC LIMIT $4`,
      [query.from, query.to, query.changeEvents, query.limit + 1],
    );
    const truncated = rows.length > query.limit;
    const events = rows.slice(0, query.limit).reverse().map(toDetectorEvent);
    return { events, truncated };
  }

  /** Deletes up to `batchSize` events older than `cutoff`; returns how many went. */
  async deleteOlderThan(cutoff: Date, batchSize: number): Promise<number> {
    // TypeORM answers a DELETE with [rows, affected count], not the rows.
    const result: unknown = await this.dataSource.query(
      `DELETE FROM teleport_events WHERE id IN (
         SELECT id FROM teleport_events WHERE time < $1 LIMIT ${int(batchSize)}
         FOR UPDATE SKIP LOCKED)`,
      [cutoff],
    );
    const affected = Array.isArray(result) ? (result[1] as unknown) : undefined;
    return typeof affected === 'number' ? affected : 0;
  }
}

/** A safe integer literal for LIMIT (values come from our own validated code, never a client). */
function int(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad SQL limit ${value}`);
  return value;
}

function whereClause(filter: AuditEventFilter): { where: string; params: unknown[] } {
  const params: unknown[] = [filter.from, filter.to];
  const conditions = ['time >= $1', 'time <= $2'];
  const types = filter.eventTypes ?? [];
  if (types.length > 0) {
    const exact = types.filter((t) => !t.endsWith('*'));
    const prefixes = types
      .filter((t) => t.endsWith('*'))
      .map((t) => `${escapeLike(t.slice(0, -1))}%`);
    params.push(exact, prefixes);
    conditions.push(`(event = ANY($${params.length - 1}) OR event LIKE ANY($${params.length}))`);
  }
  if (filter.user !== undefined) {
    params.push(filter.user);
    conditions.push(`"user" = $${params.length}`);
  }
  return { where: conditions.join(' AND '), params };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function toSummary(row: SummaryRow): AuditEventSummary {
  return {
    uid: row.uid,
    time: row.time.toISOString(),
    event: row.event,
    code: row.code,
    user: row.user,
    success: row.success,
    ...(row.remote === null ? {} : { remote: row.remote }),
    ...(row.resource === null ? {} : { resource: row.resource }),
    ...(row.error === null ? {} : { error: row.error }),
  };
}

function toDetectorEvent(row: DetectorRow): DetectorEvent {
  const roles = Array.isArray(row.roles)
    ? row.roles.filter((r): r is string => typeof r === 'string')
    : undefined;
  const optional = {
    roles,
    requestId: row.request_id,
    state: row.state,
    proposedState: row.proposed_state,
    reviewer: row.reviewer,
    updatedBy: row.updated_by,
    name: row.name,
    tool: row.tool,
    app: row.app,
    spec: row.spec,
  };
  const event: DetectorEvent = toSummary(row);
  for (const [key, value] of Object.entries(optional)) {
    if (value !== null && value !== undefined) Object.assign(event, { [key]: value });
  }
  return event;
}
