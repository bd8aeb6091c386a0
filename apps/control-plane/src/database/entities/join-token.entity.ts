import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMPTZ } from './columns.js';
import { EdgeAgentEntity } from './edge-agent.entity.js';

/** A one-time, short-lived token an edge agent presents to enroll. Only its hash is stored. */
@Entity({ name: 'join_tokens' })
@Index('uq_join_tokens_token_hash', ['tokenHash'], { unique: true })
@Index('idx_join_tokens_expires_at', ['expiresAt'])
export class JoinTokenEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'token_id', primaryKeyConstraintName: 'pk_join_tokens' })
  tokenId!: string;

  /** sha256 (hex) of the token; the token itself is shown once at creation. */
  @Column({ name: 'token_hash', type: 'text' })
  tokenHash!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** Labels given to the agent that enrolls with this token. */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  labels!: Record<string, string>;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_at', type: TIMESTAMPTZ, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: TIMESTAMPTZ })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: TIMESTAMPTZ, nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'used_by_agent_id', type: 'uuid', nullable: true })
  @ForeignKey(() => EdgeAgentEntity, { name: 'fk_join_tokens_used_by_agent', onDelete: 'SET NULL' })
  usedByAgentId!: string | null;

  @Column({ name: 'revoked_at', type: TIMESTAMPTZ, nullable: true })
  revokedAt!: Date | null;
}
