import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMPTZ } from './columns.js';

/** A Teleport audit event received at the ingest endpoint; `uid` makes re-delivery idempotent. */
@Entity({ name: 'teleport_events' })
@Index('uq_teleport_events_uid', ['uid'], { unique: true })
@Index('idx_teleport_events_time', ['time'])
@Index('idx_teleport_events_event_time', ['event', 'time'])
@Index('idx_teleport_events_user_time', ['user', 'time'])
export class TeleportEventEntity {
  @PrimaryGeneratedColumn('identity', {
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    primaryKeyConstraintName: 'pk_teleport_events',
  })
  /** bigint, as a string (event counts can outgrow 2^53 over the years). */
  id!: string;

  @Column({ type: 'text' })
  uid!: string;

  /** Event type, e.g. `user.login`. */
  @Column({ type: 'text' })
  event!: string;

  /** Event code, e.g. `T1000I`. */
  @Column({ type: 'text', nullable: true })
  code!: string | null;

  @Column({ type: TIMESTAMPTZ })
  time!: Date;

  @Column({ type: 'text', nullable: true })
  user!: string | null;

  @Column({ type: 'boolean', nullable: true })
  success!: boolean | null;

  @Column({ type: 'text', nullable: true })
  cluster!: string | null;

  @Column({ type: 'jsonb' })
  raw!: Record<string, unknown>;

  @Column({ name: 'ingested_at', type: TIMESTAMPTZ, default: () => 'now()' })
  ingestedAt!: Date;
}
