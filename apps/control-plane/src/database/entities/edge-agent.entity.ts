import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMPTZ } from './columns.js';

export const EDGE_AGENT_STATUSES = ['online', 'offline', 'draining'] as const;
export type EdgeAgentStatus = (typeof EDGE_AGENT_STATUSES)[number];

/** An enrolled edge agent (or the control plane's built-in local agent). */
@Entity({ name: 'edge_agents' })
@Check('ck_edge_agents_status', `"status" IN ('online', 'offline', 'draining')`)
@Index('uq_edge_agents_name', ['name'], { unique: true })
@Index('idx_edge_agents_status_last_seen_at', ['status', 'lastSeenAt'])
export class EdgeAgentEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'agent_id', primaryKeyConstraintName: 'pk_edge_agents' })
  agentId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', nullable: true })
  hostname!: string | null;

  @Column({ type: 'text', nullable: true })
  version!: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  labels!: Record<string, string>;

  @Column({ type: 'text', default: 'offline' })
  status!: EdgeAgentStatus;

  /** The control-plane replica that holds this agent's stream (commands are routed there). */
  @Column({ name: 'connected_replica', type: 'text', nullable: true })
  connectedReplica!: string | null;

  @Column({ name: 'last_seen_at', type: TIMESTAMPTZ, nullable: true })
  lastSeenAt!: Date | null;

  @Column({ name: 'created_at', type: TIMESTAMPTZ, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: TIMESTAMPTZ, default: () => 'now()' })
  updatedAt!: Date;
}
