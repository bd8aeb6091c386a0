import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMPTZ } from './columns.js';
import { EdgeAgentEntity } from './edge-agent.entity.js';
import type { LeaseKind } from '@tmcp/policy';

export const LEASE_STATUSES = [
  'pending',
  'starting',
  'active',
  'stopping',
  'stopped',
  'expired',
  'failed',
] as const;
export type LeaseStatus = (typeof LEASE_STATUSES)[number];

// The kinds are the policy engine's: one list for the lease constraints and the CHECK below.
export { LEASE_KINDS, type LeaseKind } from '@tmcp/policy';

/** A long-running `tsh proxy …` / `tsh mcp …` process with a TTL, run by an edge agent. */
@Entity({ name: 'leases' })
@Check(
  'ck_leases_status',
  `"status" IN ('pending', 'starting', 'active', 'stopping', 'stopped', 'expired', 'failed')`,
)
@Check(
  'ck_leases_kind',
  `"kind" IN ('proxy_ssh', 'proxy_db', 'proxy_app', 'proxy_kube', 'proxy_mcp', 'mcp_db', 'vnet')`,
)
@Index('idx_leases_status_expires_at', ['status', 'expiresAt'])
@Index('idx_leases_actor_status', ['actor', 'status'])
@Index('idx_leases_edge_agent_id', ['edgeAgentId'])
export class LeaseEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'lease_id', primaryKeyConstraintName: 'pk_leases' })
  leaseId!: string;

  @Column({ type: 'text' })
  kind!: LeaseKind;

  @Column({ type: 'text' })
  actor!: string;

  @Column({ type: 'text' })
  cluster!: string;

  /** Kind-specific target (db name and user, app name, node and port, …). */
  @Column({ type: 'jsonb' })
  target!: Record<string, unknown>;

  @Column({ name: 'listen_addr', type: 'text', nullable: true })
  listenAddr!: string | null;

  @Column({ type: 'integer', nullable: true })
  pid!: number | null;

  @Column({ name: 'edge_agent_id', type: 'uuid', nullable: true })
  @ForeignKey(() => EdgeAgentEntity, { name: 'fk_leases_edge_agent', onDelete: 'SET NULL' })
  edgeAgentId!: string | null;

  @Column({ name: 'created_at', type: TIMESTAMPTZ, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: TIMESTAMPTZ })
  expiresAt!: Date;

  @Column({ name: 'ended_at', type: TIMESTAMPTZ, nullable: true })
  endedAt!: Date | null;

  @Column({ type: 'text', default: 'pending' })
  status!: LeaseStatus;

  /** Bumped on every start/extend; messages carrying an older generation are ignored. */
  @Column({ type: 'integer', default: 0 })
  generation!: number;

  @Column({ name: 'last_heartbeat_at', type: TIMESTAMPTZ, nullable: true })
  lastHeartbeatAt!: Date | null;

  @Column({ name: 'exit_code', type: 'integer', nullable: true })
  exitCode!: number | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ type: 'text', nullable: true })
  ticket!: string | null;
}
