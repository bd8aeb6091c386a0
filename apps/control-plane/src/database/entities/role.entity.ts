import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TIMESTAMPTZ } from './columns.js';

/** A custom role; the built-in roles (admin, operator, user, readonly) live in code. */
@Entity({ name: 'roles' })
export class RoleEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_roles' })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  /** Capability patterns this role grants (`inventory.*`). */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  allow!: string[];

  /** Capability patterns this role denies; deny wins. */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  deny!: string[];

  /** Max TTL, lease caps, allowed kinds and targets, tool patterns, rate limits, … */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  constraints!: Record<string, unknown>;

  @Column({ name: 'created_at', type: TIMESTAMPTZ, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: TIMESTAMPTZ, default: () => 'now()' })
  updatedAt!: Date;
}
