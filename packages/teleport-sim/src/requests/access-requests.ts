// Access request rules shared by `tsh request` and `tctl requests`: creation checks the
// requestable roles, reviews follow the default threshold (one approval or one denial).
import { randomUUID } from 'node:crypto';
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { rfc3339Nano } from '../format/go-time.js';
import type { AccessChecker } from '../rbac/access-checker.js';
import { orderKeys } from '../state/resource-kinds.js';
import type { Resource, SimState } from '../state/sim-state.js';

const REQUEST_SPEC_ORDER = [
  'user',
  'roles',
  'state',
  'created',
  'expires',
  'request_reason',
  'resolve_reason',
  'resolve_annotations',
  'system_annotations',
  'thresholds',
  'rtm',
  'reviews',
  'suggested_reviewers',
  'resource_ids',
  'login_hint',
  'dry_run',
  'max_duration',
  'session_ttl',
  'access_list',
  'assume_start_time',
  'expiry',
];

export const STATE_NAMES = ['NONE', 'PENDING', 'APPROVED', 'DENIED', 'PROMOTED'] as const;
export const PENDING = 1;
export const APPROVED = 2;
export const DENIED = 3;

export function stateName(request: Resource): string {
  const state = typeof request.spec.state === 'number' ? request.spec.state : 0;
  return STATE_NAMES[state] ?? 'NONE';
}

export function findRequest(state: SimState, id: string): Resource {
  const request = state.access_requests.find((r) => r.metadata.name === id);
  if (!request) throw TeleportError.notFound(`access request "${id}" not found`);
  return request;
}

export interface NewRequest {
  roles: string[];
  resourceIds: string[];
  reason: string | undefined;
  reviewers: string[];
  ttlMs: number;
}

/** A pending request by the checker's user; errors as the auth server rejects bad ones. */
export function createRequest(
  state: SimState,
  checker: AccessChecker,
  input: NewRequest,
  ctx: SimContext,
): Resource {
  if (input.roles.length === 0 && input.resourceIds.length === 0) {
    throw TeleportError.badParameter(
      'at least one role or resource or a request ID must be specified',
    );
  }
  for (const role of input.roles) {
    if (!checker.canRequestRole(role)) {
      throw TeleportError.badParameter(`user "${checker.username}" can not request role "${role}"`);
    }
  }
  const now = ctx.now().getTime();
  const end = rfc3339Nano(new Date(now + input.ttlMs));
  const resourceIds = input.resourceIds.map((id) => {
    const [, cluster = '', kind = '', name = '', sub] = id.split('/');
    return { cluster, kind, name, ...(sub ? { sub_resource: sub } : {}) };
  });
  const request: Resource = {
    kind: 'access_request',
    version: 'v3',
    metadata: {
      name: randomUUID(),
      expires: rfc3339Nano(new Date(now + input.ttlMs + 12 * 3_600_000)),
    },
    spec: {
      user: checker.username,
      roles: input.roles.length ? input.roles : ['access'],
      state: PENDING,
      created: rfc3339Nano(new Date(now)),
      expires: end,
      ...(input.reason ? { request_reason: input.reason } : {}),
      thresholds: [{ name: 'default', approve: 1, deny: 1 }],
      ...(input.reviewers.length ? { suggested_reviewers: input.reviewers } : {}),
      ...(resourceIds.length ? { resource_ids: resourceIds } : {}),
      max_duration: end,
      session_ttl: end,
    },
  };
  state.access_requests.push(request);
  ctx.audit.emit({
    event: 'access_request.create',
    code: 'T5000I',
    user: checker.username,
    id: request.metadata.name,
    roles: request.spec.roles,
    state: 'PENDING',
    reason: input.reason ?? '',
    ...(resourceIds.length ? { resource_ids: resourceIds } : {}),
  });
  return request;
}

/** Adds a review; returns the request state name after it. */
export function reviewRequest(
  state: SimState,
  checker: AccessChecker,
  id: string,
  approve: boolean,
  reason: string | undefined,
  ctx: SimContext,
): string {
  const request = findRequest(state, id);
  if (request.spec.user === checker.username) {
    throw TeleportError.accessDenied(
      `user "${checker.username}" cannot submit a review of their own request`,
    );
  }
  const roles = (request.spec.roles as string[] | undefined) ?? [];
  if (!checker.canReviewRoles(roles))
    throw TeleportError.accessDenied(`user "${checker.username}" cannot review this request`);
  const proposed = approve ? APPROVED : DENIED;
  const reviews = (request.spec.reviews as Record<string, unknown>[] | undefined) ?? [];
  reviews.push({
    author: checker.username,
    roles: [...checker.roleNames],
    proposed_state: proposed,
    ...(reason ? { reason } : {}),
    created: rfc3339Nano(ctx.now()),
  });
  const wasPending = request.spec.state === PENDING;
  const spec: Record<string, unknown> = { ...request.spec, reviews };
  if (wasPending) {
    spec.state = proposed;
    if (reason) spec.resolve_reason = reason;
  }
  request.spec = orderKeys(spec, REQUEST_SPEC_ORDER);
  ctx.audit.emit({
    event: 'access_request.review',
    code: 'T5002I',
    user: checker.username,
    id,
    reviewer: checker.username,
    proposed_state: STATE_NAMES[proposed],
    reason: reason ?? '',
    state: stateName(request),
  });
  if (wasPending) {
    ctx.audit.emit({
      event: 'access_request.update',
      code: 'T5001I',
      user: checker.username,
      id,
      state: stateName(request),
      reason: reason ?? '',
    });
  }
  return stateName(request);
}
