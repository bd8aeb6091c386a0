// Every entity, as classes (ESM: TypeORM is given classes, never globs).
import { AgentCertificateEntity } from './agent-certificate.entity.js';
import { EdgeAgentEntity } from './edge-agent.entity.js';
import { JoinTokenEntity } from './join-token.entity.js';
import { LeaseLogEntity } from './lease-log.entity.js';
import { LeaseEntity } from './lease.entity.js';
import { OperationEntity } from './operation.entity.js';
import { PrincipalEntity } from './principal.entity.js';
import { RoleEntity } from './role.entity.js';
import { TeleportEventEntity } from './teleport-event.entity.js';

export * from './agent-certificate.entity.js';
export * from './edge-agent.entity.js';
export * from './join-token.entity.js';
export * from './lease-log.entity.js';
export * from './lease.entity.js';
export * from './operation.entity.js';
export * from './principal.entity.js';
export * from './role.entity.js';
export * from './teleport-event.entity.js';

export const ENTITIES = [
  OperationEntity,
  EdgeAgentEntity,
  LeaseEntity,
  LeaseLogEntity,
  JoinTokenEntity,
  PrincipalEntity,
  RoleEntity,
  AgentCertificateEntity,
  TeleportEventEntity,
];
