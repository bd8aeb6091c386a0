// The AdminService RPCs (DESIGN §3.6). Each one has the same shape: the guard authenticates,
// authorizes and records; the handler validates, makes one service call and maps the result.
import { readFileSync } from 'node:fs';
import {
  toJson,
  type DescMessage,
  type JsonObject,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import {
  BUILTIN_ROLES,
  LEASE_KINDS,
  evaluate,
  isBuiltinRoleName,
  type Actor,
  type Capability,
  type LeaseKind,
  type PolicyContext,
  type RoleDefinition,
} from '@tmcp/policy';
import {
  AdminService,
  LeaseEventType,
  type GrpcCallContext,
  type GrpcServiceImpl,
  type TailLeaseLogsResponseSchema,
  type WatchLeasesResponseSchema,
} from '@tmcp/proto';
import { AgentsService } from '../agents/agents.service.js';
import { JoinTokensService } from '../agents/join-tokens.service.js';
import { REPLICA_ID } from '../agents/replica-id.js';
import { AuditIngestReportService } from '../audit/audit-ingest-report.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { ReadinessService } from '../health/readiness.service.js';
import { splitAtDrops } from '../leases/lease-log-drops.js';
import { LeaseLogFollower } from '../leases/lease-log-follower.js';
import { LeasePolicyTargets, leaseTargetArgument } from '../leases/lease-policy-targets.js';
import { LeaseWatcher, type LeaseWatchEvent } from '../leases/lease-watcher.js';
import { LeaseService, type LeaseCaller } from '../leases/lease.service.js';
import { OperationsService } from '../operations/operations.service.js';
import { PrincipalsService } from '../principals/principals.service.js';
import { RoleResolverService } from '../roles/role-resolver.service.js';
import { RolesService } from '../roles/roles.service.js';
import { AdminCallGuard, type AuthorizedCall } from './admin-call-guard.js';
import { decodePageToken, encodePageToken, pageScope, pageSizeOf } from './admin-page.js';
import {
  agentMessage,
  joinTokenMessage,
  leaseMessage,
  leaseStatusOf,
  logLineMessage,
  operationMessage,
  operationStatusOf,
  principalKindOf,
  principalMessage,
  roleInputOf,
  roleMessage,
} from './admin-proto-mappers.js';

type Impl = GrpcServiceImpl<typeof AdminService>;
type Methods = (typeof AdminService)['method'];

const SERVER_VERSION = readVersion();

@Injectable()
export class AdminServiceHandlers {
  constructor(
    private readonly guard: AdminCallGuard,
    private readonly principals: PrincipalsService,
    private readonly operations: OperationsService,
    private readonly roles: RolesService,
    private readonly roleResolver: RoleResolverService,
    private readonly readiness: ReadinessService,
    private readonly auditIngest: AuditIngestReportService,
    private readonly agents: AgentsService,
    private readonly leases: LeaseService,
    private readonly leaseWatcher: LeaseWatcher,
    private readonly leaseLogs: LeaseLogFollower,
    private readonly joinTokens: JoinTokensService,
    private readonly leaseTargets: LeasePolicyTargets,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(REPLICA_ID) private readonly replicaId: string,
  ) {}

  implementation(): Impl {
    return {
      // agents
      listAgents: this.unary('listAgents', 'admin.agents.read', async (request) => {
        const pageSize = pageSizeOf(request.pageSize);
        const scope = pageScope('ListAgents', { onlineOnly: request.onlineOnly });
        const after = decodePageToken(scope, request.pageToken, 1);
        const rows = await this.agents.list({
          onlineOnly: request.onlineOnly,
          ...(after?.[0] === undefined ? {} : { afterName: after[0] }),
          limit: pageSize + 1,
        });
        const page = rows.slice(0, pageSize);
        const last = page.at(-1);
        return {
          agents: page.map(agentMessage),
          nextPageToken:
            rows.length > pageSize && last !== undefined ? encodePageToken(scope, [last.name]) : '',
        };
      }),
      getAgent: this.unary('getAgent', 'admin.agents.read', async (request) => ({
        agent: agentMessage(await this.agents.get(required('agent_id', request.agentId))),
      })),
      drainAgent: this.unary('drainAgent', 'admin.agents.write', async (request, call) => {
        const { agent } = await this.agents.drain(required('agent_id', request.agentId), {
          actor: call.caller.name,
          reason: request.reason || (call.reason ?? ''),
        });
        return { agent: agentMessage(agent) };
      }),
      revokeAgent: this.unary('revokeAgent', 'admin.agents.write', async (request, call) => {
        const { agent, notified } = await this.agents.revoke(
          required('agent_id', request.agentId),
          {
            actor: call.caller.name,
            reason: request.reason || (call.reason ?? ''),
          },
        );
        return { agent: agentMessage(agent), disconnected: notified };
      }),

      // leases
      listLeases: this.unary('listLeases', 'admin.leases.read', async (request, call) => {
        const pageSize = pageSizeOf(request.pageSize);
        const filter = {
          activeOnly: request.activeOnly,
          ...optional('actor', nonEmpty(request.actor)),
          ...optional('agentId', nonEmpty(request.agentId)),
          ...optional('status', leaseStatusOf(request.status)),
        };
        const scope = pageScope('ListLeases', filter);
        const after = decodePageToken(scope, request.pageToken, 1);
        const rows = await this.leases.page(leaseCallerOf(call), {
          ...filter,
          ...optional('afterLeaseId', after?.[0]),
          limit: pageSize + 1,
        });
        const page = rows.slice(0, pageSize);
        const last = page.at(-1);
        return {
          leases: page.map(leaseMessage),
          nextPageToken:
            rows.length > pageSize && last !== undefined
              ? encodePageToken(scope, [last.leaseId])
              : '',
        };
      }),
      getLease: this.unary('getLease', 'admin.leases.read', async (request, call) => ({
        lease: leaseMessage(
          await this.leases.get(leaseCallerOf(call), required('lease_id', request.leaseId)),
        ),
      })),
      stopLease: this.unary('stopLease', 'admin.leases.write', async (request, call) => ({
        lease: leaseMessage(
          await this.leases.stop(leaseCallerOf(call), required('lease_id', request.leaseId)),
        ),
      })),
      extendLease: this.unary('extendLease', 'admin.leases.write', async (request, call) => {
        if (request.ttl === undefined) throw AppError.badParameter('ttl', 'is required');
        const seconds = Number(request.ttl.seconds);
        if (request.ttl.nanos !== 0 || !Number.isSafeInteger(seconds)) {
          throw AppError.badParameter('ttl', 'must be a whole number of seconds');
        }
        return {
          lease: leaseMessage(
            await this.leases.extend(
              leaseCallerOf(call),
              required('lease_id', request.leaseId),
              seconds,
              call.decision.constraints.maxTtlSeconds,
            ),
          ),
        };
      }),
      watchLeases: this.stream('watchLeases', 'admin.leases.read', (request, call, ctx) =>
        this.watchEvents(
          leaseCallerOf(call),
          {
            activeOnly: request.activeOnly,
            actor: nonEmpty(request.actor),
            agentId: nonEmpty(request.agentId),
          },
          ctx.signal,
        ),
      ),
      tailLeaseLogs: this.stream('tailLeaseLogs', 'admin.leases.read', (request, call, ctx) =>
        this.logBatches(
          leaseCallerOf(call),
          required('lease_id', request.leaseId),
          { tail: request.tail, follow: request.follow },
          ctx.signal,
        ),
      ),

      // operations
      listOperations: this.unary('listOperations', 'admin.operations.read', async (request) => {
        const pageSize = pageSizeOf(request.pageSize);
        const page = await this.operations.list(
          {
            actor: nonEmpty(request.actor),
            capability: nonEmpty(request.capability),
            status: operationStatusOf(request.status),
            since: request.since === undefined ? undefined : timestampDate(request.since),
          },
          { pageSize, pageToken: request.pageToken },
        );
        return {
          operations: page.operations.map(operationMessage),
          nextPageToken: page.nextPageToken ?? '',
        };
      }),
      getOperation: this.unary('getOperation', 'admin.operations.read', async (request) => ({
        operation: operationMessage(await this.operations.get(request.opId)),
      })),

      // roles
      listRoles: this.unary('listRoles', 'admin.roles.read', async (request) => {
        const pageSize = pageSizeOf(request.pageSize);
        const scope = pageScope('ListRoles', {});
        const after = decodePageToken(scope, request.pageToken, 2);
        const { builtin, custom } = await this.roles.list();
        // Built-in roles first (in their documented order), then custom roles by name.
        const ordered: [string, RoleDefinition, boolean][] = [
          ...builtin.map((r, i): [string, RoleDefinition, boolean] => [
            `0${String(i).padStart(4, '0')}`,
            r,
            true,
          ]),
          ...custom.map((r): [string, RoleDefinition, boolean] => [
            `1${r.role.name}`,
            r.role,
            false,
          ]),
        ];
        const start =
          after === undefined ? 0 : ordered.findIndex(([key]) => key > (after[0] ?? ''));
        const rows = start < 0 ? [] : ordered.slice(start, start + pageSize);
        const last = rows[rows.length - 1];
        const more = start >= 0 && start + pageSize < ordered.length;
        return {
          roles: rows.map(([, role, isBuiltin]) => roleMessage(role, isBuiltin)),
          nextPageToken:
            more && last !== undefined ? encodePageToken(scope, [last[0], last[1].name]) : '',
        };
      }),
      getRole: this.unary('getRole', 'admin.roles.read', async (request) => {
        const name = required('name', request.name);
        if (isBuiltinRoleName(name)) return { role: roleMessage(BUILTIN_ROLES[name], true) };
        return { role: roleMessage((await this.roles.get(name)).role, false) };
      }),
      upsertRole: this.unary('upsertRole', 'admin.roles.write', async (request) => {
        if (request.role === undefined) throw AppError.badParameter('role', 'is required');
        const stored = await this.roles.upsert(roleInputOf(request.role));
        return {
          role: roleMessage(stored.role, false),
          created: stored.createdAt.getTime() === stored.updatedAt.getTime(),
        };
      }),
      deleteRole: this.unary('deleteRole', 'admin.roles.write', async (request) => {
        const name = required('name', request.name);
        if (isBuiltinRoleName(name)) {
          throw new AppError(
            'precondition_failed',
            `role "${name}" is built in and cannot be deleted`,
          );
        }
        await this.roles.delete(name);
        return {};
      }),

      // principals
      createPrincipal: this.unary(
        'createPrincipal',
        'admin.principals.write',
        async (request, call) => {
          const expiresAt =
            request.ttl === undefined
              ? undefined
              : new Date(
                  this.clock.now().getTime() +
                    Number(request.ttl.seconds) * 1000 +
                    Math.floor(request.ttl.nanos / 1e6),
                );
          const { principal, apiKey } = await this.principals.create({
            name: request.name,
            kind: principalKindOf(request.kind),
            role: nonEmpty(request.role),
            expiresAt,
            createdBy: call.caller.name,
          });
          return { principal: principalMessage(principal), apiKey };
        },
      ),
      listPrincipals: this.unary('listPrincipals', 'admin.principals.read', async (request) => {
        const pageSize = pageSizeOf(request.pageSize);
        const scope = pageScope('ListPrincipals', { includeRevoked: request.includeRevoked });
        const after = decodePageToken(scope, request.pageToken, 2);
        const rows = await this.principals.list({
          includeRevoked: request.includeRevoked,
          limit: pageSize + 1,
          after: after === undefined ? undefined : { name: after[0] ?? '', id: after[1] ?? '' },
        });
        const page = rows.slice(0, pageSize);
        const last = page[page.length - 1];
        return {
          principals: page.map(principalMessage),
          nextPageToken:
            rows.length > pageSize && last !== undefined
              ? encodePageToken(scope, [last.name, last.id])
              : '',
        };
      }),
      revokePrincipal: this.unary('revokePrincipal', 'admin.principals.write', async (request) => ({
        principal: principalMessage(
          await this.principals.revoke(required('principal_id', request.principalId)),
        ),
      })),

      // join tokens
      createJoinToken: this.unary(
        'createJoinToken',
        'admin.tokens.write',
        async (request, call) => {
          let ttlSeconds: number | undefined;
          if (request.ttl !== undefined) {
            ttlSeconds = Number(request.ttl.seconds);
            if (request.ttl.nanos !== 0 || !Number.isSafeInteger(ttlSeconds)) {
              throw AppError.badParameter('ttl', 'must be a whole number of seconds');
            }
          }
          const { info, token } = await this.joinTokens.create({
            labels: request.labels,
            createdBy: call.caller.name,
            ...optional('ttlSeconds', ttlSeconds),
            ...optional('description', call.reason),
          });
          return { joinToken: joinTokenMessage(info), token };
        },
      ),
      listJoinTokens: this.unary('listJoinTokens', 'admin.tokens.read', async (request) => {
        const pageSize = pageSizeOf(request.pageSize);
        const scope = pageScope('ListJoinTokens', { includeInactive: request.includeInactive });
        const after = decodePageToken(scope, request.pageToken, 1);
        // Newest first; tokens are few (one per enrollment) and never deleted, so the cursor
        // (the last token id) is found in the list.
        const all = await this.joinTokens.list({ includeInactive: request.includeInactive });
        const start = after === undefined ? 0 : all.findIndex((t) => t.tokenId === after[0]) + 1;
        const page = start <= 0 && after !== undefined ? [] : all.slice(start, start + pageSize);
        const last = page.at(-1);
        return {
          joinTokens: page.map(joinTokenMessage),
          nextPageToken:
            start + pageSize < all.length && last !== undefined
              ? encodePageToken(scope, [last.tokenId])
              : '',
        };
      }),
      revokeJoinToken: this.unary('revokeJoinToken', 'admin.tokens.write', async (request) => ({
        joinToken: joinTokenMessage(
          await this.joinTokens.revoke(required('token_id', request.tokenId)),
        ),
      })),

      // policy, status, audit
      checkPolicy: this.unary('checkPolicy', 'admin.policy.check', async (request) => {
        const capability = required('capability', request.capability);
        const actor = await this.subjectOf(request.subject);
        const decision = evaluate(
          actor,
          capability,
          await policyContextOf(
            request.reason,
            request.ticket,
            request.context,
            this.clock.now(),
            this.leaseTargets,
          ),
          await this.roleResolver.resolver(),
        );
        return {
          allow: decision.allow,
          reason: decision.reason,
          rule: decision.rule,
          constraints: decision.constraints as unknown as JsonObject,
        };
      }),
      getStatus: this.unary('getStatus', 'admin.status.read', async () => {
        const report = await this.readiness.check();
        // Counting needs Postgres; when it is down the report says so and the counts are 0.
        const counts =
          report.checks.postgres?.status === 'ok'
            ? await Promise.all([this.agents.countConnected(), this.leases.countLive()])
            : [0, 0];
        const health = (name: string): { ok: boolean; message: string } => {
          const outcome = report.checks[name];
          return outcome?.status === 'ok'
            ? { ok: true, message: 'ok' }
            : { ok: false, message: outcome?.error ?? 'not checked' };
        };
        return {
          serverVersion: SERVER_VERSION,
          replica: this.replicaId,
          postgres: health('postgres'),
          redis: health('redis'),
          migrations: health('migrations'),
          agentsOnline: counts[0],
          activeLeases: counts[1],
          serverTime: timestampFromDate(this.clock.now()),
        };
      }),
      getAuditIngestStatus: this.unary('getAuditIngestStatus', 'admin.audit.read', async () => {
        const { stored, recent, replica } = await this.auditIngest.report();
        return {
          enabled: this.config.audit.ingestToken !== undefined,
          eventsStored: BigInt(stored.count),
          oldestEventTime: stored.oldest === null ? undefined : timestampFromDate(stored.oldest),
          newestEventTime: stored.newest === null ? undefined : timestampFromDate(stored.newest),
          lastReceivedAt:
            recent.lastReceivedAt === null ? undefined : timestampFromDate(recent.lastReceivedAt),
          retention: { seconds: BigInt(this.config.audit.retentionDays * 86_400), nanos: 0 },
          storedLastHour: BigInt(recent.lastHour),
          storedLastDay: BigInt(recent.lastDay),
          topEventTypesLastDay: recent.topTypesLastDay.map((t) => ({
            event: t.event,
            count: BigInt(t.count),
          })),
          thisReplica: {
            replica: this.replicaId,
            received: BigInt(replica.received),
            stored: BigInt(replica.stored),
            duplicates: BigInt(replica.duplicates),
            rejected: BigInt(replica.rejected),
            unauthorized: BigInt(replica.unauthorized),
            failed: BigInt(replica.failed),
            lastError: replica.lastError?.message ?? '',
          },
        };
      }),
    };
  }

  private unary<K extends keyof Impl>(
    name: K,
    capability: Capability,
    handle: (
      request: MessageShape<Methods[K]['input']>,
      call: AuthorizedCall,
      ctx: GrpcCallContext,
    ) => ReturnType<Impl[K]>,
  ): Impl[K] {
    const method = AdminService.method[name];
    const fn = (request: MessageShape<Methods[K]['input']>, ctx: GrpcCallContext): unknown =>
      this.guard.run(ctx, this.specOf(method.input, method.name, capability, request), (call) =>
        Promise.resolve(handle(request, call, ctx)),
      );
    return fn as unknown as Impl[K];
  }

  private stream<K extends 'watchLeases' | 'tailLeaseLogs'>(
    name: K,
    capability: Capability,
    handle: (
      request: MessageShape<Methods[K]['input']>,
      call: AuthorizedCall,
      ctx: GrpcCallContext,
    ) => AsyncIterable<unknown>,
  ): Impl[K] {
    const method = AdminService.method[name];
    const fn = (request: MessageShape<Methods[K]['input']>, ctx: GrpcCallContext): unknown =>
      this.guard.stream(ctx, this.specOf(method.input, method.name, capability, request), (call) =>
        handle(request, call, ctx),
      );
    return fn as unknown as Impl[K];
  }

  private specOf(
    schema: DescMessage,
    rpc: string,
    capability: Capability,
    request: unknown,
  ): { capability: Capability; tool: string; inputs: Record<string, unknown> } {
    const json = toJson(schema, request as MessageShape<DescMessage>, { useProtoFieldName: true });
    return {
      capability,
      tool: `admin.${rpc}`,
      inputs: typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {},
    };
  }

  private async *watchEvents(
    caller: LeaseCaller,
    filter: { activeOnly: boolean; actor: string | undefined; agentId: string | undefined },
    signal: AbortSignal,
  ): AsyncGenerator<MessageInitShape<typeof WatchLeasesResponseSchema>> {
    for await (const event of this.leaseWatcher.watch(caller, filter, signal)) {
      yield watchResponseOf(event);
    }
  }

  private async *logBatches(
    caller: LeaseCaller,
    leaseId: string,
    options: { tail: number; follow: boolean },
    signal: AbortSignal,
  ): AsyncGenerator<MessageInitShape<typeof TailLeaseLogsResponseSchema>> {
    for await (const lines of this.leaseLogs.follow(caller, leaseId, options, signal)) {
      // A stored drop notice becomes the `dropped` count of the lines after it.
      for (const part of splitAtDrops(lines)) {
        yield { lines: part.lines.map(logLineMessage), dropped: BigInt(part.dropped) };
      }
    }
  }

  private async subjectOf(
    subject: MessageShape<Methods['checkPolicy']['input']>['subject'],
  ): Promise<Actor> {
    switch (subject.case) {
      case 'actor': {
        const name = required('actor', subject.value);
        const [principal] = await this.principals.list({ name, limit: 1 });
        if (principal === undefined) {
          throw AppError.notFound(`principal "${name}" (no active principal has this name)`);
        }
        return { id: principal.name, roles: [principal.role], kind: principal.kind };
      }
      case 'role':
        return {
          id: `role:${required('role', subject.value)}`,
          roles: [subject.value],
          kind: 'user',
        };
      case undefined:
        throw AppError.badParameter('subject', 'give an actor (principal name) or a role');
    }
  }
}

/** The admin as a lease caller: the policy decision's lease scope says whose leases. */
function leaseCallerOf(call: AuthorizedCall): LeaseCaller {
  return { actor: call.caller.name, leaseScope: call.decision.constraints.leaseScope };
}

const WATCH_EVENT_TYPE: Record<LeaseWatchEvent['type'], LeaseEventType> = {
  snapshot: LeaseEventType.SNAPSHOT,
  snapshot_end: LeaseEventType.SNAPSHOT_END,
  created: LeaseEventType.CREATED,
  updated: LeaseEventType.UPDATED,
};

function watchResponseOf(
  event: LeaseWatchEvent,
): MessageInitShape<typeof WatchLeasesResponseSchema> {
  return {
    type: WATCH_EVENT_TYPE[event.type],
    ...(event.type === 'snapshot_end' ? {} : { lease: leaseMessage(event.lease) }),
    time: timestampFromDate(event.at),
  };
}

/** `{ [key]: value }` when the value is set, else nothing (exactOptionalPropertyTypes-safe). */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, V>>);
}

function nonEmpty(value: string): string | undefined {
  return value === '' ? undefined : value;
}

function required(field: string, value: string): string {
  if (value.trim() === '') throw AppError.badParameter(field, 'is required');
  return value;
}

/**
 * The dry run's context: reason, ticket, and the optional lease/tool details of the Struct
 * (`kind`, `target` as start_proxy takes it or a bare resource name, `ttl_seconds`, `cluster`,
 * `tool`). The target's name and labels are derived as for start_proxy.
 */
async function policyContextOf(
  reason: string,
  ticket: string,
  context: JsonObject | undefined,
  now: Date,
  leaseTargets: LeasePolicyTargets,
): Promise<PolicyContext> {
  const kind = context?.kind;
  const ttl = context?.ttl_seconds;
  const target = context?.target;
  const cluster = context?.cluster;
  const tool = context?.tool;
  if (
    kind !== undefined &&
    !(typeof kind === 'string' && (LEASE_KINDS as readonly string[]).includes(kind))
  ) {
    throw AppError.badParameter('context.kind', `must be one of ${LEASE_KINDS.join(', ')}`);
  }
  if (cluster !== undefined && typeof cluster !== 'string') {
    throw AppError.badParameter('context.cluster', 'must be a cluster name');
  }
  const leaseKind = kind as LeaseKind | undefined;
  const leaseTarget =
    leaseKind === undefined || target === undefined
      ? undefined
      : await leaseTargets.resolve(leaseKind, leaseTargetArgument(leaseKind, target), cluster);
  return {
    now,
    ...(reason === '' ? {} : { reason }),
    ...(ticket === '' ? {} : { ticket }),
    ...(typeof tool === 'string' ? { tool } : {}),
    ...(leaseKind !== undefined
      ? {
          lease: {
            kind: leaseKind,
            ...(leaseTarget === undefined ? {} : { target: leaseTarget }),
            ...(typeof ttl === 'number' ? { ttlSeconds: ttl } : {}),
          },
        }
      : {}),
  };
}

function readVersion(): string {
  try {
    const raw: unknown = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    );
    const version = (raw as { version?: unknown }).version;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
