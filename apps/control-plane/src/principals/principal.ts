import type { PrincipalEntity, PrincipalKind } from '../database/entities/index.js';

/** A principal as the rest of the server sees it: everything but the key hash. */
export interface Principal {
  id: string;
  name: string;
  kind: PrincipalKind;
  role: string;
  keyPrefix: string;
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export function toPrincipal(entity: PrincipalEntity): Principal {
  return {
    id: entity.principalId,
    name: entity.name,
    kind: entity.kind,
    role: entity.role,
    keyPrefix: entity.keyPrefix,
    createdBy: entity.createdBy,
    createdAt: entity.createdAt,
    expiresAt: entity.expiresAt,
    revokedAt: entity.revokedAt,
    lastUsedAt: entity.lastUsedAt,
  };
}
