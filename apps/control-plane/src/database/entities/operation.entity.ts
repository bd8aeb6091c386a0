import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMPTZ } from './columns.js';

export const OPERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'denied'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** One MCP tool call (or admin action): written before the work starts, completed after. */
@Entity({ name: 'operations' })
@Check('ck_operations_status', `"status" IN ('queued', 'running', 'succeeded', 'failed', 'denied')`)
@Index('idx_operations_started_at', ['startedAt'])
@Index('idx_operations_actor_started_at', ['actor', 'startedAt'])
@Index('idx_operations_status_started_at', ['status', 'startedAt'])
@Index('idx_operations_capability_started_at', ['capability', 'startedAt'])
export class OperationEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'op_id', primaryKeyConstraintName: 'pk_operations' })
  opId!: string;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ name: 'session_id', type: 'text', nullable: true })
  sessionId!: string | null;

  @Column({ type: 'text' })
  actor!: string;

  @Column({ type: 'text' })
  capability!: string;

  @Column({ type: 'text' })
  tool!: string;

  /** Tool arguments, redacted before they are stored. */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  inputs!: Record<string, unknown>;

  @Column({ type: 'text' })
  status!: OperationStatus;

  @Column({ name: 'started_at', type: TIMESTAMPTZ, default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'ended_at', type: TIMESTAMPTZ, nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs!: number | null;

  @Column({ name: 'exit_code', type: 'integer', nullable: true })
  exitCode!: number | null;

  /** Truncated and redacted. */
  @Column({ type: 'text', nullable: true })
  stdout!: string | null;

  /** Truncated and redacted. */
  @Column({ type: 'text', nullable: true })
  stderr!: string | null;

  /** `{code, message}` of the AppError the operation ended with. */
  @Column({ type: 'jsonb', nullable: true })
  error!: { code: string; message: string } | null;

  /** The policy decision (allow, reason, rule, constraints). */
  @Column({ type: 'jsonb', nullable: true })
  decision!: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ type: 'text', nullable: true })
  ticket!: string | null;

  /** Teleport audit event uids this operation caused. */
  @Column({ name: 'teleport_audit_refs', type: 'text', array: true, default: () => `'{}'` })
  teleportAuditRefs!: string[];
}
