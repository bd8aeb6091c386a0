// The operations log (DESIGN §4): every tool call is a row written before the work starts and
// completed after. A row never stays `running`: complete() ends it, and the orphan sweep fails
// rows whose process died with them. Transport-free: the MCP gateway, tools and the admin API
// use it alike.
import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import type { PolicyDecision } from '@tmcp/policy';
import { Brackets, type Repository } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock.js';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import {
  OPERATION_STATUSES,
  OperationEntity,
  type OperationStatus,
} from '../database/entities/index.js';
import {
  storedError,
  storedInputs,
  storedOutput,
  storedText,
  type StoredError,
} from './operation-record.js';
import { decodePageToken, encodePageToken } from './operations-page-token.js';

export const INTERRUPTED_MESSAGE = 'interrupted: the control plane stopped while this ran';

export interface BeginOperation {
  /** The actor id (ToolActor.id): principal name or `oidc:<subject>`. */
  actor: string;
  capability: string;
  tool: string;
  /** Raw arguments; redacted (and size-bounded) before they are stored. */
  inputs: Record<string, unknown>;
  reason?: string | undefined;
  ticket?: string | undefined;
  requestId?: string | undefined;
  sessionId?: string | undefined;
  decision?: PolicyDecision | undefined;
}

export type FinalStatus = Extract<OperationStatus, 'succeeded' | 'failed'>;

export interface CompleteOperation {
  status: FinalStatus;
  exitCode?: number | null | undefined;
  stdout?: string | undefined;
  stderr?: string | undefined;
  /** For `failed`: the AppError (or its code and message). Redacted before it is stored. */
  error?: { code: string; message: string } | undefined;
  /** Default: measured from started_at. */
  durationMs?: number | undefined;
}

/** An operations row as the rest of the server sees it. */
export interface Operation {
  opId: string;
  requestId: string | null;
  sessionId: string | null;
  actor: string;
  capability: string;
  tool: string;
  inputs: Record<string, unknown>;
  status: OperationStatus;
  startedAt: Date;
  endedAt: Date | null;
  durationMs: number | null;
  exitCode: number | null;
  stdout: string | null;
  stderr: string | null;
  error: StoredError | null;
  decision: Record<string, unknown> | null;
  reason: string | null;
  ticket: string | null;
  teleportAuditRefs: string[];
}

export interface OperationFilter {
  actor?: string | undefined;
  tool?: string | undefined;
  capability?: string | undefined;
  status?: OperationStatus | undefined;
  /** started_at ≥ since */
  since?: Date | undefined;
  /** started_at < until */
  until?: Date | undefined;
}

export interface OperationPage {
  operations: Operation[];
  /** Pass back as `pageToken` for the next (older) page; undefined on the last page. */
  nextPageToken: string | undefined;
}

export interface OperationsOptions {
  /** `running` rows older than this are failed by the sweep (default: max(15 min, 4 × command timeout)). */
  staleRunningAfterMs?: number;
}

export const OPERATIONS_OPTIONS = Symbol('OPERATIONS_OPTIONS');

export const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 50;
const MIN_STALE_MS = 15 * 60_000;

@Injectable()
export class OperationsService {
  readonly staleRunningAfterMs: number;

  constructor(
    @InjectRepository(OperationEntity) private readonly operations: Repository<OperationEntity>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SERVER_CONFIG) config: ServerConfig,
    @Optional() @Inject(OPERATIONS_OPTIONS) options?: OperationsOptions,
  ) {
    this.staleRunningAfterMs =
      options?.staleRunningAfterMs ?? Math.max(MIN_STALE_MS, 4 * config.policy.commandTimeoutMs);
  }

  /** Inserts a `running` row and returns its op_id. */
  async begin(op: BeginOperation): Promise<string> {
    return this.insert(op, 'running', null);
  }

  /** Records a call refused by policy (status `denied`, ended at once). */
  async deny(op: BeginOperation & { error?: { code: string; message: string } }): Promise<string> {
    return this.insert(op, 'denied', op.error ?? null);
  }

  /** Records a call that failed before it could start (e.g. invalid arguments). */
  async reject(op: BeginOperation, error: { code: string; message: string }): Promise<string> {
    return this.insert(op, 'failed', error);
  }

  /** Ends a `running` row; a row already ended (e.g. swept) is left as it is. */
  async complete(opId: string, result: CompleteOperation): Promise<void> {
    const now = this.clock.now();
    const durationExpr =
      result.durationMs === undefined
        ? () =>
            `GREATEST(0, ROUND(EXTRACT(EPOCH FROM (:endedAt::timestamptz - started_at)) * 1000))::integer`
        : undefined;
    await this.operations
      .createQueryBuilder()
      .update()
      .set({
        status: result.status,
        endedAt: now,
        ...(durationExpr === undefined
          ? { durationMs: Math.max(0, Math.round(result.durationMs ?? 0)) }
          : { durationMs: durationExpr }),
        exitCode: result.exitCode ?? null,
        stdout: storedOutput(result.stdout),
        stderr: storedOutput(result.stderr),
        error: result.error === undefined ? null : storedError(result.error),
      })
      .where('op_id = :opId AND status = :running', { opId, running: 'running' })
      .setParameter('endedAt', now)
      .execute();
  }

  async get(opId: string): Promise<Operation> {
    if (!/^[0-9a-f-]{36}$/i.test(opId)) throw AppError.badParameter('op_id', 'must be a UUID');
    const row = await this.operations.findOneBy({ opId });
    if (row === null) throw AppError.notFound(`operation ${opId}`);
    return toOperation(row);
  }

  /** Newest first, keyset-paged. */
  async list(
    filter: OperationFilter = {},
    page: { pageSize?: number; pageToken?: string } = {},
  ): Promise<OperationPage> {
    const pageSize = page.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw AppError.badParameter('page_size', `must be 1..${MAX_PAGE_SIZE}`);
    }
    if (filter.status !== undefined && !OPERATION_STATUSES.includes(filter.status)) {
      throw AppError.badParameter('status', `must be one of ${OPERATION_STATUSES.join(', ')}`);
    }
    const q = this.operations.createQueryBuilder('o');
    if (filter.actor !== undefined) q.andWhere('o.actor = :actor', { actor: filter.actor });
    if (filter.tool !== undefined) q.andWhere('o.tool = :tool', { tool: filter.tool });
    if (filter.capability !== undefined) {
      q.andWhere('o.capability = :capability', { capability: filter.capability });
    }
    if (filter.status !== undefined) q.andWhere('o.status = :status', { status: filter.status });
    if (filter.since !== undefined) q.andWhere('o.started_at >= :since', { since: filter.since });
    if (filter.until !== undefined) q.andWhere('o.started_at < :until', { until: filter.until });
    if (page.pageToken !== undefined && page.pageToken !== '') {
      const cursor = decodePageToken(page.pageToken);
      q.andWhere(
        new Brackets((b) => {
          b.where('o.started_at < :ct', { ct: cursor.startedAt }).orWhere(
            'o.started_at = :ct AND o.op_id < :cid',
            { ct: cursor.startedAt, cid: cursor.opId },
          );
        }),
      );
    }
    const rows = await q
      .orderBy('o.started_at', 'DESC')
      .addOrderBy('o.op_id', 'DESC')
      .limit(pageSize + 1)
      .getMany();
    const more = rows.length > pageSize;
    const pageRows = more ? rows.slice(0, pageSize) : rows;
    const last = pageRows[pageRows.length - 1];
    return {
      operations: pageRows.map(toOperation),
      nextPageToken:
        more && last !== undefined
          ? encodePageToken({ startedAt: last.startedAt, opId: last.opId })
          : undefined,
    };
  }

  /**
   * Fails `running` rows older than the stale bound: the process that ran them is gone (a
   * live call is ended or timed out by then). Returns how many rows it fixed.
   */
  async sweepOrphans(): Promise<number> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.staleRunningAfterMs);
    const result = await this.operations
      .createQueryBuilder()
      .update()
      .set({
        status: 'failed',
        endedAt: now,
        durationMs: () =>
          `GREATEST(0, ROUND(EXTRACT(EPOCH FROM (:now::timestamptz - started_at)) * 1000))::integer`,
        error: { code: 'internal', message: INTERRUPTED_MESSAGE },
      })
      .where('status = :running AND started_at < :cutoff', { running: 'running', cutoff })
      .setParameter('now', now)
      .execute();
    return result.affected ?? 0;
  }

  /** Fails the given `running` rows at once (this replica is shutting down with them open). */
  async failInterrupted(opIds: readonly string[]): Promise<void> {
    if (opIds.length === 0) return;
    const now = this.clock.now();
    await this.operations
      .createQueryBuilder()
      .update()
      .set({
        status: 'failed',
        endedAt: now,
        error: { code: 'internal', message: INTERRUPTED_MESSAGE },
      })
      .where('status = :running AND op_id IN (:...ids)', { running: 'running', ids: [...opIds] })
      .execute();
  }

  private async insert(
    op: BeginOperation,
    status: OperationStatus,
    error: { code: string; message: string } | null,
  ): Promise<string> {
    const now = this.clock.now();
    const ended = status !== 'running';
    const entity = this.operations.create({
      actor: op.actor,
      capability: op.capability,
      tool: op.tool,
      inputs: storedInputs(op.inputs),
      status,
      startedAt: now,
      endedAt: ended ? now : null,
      durationMs: ended ? 0 : null,
      requestId: op.requestId ?? null,
      sessionId: op.sessionId ?? null,
      reason: storedText(op.reason),
      ticket: storedText(op.ticket, 128),
      decision: op.decision === undefined ? null : decisionRecord(op.decision),
      error: error === null ? null : storedError(error),
    });
    const saved = await this.operations.save(entity);
    return saved.opId;
  }
}

function decisionRecord(decision: PolicyDecision): Record<string, unknown> {
  return {
    allow: decision.allow,
    reason: decision.reason,
    rule: decision.rule,
    constraints: decision.constraints,
  };
}

function toOperation(row: OperationEntity): Operation {
  return {
    opId: row.opId,
    requestId: row.requestId,
    sessionId: row.sessionId,
    actor: row.actor,
    capability: row.capability,
    tool: row.tool,
    inputs: row.inputs,
    status: row.status,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    durationMs: row.durationMs,
    exitCode: row.exitCode,
    stdout: row.stdout,
    stderr: row.stderr,
    error: row.error,
    decision: row.decision,
    reason: row.reason,
    ticket: row.ticket,
    teleportAuditRefs: row.teleportAuditRefs,
  };
}
