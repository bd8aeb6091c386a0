import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { bigintAsNumber, TIMESTAMPTZ } from './columns.js';
import { LeaseEntity } from './lease.entity.js';

export const LEASE_LOG_STREAMS = ['stdout', 'stderr', 'system'] as const;
export type LeaseLogStream = (typeof LEASE_LOG_STREAMS)[number];

/** One output line of a lease's process; `seq` is assigned by the agent, per lease. */
@Entity({ name: 'lease_logs' })
@Check('ck_lease_logs_stream', `"stream" IN ('stdout', 'stderr', 'system')`)
export class LeaseLogEntity {
  @PrimaryColumn({ name: 'lease_id', type: 'uuid', primaryKeyConstraintName: 'pk_lease_logs' })
  @ForeignKey(() => LeaseEntity, { name: 'fk_lease_logs_lease', onDelete: 'CASCADE' })
  leaseId!: string;

  @PrimaryColumn({
    type: 'bigint',
    transformer: bigintAsNumber,
    primaryKeyConstraintName: 'pk_lease_logs',
  })
  seq!: number;

  @Column({ type: TIMESTAMPTZ })
  ts!: Date;

  @Column({ type: 'text' })
  stream!: LeaseLogStream;

  @Column({ type: 'text' })
  line!: string;
}
