// Domain values to AdminService messages (and the few enums back). Pure.
import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AppError } from '@tmcp/errors';
import type { RoleDefinition } from '@tmcp/policy';
import {
  AgentStatus,
  LEASE_KIND_BY_NAME,
  LEASE_STATUS_BY_NAME,
  LeaseStatus,
  leaseStatusName,
  LogStream,
  OperationStatus,
  PrincipalKind,
  type AgentSchema,
  type JoinTokenSchema,
  type LeaseSchema,
  type LogLineSchema,
  type OperationSchema,
  type PrincipalSchema,
  type RoleSchema,
} from '@tmcp/proto';
import type { EdgeAgentDetails } from '../agents/edge-agents.repository.js';
import type { JoinTokenInfo } from '../agents/join-tokens.service.js';
import type {
  OperationStatus as DomainOperationStatus,
  LeaseStatus as DomainLeaseStatus,
  PrincipalKind as DomainPrincipalKind,
} from '../database/entities/index.js';
import type { LeaseLogLine, LeaseRecord } from '../leases/lease.repository.js';
import type { Operation } from '../operations/operations.service.js';
import type { Principal } from '../principals/principal.js';

const ts = (date: Date | null): ReturnType<typeof timestampFromDate> | undefined =>
  date === null ? undefined : timestampFromDate(date);

export function principalMessage(p: Principal): MessageInitShape<typeof PrincipalSchema> {
  return {
    principalId: p.id,
    name: p.name,
    kind: p.kind === 'user' ? PrincipalKind.USER : PrincipalKind.SERVICE,
    role: p.role,
    createdAt: timestampFromDate(p.createdAt),
    expiresAt: ts(p.expiresAt),
    revokedAt: ts(p.revokedAt),
    lastUsedAt: ts(p.lastUsedAt),
    keyPrefix: p.keyPrefix,
  };
}

export function principalKindOf(kind: PrincipalKind): DomainPrincipalKind {
  switch (kind) {
    case PrincipalKind.USER:
      return 'user';
    case PrincipalKind.SERVICE:
    case PrincipalKind.UNSPECIFIED:
      return 'service';
    default:
      throw AppError.badParameter('kind', 'must be user or service');
  }
}

const OPERATION_STATUS: Record<DomainOperationStatus, OperationStatus> = {
  queued: OperationStatus.QUEUED,
  running: OperationStatus.RUNNING,
  succeeded: OperationStatus.SUCCEEDED,
  failed: OperationStatus.FAILED,
  denied: OperationStatus.DENIED,
};

export function operationStatusOf(status: OperationStatus): DomainOperationStatus | undefined {
  if (status === OperationStatus.UNSPECIFIED) return undefined;
  const found = Object.entries(OPERATION_STATUS).find(([, value]) => value === status);
  if (found === undefined) throw AppError.badParameter('status', 'is not a known operation status');
  return found[0] as DomainOperationStatus;
}

export function operationMessage(op: Operation): MessageInitShape<typeof OperationSchema> {
  return {
    opId: op.opId,
    requestId: op.requestId ?? '',
    sessionId: op.sessionId ?? '',
    actor: op.actor,
    capability: op.capability,
    tool: op.tool,
    inputs: op.inputs as JsonObject,
    status: OPERATION_STATUS[op.status],
    startedAt: timestampFromDate(op.startedAt),
    endedAt: ts(op.endedAt),
    durationMs: op.durationMs ?? 0,
    ...(op.exitCode === null ? {} : { exitCode: op.exitCode }),
    stdout: op.stdout ?? '',
    stderr: op.stderr ?? '',
    error: op.error === null ? '' : `${op.error.code}: ${op.error.message}`,
    ...(op.decision === null ? {} : { decision: op.decision as JsonObject }),
    reason: op.reason ?? '',
    ticket: op.ticket ?? '',
  };
}

/** `requireTicket` travels inside `constraints` (the Role message has no field of its own). */
export const REQUIRE_TICKET_KEY = 'requireTicket';

export function roleMessage(
  role: RoleDefinition,
  builtin: boolean,
): MessageInitShape<typeof RoleSchema> {
  return {
    name: role.name,
    description: role.description,
    allow: [...role.allow],
    deny: [...role.deny],
    constraints: {
      ...(role.constraints as unknown as JsonObject),
      ...(role.requireTicket === undefined
        ? {}
        : { [REQUIRE_TICKET_KEY]: role.requireTicket as unknown as JsonObject }),
    },
    builtin,
  };
}

/** A Role message as the policy engine's role input (validated by the roles service). */
export function roleInputOf(role: {
  name: string;
  description: string;
  allow: string[];
  deny: string[];
  constraints?: JsonObject | undefined;
}): Record<string, unknown> {
  const { [REQUIRE_TICKET_KEY]: requireTicket, ...constraints } = role.constraints ?? {};
  return {
    name: role.name,
    description: role.description,
    allow: role.allow,
    deny: role.deny,
    constraints,
    ...(requireTicket === undefined ? {} : { requireTicket }),
  };
}

export function agentMessage(a: EdgeAgentDetails): MessageInitShape<typeof AgentSchema> {
  return {
    agentId: a.agentId,
    hostname: a.hostname ?? '',
    labels: { ...a.labels },
    version: a.version ?? '',
    status: a.connected ? AgentStatus.ONLINE : AgentStatus.OFFLINE,
    connectedReplica: a.connected ? (a.connectedReplica ?? '') : '',
    lastHeartbeatAt: ts(a.lastSeenAt),
    enrolledAt: timestampFromDate(a.enrolledAt),
    certNotAfter: ts(a.certNotAfter),
    draining: a.status === 'draining',
    revokedAt: ts(a.revokedAt),
  };
}

export function leaseStatusOf(status: LeaseStatus): DomainLeaseStatus | undefined {
  if (status === LeaseStatus.UNSPECIFIED) return undefined;
  const name = leaseStatusName(status);
  if (name === undefined) throw AppError.badParameter('status', 'is not a known lease status');
  return name;
}

export function leaseMessage(l: LeaseRecord): MessageInitShape<typeof LeaseSchema> {
  return {
    leaseId: l.leaseId,
    kind: LEASE_KIND_BY_NAME[l.kind],
    actor: l.actor,
    cluster: l.cluster,
    target: { ...l.target },
    listenAddr: l.listenAddr ?? '',
    pid: l.pid ?? 0,
    agentId: l.agentId ?? '',
    status: LEASE_STATUS_BY_NAME[l.status],
    generation: l.generation,
    createdAt: timestampFromDate(l.createdAt),
    expiresAt: timestampFromDate(l.expiresAt),
    ...(l.exitCode === null ? {} : { exitCode: l.exitCode }),
    error: l.error ?? '',
    reason: l.reason ?? '',
    ticket: l.ticket ?? '',
    lastHeartbeatAt: ts(l.lastHeartbeatAt),
  };
}

export function logLineMessage(line: LeaseLogLine): MessageInitShape<typeof LogLineSchema> {
  return {
    seq: BigInt(line.seq),
    ts: timestampFromDate(line.ts),
    stream:
      line.stream === 'stdout'
        ? LogStream.STDOUT
        : line.stream === 'stderr'
          ? LogStream.STDERR
          : LogStream.UNSPECIFIED,
    line: line.line,
  };
}

export function joinTokenMessage(t: JoinTokenInfo): MessageInitShape<typeof JoinTokenSchema> {
  return {
    tokenId: t.tokenId,
    labels: { ...t.labels },
    expiresAt: timestampFromDate(t.expiresAt),
    createdAt: timestampFromDate(t.createdAt),
    usedAt: ts(t.usedAt),
    revoked: t.revokedAt !== null,
    usedByAgentId: t.usedByAgentId ?? '',
  };
}
