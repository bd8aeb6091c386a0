// All SQL about leases and their logs. Status changes are single guarded UPDATEs (the state
// machine's sources, and the generation when a message names one), so concurrent replicas and
// stale messages cannot move a lease backwards. Times come from the database clock.
import { Injectable } from '@nestjs/common';
import { AppError } from '@tmcp/errors';
import { DataSource, type EntityManager } from 'typeorm';
import type { LeaseKind, LeaseLogStream, LeaseStatus } from '../database/entities/index.js';
import { LIVE_STATUSES, sourcesOf, TERMINAL_STATUSES } from './lease-state-machine.js';
import type { LeaseTargetValue } from './lease-target.js';

export interface LeaseRecord {
  readonly leaseId: string;
  readonly kind: LeaseKind;
  readonly actor: string;
  readonly cluster: string;
  readonly target: LeaseTargetValue;
  readonly listenAddr: string | null;
  readonly pid: number | null;
  readonly agentId: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly endedAt: Date | null;
  readonly status: LeaseStatus;
  readonly generation: number;
  readonly exitCode: number | null;
  readonly error: string | null;
  readonly reason: string | null;
  readonly ticket: string | null;
  /** The last heartbeat whose inventory named this lease (the agent still ran it then). */
  readonly lastHeartbeatAt: Date | null;
}

interface LeaseRow {
  lease_id: string;
  kind: LeaseKind;
  actor: string;
  cluster: string;
  target: LeaseTargetValue;
  listen_addr: string | null;
  pid: number | null;
  edge_agent_id: string | null;
  created_at: Date;
  expires_at: Date;
  ended_at: Date | null;
  status: LeaseStatus;
  generation: number;
  exit_code: number | null;
  error: string | null;
  reason: string | null;
  ticket: string | null;
  last_heartbeat_at: Date | null;
}

export interface NewLease {
  readonly actor: string;
  readonly kind: LeaseKind;
  readonly cluster: string;
  readonly target: LeaseTargetValue;
  /** The requested address (empty: the agent picks); replaced by the real one when active. */
  readonly listenAddr: string | null;
  readonly agentId: string;
  readonly ttlSeconds: number;
  readonly reason: string | null;
  readonly ticket: string | null;
}

/** Extra columns a transition may set. */
export interface TransitionFields {
  readonly pid?: number | null;
  readonly listenAddr?: string | null;
  readonly exitCode?: number | null;
  readonly error?: string | null;
}

export interface LeaseLogLine {
  readonly seq: number;
  readonly ts: Date;
  readonly stream: LeaseLogStream;
  readonly line: string;
}

export interface LeaseListFilter {
  readonly activeOnly: boolean;
  /** Only this actor's leases. */
  readonly actor?: string;
  readonly agentId?: string;
  readonly limit: number;
}

/** Filters and cursor of an admin listing (all optional but `activeOnly` and `limit`). */
export interface LeasePageFilter {
  readonly activeOnly: boolean;
  readonly actor?: string;
  readonly agentId?: string;
  readonly status?: LeaseStatus;
  /** The last lease id of the previous page. */
  readonly afterLeaseId?: string;
  readonly limit: number;
}

const COLUMNS = `lease_id, kind, actor, cluster, target, listen_addr, pid, edge_agent_id, created_at,
  expires_at, ended_at, status, generation, exit_code, error, reason, ticket, last_heartbeat_at`;
/** Statuses that hold a slot of the per-actor cap (a stopping lease is on its way out). */
const CAP_STATUSES: readonly LeaseStatus[] = ['pending', 'starting', 'active'];

@Injectable()
export class LeaseRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Inserts a pending lease unless the actor already holds `maxConcurrent` live ones. A
   * transaction-scoped advisory lock per actor serializes racing starts of the same actor, so
   * two calls cannot both see a free slot.
   */
  async insertWithinCap(lease: NewLease, maxConcurrent: number): Promise<LeaseRecord> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `SELECT pg_advisory_xact_lock(hashtext('tmcp.lease-cap'), hashtext($1))`,
        [lease.actor],
      );
      const [count] = await manager.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM leases WHERE actor = $1 AND status = ANY($2)`,
        [lease.actor, CAP_STATUSES],
      );
      const active = count?.n ?? 0;
      if (active >= maxConcurrent) {
        throw new AppError(
          'limit_exceeded',
          `you already hold ${active} active lease(s), the maximum is ${maxConcurrent}: stop one first (stop_proxy)`,
          { details: { active, max: maxConcurrent } },
        );
      }
      const rows = await manager.query<LeaseRow[]>(
        `INSERT INTO leases (kind, actor, cluster, target, listen_addr, edge_agent_id, expires_at,
           status, generation, reason, ticket)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7), 'pending', 1, $8, $9)
         RETURNING ${COLUMNS}`,
        [
          lease.kind,
          lease.actor,
          lease.cluster,
          JSON.stringify(lease.target),
          lease.listenAddr,
          lease.agentId,
          lease.ttlSeconds,
          lease.reason,
          lease.ticket,
        ],
      );
      return toRecord(one(rows));
    });
  }

  async get(leaseId: string): Promise<LeaseRecord | undefined> {
    if (!isUuid(leaseId)) return undefined;
    const rows = await this.dataSource.query<LeaseRow[]>(
      `SELECT ${COLUMNS} FROM leases WHERE lease_id = $1`,
      [leaseId],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async list(filter: LeaseListFilter): Promise<LeaseRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.activeOnly) {
      params.push(LIVE_STATUSES);
      where.push(`status = ANY($${params.length})`);
    }
    if (filter.actor !== undefined) {
      params.push(filter.actor);
      where.push(`actor = $${params.length}`);
    }
    if (filter.agentId !== undefined) {
      params.push(filter.agentId);
      where.push(`edge_agent_id = $${params.length}`);
    }
    params.push(filter.limit);
    const rows = await this.dataSource.query<LeaseRow[]>(
      `SELECT ${COLUMNS} FROM leases ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
       ORDER BY created_at DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecord);
  }

  /**
   * Moves a lease to `to` when the state machine allows it from its current status and, when
   * given, the lease is still at `generation`. Returns the updated lease, or undefined when the
   * guard refused (already moved on, stale generation, unknown lease).
   */
  async transition(
    leaseId: string,
    to: LeaseStatus,
    options: {
      generation?: number;
      agentId?: string;
      from?: readonly LeaseStatus[];
      fields?: TransitionFields;
    } = {},
    manager: EntityManager = this.dataSource.manager,
  ): Promise<LeaseRecord | undefined> {
    const from = options.from;
    const sources = sourcesOf(to).filter((status) => from === undefined || from.includes(status));
    const params: unknown[] = [leaseId, to, sources];
    const sets = ['status = $2'];
    if (to === 'stopped' || to === 'expired' || to === 'failed') sets.push('ended_at = now()');
    const fields = options.fields ?? {};
    const column = {
      pid: 'pid',
      listenAddr: 'listen_addr',
      exitCode: 'exit_code',
      error: 'error',
    } as const;
    for (const key of Object.keys(column) as (keyof typeof column)[]) {
      if (fields[key] === undefined) continue;
      params.push(fields[key]);
      sets.push(`${column[key]} = $${params.length}`);
    }
    let guard = 'lease_id = $1 AND status = ANY($3)';
    if (options.generation !== undefined) {
      params.push(options.generation);
      guard += ` AND generation = $${params.length}`;
    }
    if (options.agentId !== undefined) {
      params.push(options.agentId);
      guard += ` AND edge_agent_id = $${params.length}`;
    }
    const [rows] = await manager.query<[LeaseRow[], number]>(
      `UPDATE leases SET ${sets.join(', ')} WHERE ${guard} RETURNING ${COLUMNS}`,
      params,
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  /**
   * The agent says the process of an ended lease is gone (its exit report arrived after the
   * control plane had already ended the lease, e.g. by the expiry job): forget the pid.
   */
  async processGone(
    leaseId: string,
    generation: number,
    agentId: string,
  ): Promise<LeaseRecord | undefined> {
    const [rows] = await this.dataSource.query<[LeaseRow[], number]>(
      `UPDATE leases SET pid = NULL WHERE lease_id = $1 AND generation = $2 AND edge_agent_id = $3
         AND status = ANY($4) AND pid IS NOT NULL RETURNING ${COLUMNS}`,
      [leaseId, generation, agentId, TERMINAL_STATUSES],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  /** New deadline `ttlSeconds` from now and a new generation, for an active lease only. */
  async extend(leaseId: string, ttlSeconds: number): Promise<LeaseRecord | undefined> {
    const [rows] = await this.dataSource.query<[LeaseRow[], number]>(
      `UPDATE leases SET expires_at = now() + make_interval(secs => $2), generation = generation + 1
        WHERE lease_id = $1 AND status = 'active' RETURNING ${COLUMNS}`,
      [leaseId, ttlSeconds],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  /** The agent's inventory named these leases just now: one statement for the whole batch. */
  async touchHeartbeat(agentId: string, leaseIds: readonly string[]): Promise<void> {
    const ids = leaseIds.filter(isUuid);
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE leases SET last_heartbeat_at = now()
        WHERE edge_agent_id = $1 AND lease_id = ANY($2::uuid[])`,
      [agentId, ids],
    );
  }

  /** Live leases assigned to the agent plus any lease named in `ids` (for reconciliation). */
  async forReconcile(agentId: string, ids: readonly string[]): Promise<LeaseRecord[]> {
    const rows = await this.dataSource.query<LeaseRow[]>(
      `SELECT ${COLUMNS} FROM leases
        WHERE (edge_agent_id = $1 AND status = ANY($2)) OR lease_id = ANY($3::uuid[])`,
      [agentId, LIVE_STATUSES, ids.filter(isUuid)],
    );
    return rows.map(toRecord);
  }

  /**
   * The expiry job of one generation: expires the lease if it is still at that generation and
   * due (1 s of tolerance for clock differences between replicas; the reaper catches the rest).
   */
  async expireIfDue(leaseId: string, generation: number): Promise<LeaseRecord | undefined> {
    const [rows] = await this.dataSource.query<[LeaseRow[], number]>(
      `UPDATE leases SET status = 'expired', ended_at = now()
        WHERE lease_id = $1 AND generation = $2 AND status = ANY($3) AND expires_at <= now() + interval '1 second'
        RETURNING ${COLUMNS}`,
      [leaseId, generation, sourcesOf('expired')],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  /** Live leases past their deadline become expired (the database clock decides). */
  async expireOverdue(): Promise<LeaseRecord[]> {
    const [rows] = await this.dataSource.query<[LeaseRow[], number]>(
      `UPDATE leases SET status = 'expired', ended_at = now()
        WHERE status = ANY($1) AND expires_at < now() RETURNING ${COLUMNS}`,
      [sourcesOf('expired')],
    );
    return rows.map(toRecord);
  }

  /** Leases that did not become active within `timeoutSeconds` of their creation fail. */
  async failStuckStarts(timeoutSeconds: number): Promise<LeaseRecord[]> {
    const [rows] = await this.dataSource.query<[LeaseRow[], number]>(
      `UPDATE leases SET status = 'failed', ended_at = now(),
              error = 'the agent did not start the lease within ' || $1 || ' s; check that the agent is online and see get_proxy_logs'
        WHERE status IN ('pending', 'starting') AND created_at < now() - make_interval(secs => $1)
        RETURNING ${COLUMNS}`,
      [timeoutSeconds],
    );
    return rows.map(toRecord);
  }

  /** Every live lease (the reaper re-derives Redis jobs from these). */
  async live(): Promise<LeaseRecord[]> {
    const rows = await this.dataSource.query<LeaseRow[]>(
      `SELECT ${COLUMNS} FROM leases WHERE status = ANY($1)`,
      [LIVE_STATUSES],
    );
    return rows.map(toRecord);
  }

  async countByStatus(): Promise<Map<LeaseStatus, number>> {
    const rows = await this.dataSource.query<{ status: LeaseStatus; n: number }[]>(
      `SELECT status, count(*)::int AS n FROM leases GROUP BY status`,
    );
    return new Map(rows.map((row) => [row.status, row.n]));
  }

  /**
   * Stores the `system` line standing for lines the agent dropped, where the gap is: at the seq
   * just before `beforeSeq` (the newest dropped line's), or after the last stored line when the
   * batch brought no lines. Call it before appending the lines that follow the gap, so a
   * follower never reads past it. Returns whether it was stored (not for a replayed batch).
   */
  async appendSystemLine(leaseId: string, text: string, beforeSeq?: number): Promise<boolean> {
    const inserted = await this.dataSource.query<unknown[]>(
      `INSERT INTO lease_logs (lease_id, seq, ts, stream, line)
       SELECT $1, COALESCE($2::bigint, (SELECT coalesce(max(seq), 0) + 1 FROM lease_logs WHERE lease_id = $1)),
              now(), 'system', $3
       ON CONFLICT (lease_id, seq) DO NOTHING RETURNING seq`,
      [leaseId, beforeSeq !== undefined && beforeSeq > 1 ? beforeSeq - 1 : null, text],
    );
    return inserted.length > 0;
  }

  /**
   * Stores a batch idempotently on (lease_id, seq) and keeps only the newest `keep` lines of the
   * lease. Returns how many lines were new.
   */
  async appendLogs(leaseId: string, lines: readonly LeaseLogLine[], keep: number): Promise<number> {
    if (lines.length === 0) return 0;
    const inserted = await this.dataSource.query<unknown[]>(
      `INSERT INTO lease_logs (lease_id, seq, ts, stream, line)
       SELECT $1, * FROM unnest($2::bigint[], $3::timestamptz[], $4::text[], $5::text[])
       ON CONFLICT (lease_id, seq) DO NOTHING RETURNING seq`,
      [
        leaseId,
        lines.map((l) => l.seq),
        lines.map((l) => l.ts.toISOString()),
        lines.map((l) => l.stream),
        lines.map((l) => l.line),
      ],
    );
    await this.dataSource.query(
      `DELETE FROM lease_logs WHERE lease_id = $1
         AND seq <= (SELECT max(seq) FROM lease_logs WHERE lease_id = $1) - $2`,
      [leaseId, keep],
    );
    return inserted.length;
  }

  /** The last `tail` lines, oldest first. */
  async tailLogs(leaseId: string, tail: number): Promise<LeaseLogLine[]> {
    const rows = await this.dataSource.query<
      { seq: string; ts: Date; stream: LeaseLogStream; line: string }[]
    >(
      `SELECT seq, ts, stream, line FROM
         (SELECT seq, ts, stream, line FROM lease_logs WHERE lease_id = $1 ORDER BY seq DESC LIMIT $2) t
       ORDER BY seq`,
      [leaseId, tail],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      ts: row.ts,
      stream: row.stream,
      line: row.line,
    }));
  }

  /**
   * One page of leases, newest first, for the admin API. The cursor is the last lease id of the
   * previous page; its created_at is read in SQL, so the keyset keeps Postgres' microseconds.
   */
  async page(filter: LeasePageFilter): Promise<LeaseRecord[]> {
    const { where, params } = pageWhere(filter);
    if (filter.afterLeaseId !== undefined) {
      if (!isUuid(filter.afterLeaseId)) return [];
      params.push(filter.afterLeaseId);
      const cursor = `$${params.length}::uuid`;
      where.push(
        `(created_at, lease_id) < ((SELECT created_at FROM leases WHERE lease_id = ${cursor}), ${cursor})`,
      );
    }
    params.push(filter.limit);
    const rows = await this.dataSource.query<LeaseRow[]>(
      `SELECT ${COLUMNS} FROM leases ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
       ORDER BY created_at DESC, lease_id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecord);
  }

  async getMany(leaseIds: readonly string[]): Promise<LeaseRecord[]> {
    const ids = leaseIds.filter(isUuid);
    if (ids.length === 0) return [];
    const rows = await this.dataSource.query<LeaseRow[]>(
      `SELECT ${COLUMNS} FROM leases WHERE lease_id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map(toRecord);
  }

  /**
   * Every lease that may have changed in the last `seconds` (database clock): the live ones,
   * and those created or ended within the window. A watcher compares them with what it sent.
   */
  async touchedWithin(
    seconds: number,
    filter: { actor?: string; agentId?: string },
  ): Promise<LeaseRecord[]> {
    const { where, params } = pageWhere({ activeOnly: false, ...filter });
    params.push(LIVE_STATUSES, seconds);
    const window = `now() - make_interval(secs => $${params.length})`;
    where.push(
      `(status = ANY($${params.length - 1}) OR created_at >= ${window} OR ended_at >= ${window})`,
    );
    const rows = await this.dataSource.query<LeaseRow[]>(
      `SELECT ${COLUMNS} FROM leases WHERE ${where.join(' AND ')} ORDER BY created_at LIMIT 5000`,
      params,
    );
    return rows.map(toRecord);
  }

  /** Up to `limit` lines after `afterSeq`, oldest first. */
  async logsAfter(leaseId: string, afterSeq: number, limit: number): Promise<LeaseLogLine[]> {
    const rows = await this.dataSource.query<
      { seq: string; ts: Date; stream: LeaseLogStream; line: string }[]
    >(
      `SELECT seq, ts, stream, line FROM lease_logs WHERE lease_id = $1 AND seq > $2
        ORDER BY seq LIMIT $3`,
      [leaseId, afterSeq, limit],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      ts: row.ts,
      stream: row.stream,
      line: row.line,
    }));
  }

  /** The highest log seq of the lease; 0 when it has no lines. */
  async lastLogSeq(leaseId: string): Promise<number> {
    const [row] = await this.dataSource.query<{ seq: string | null }[]>(
      `SELECT max(seq)::text AS seq FROM lease_logs WHERE lease_id = $1`,
      [leaseId],
    );
    return row?.seq == null ? 0 : Number(row.seq);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

function pageWhere(filter: {
  activeOnly: boolean;
  actor?: string | undefined;
  agentId?: string | undefined;
  status?: LeaseStatus | undefined;
}): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.activeOnly) {
    params.push(LIVE_STATUSES);
    where.push(`status = ANY($${params.length})`);
  }
  if (filter.status !== undefined) {
    params.push(filter.status);
    where.push(`status = $${params.length}`);
  }
  if (filter.actor !== undefined) {
    params.push(filter.actor);
    where.push(`actor = $${params.length}`);
  }
  if (filter.agentId !== undefined) {
    // Not a uuid matches nothing (instead of a cast error from Postgres).
    params.push(isUuid(filter.agentId) ? filter.agentId : null);
    where.push(`edge_agent_id = $${params.length}::uuid`);
  }
  return { where, params };
}

function one<T>(rows: T[]): T {
  const row = rows[0];
  if (row === undefined) throw new AppError('internal', 'the database returned no row');
  return row;
}

function toRecord(row: LeaseRow): LeaseRecord {
  return {
    leaseId: row.lease_id,
    kind: row.kind,
    actor: row.actor,
    cluster: row.cluster,
    target: row.target,
    listenAddr: row.listen_addr,
    pid: row.pid,
    agentId: row.edge_agent_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    endedAt: row.ended_at,
    status: row.status,
    generation: row.generation,
    exitCode: row.exit_code,
    error: row.error,
    reason: row.reason,
    ticket: row.ticket,
    lastHeartbeatAt: row.last_heartbeat_at,
  };
}
