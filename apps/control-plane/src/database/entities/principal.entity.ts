import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { PrincipalKind } from '../../principals/principal-kind.js';
import { TIMESTAMPTZ } from './columns.js';

export { PRINCIPAL_KINDS, type PrincipalKind } from '../../principals/principal-kind.js';

/** An API-key identity. The key is shown once; only its prefix (lookup) and scrypt hash are kept. */
@Entity({ name: 'principals' })
@Check('ck_principals_kind', `"kind" IN ('service', 'user')`)
@Index('uq_principals_key_prefix', ['keyPrefix'], { unique: true })
// A name is the actor recorded in operations: unique among principals that are not revoked.
@Index('uq_principals_name_active', ['name'], { unique: true, where: '"revoked_at" IS NULL' })
export class PrincipalEntity {
  @PrimaryGeneratedColumn('uuid', {
    name: 'principal_id',
    primaryKeyConstraintName: 'pk_principals',
  })
  principalId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  kind!: PrincipalKind;

  /** A built-in role (admin, operator, user, readonly) or the name of a row in `roles`. */
  @Column({ type: 'text' })
  role!: string;

  /** Non-secret: the first characters of the key after `tmcp_`, to find the row to verify. */
  @Column({ name: 'key_prefix', type: 'text' })
  keyPrefix!: string;

  /** `scrypt$N$r$p$salt$hash` (base64url). */
  @Column({ name: 'key_hash', type: 'text' })
  keyHash!: string;

  @Column({ name: 'created_by', type: 'text', nullable: true })
  createdBy!: string | null;

  @Column({ name: 'created_at', type: TIMESTAMPTZ, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: TIMESTAMPTZ, nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'revoked_at', type: TIMESTAMPTZ, nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'last_used_at', type: TIMESTAMPTZ, nullable: true })
  lastUsedAt!: Date | null;
}
