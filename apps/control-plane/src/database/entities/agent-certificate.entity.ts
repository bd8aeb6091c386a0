import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMPTZ } from './columns.js';
import { EdgeAgentEntity } from './edge-agent.entity.js';

/** A client certificate issued to an edge agent by the control plane's CA. */
@Entity({ name: 'agent_certificates' })
@Index('uq_agent_certificates_fingerprint', ['fingerprint'], { unique: true })
@Index('idx_agent_certificates_agent_id', ['agentId'])
export class AgentCertificateEntity {
  /** Certificate serial number, lower-case hex. */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_agent_certificates' })
  serial!: string;

  @Column({ name: 'agent_id', type: 'uuid' })
  @ForeignKey(() => EdgeAgentEntity, { name: 'fk_agent_certificates_agent', onDelete: 'CASCADE' })
  agentId!: string;

  /** sha256 of the DER certificate, lower-case hex. */
  @Column({ type: 'text' })
  fingerprint!: string;

  @Column({ name: 'not_before', type: TIMESTAMPTZ })
  notBefore!: Date;

  @Column({ name: 'not_after', type: TIMESTAMPTZ })
  notAfter!: Date;

  @Column({ name: 'revoked_at', type: TIMESTAMPTZ, nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'created_at', type: TIMESTAMPTZ, default: () => 'now()' })
  createdAt!: Date;
}
