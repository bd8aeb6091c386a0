// The policy decision: may this actor use this capability in this context? Pure: roles come
// from a resolver, time from the context, and a denial is a value (allow=false), never a throw.
//
// Order: known capability → known roles → any role's deny → some role's allow → reason (for
// mutating capabilities) → ticket (roles that require one grant only with a matching ticket) →
// constraints combined over the granting roles → federated tool → lease constraints.
import {
  CAPABILITIES,
  TOOL_CAPABILITIES,
  TOOL_NAMES,
  isCapability,
  isMutating,
  type Capability,
  type ToolName,
} from './capabilities.js';
import { findCapabilityPattern } from './capability-pattern.js';
import type { RoleResolver } from './builtin-roles.js';
import { matchFederatedTool } from './federated-tool-pattern.js';
import {
  LEASE_KINDS,
  checkLease,
  type EffectiveConstraints,
  type LeaseRequest,
  type RateLimit,
} from './lease-constraints.js';
import { DEFAULT_ROLE_CONSTRAINTS, type RoleDefinition } from './role-definition.js';
import { matchTicket } from './ticket-pattern.js';

export const MAX_REASON_LENGTH = 1000;

export type ActorKind = 'user' | 'service';

export interface Actor {
  readonly id: string;
  /** Role names, resolved through the RoleResolver; unknown names grant nothing. */
  readonly roles: readonly string[];
  readonly kind: ActorKind;
}

export interface PolicyContext {
  /** Why the actor does this; required (non-blank, ≤ MAX_REASON_LENGTH) for mutating capabilities. */
  readonly reason?: string;
  /** Change ticket, required by roles with `requireTicket`. */
  readonly ticket?: string;
  /** The lease being started or extended: checked against the lease constraints. */
  readonly lease?: LeaseRequest;
  /** The actor's active leases (without this one); when given, concurrency is checked too. */
  readonly activeLeases?: number;
  /** For federation.call: the upstream tool name, without the `<lease>__` prefix. */
  readonly tool?: string;
  /** The time of the decision. No current rule depends on it; rules that will, read it here. */
  readonly now?: Date;
}

export interface PolicyDecision {
  readonly allow: boolean;
  /** A sentence for the caller: why, and what to do about a denial. */
  readonly reason: string;
  /** What decided, e.g. `role operator allow proxy.*`, `role x deny passthrough.*`, `requirement: reason`. */
  readonly rule: string;
  readonly constraints: EffectiveConstraints;
}

interface RoleMatch {
  readonly role: RoleDefinition;
  readonly pattern: string;
}

/** Decide `capability` for `actor`. Never throws for a denial. */
export function evaluate(
  actor: Actor,
  capability: string,
  context: PolicyContext,
  roleSet: RoleResolver,
): PolicyDecision {
  const roles = resolveRoles(actor, roleSet);
  const rateLimit = combineRateLimit(roles, roleSet);
  const deny = (rule: string, reason: string): PolicyDecision => ({
    allow: false,
    rule,
    reason: `Denied: ${reason}`,
    constraints: nothingGranted(rateLimit),
  });

  if (!isCapability(capability)) {
    return deny('unknown capability', `${capability} is not a known capability.`);
  }
  if (roles.length === 0) {
    return deny(
      'no known role',
      `${actor.id} has no known role (assigned: ${listOrNone(actor.roles)}). Ask an admin to assign one.`,
    );
  }

  const capDecision = decideCapability(roles, capability);
  if (capDecision.kind === 'denied') {
    const { role, pattern } = capDecision.match;
    return deny(
      `role ${role.name} deny ${pattern}`,
      `role ${role.name} denies ${capability} (rule ${pattern}). Ask an admin for a role that allows it.`,
    );
  }
  if (capDecision.kind === 'not_allowed') {
    return deny(
      'default deny',
      `none of your roles (${roles.map((r) => r.name).join(', ')}) allows ${capability}. Ask an admin for a role that allows it.`,
    );
  }

  if (isMutating(capability)) {
    const reason = context.reason?.trim() ?? '';
    if (reason === '') {
      return deny(
        'requirement: reason',
        `${capability} changes state and needs a reason: say briefly why you are doing this.`,
      );
    }
    if (reason.length > MAX_REASON_LENGTH) {
      return deny(
        'requirement: reason',
        `the reason is ${reason.length} characters long; keep it to ${MAX_REASON_LENGTH}.`,
      );
    }
  }

  const granting = capDecision.matches.filter((m) => ticketSatisfied(m.role, capability, context));
  const first = granting[0];
  if (first === undefined) {
    const patterns = capDecision.matches.map(
      (m) => `${m.role.requireTicket?.pattern ?? ''} (role ${m.role.name})`,
    );
    return deny(
      'requirement: ticket',
      `${capability} needs a ticket matching ${patterns.join(' or ')}: pass the change ticket.`,
    );
  }

  const constraints = combineConstraints(
    granting.map((m) => m.role),
    roles,
    rateLimit,
  );
  const grantRule = `role ${first.role.name} allow ${first.pattern}`;

  let toolRule = '';
  if (capability === 'federation.call') {
    const tool = context.tool ?? '';
    if (tool === '') {
      return denyWith(constraints, 'requirement: tool', 'federation.call needs the tool name.');
    }
    const match = matchFederatedTool(constraints.federatedTools, tool);
    if (!match.allow) {
      if (match.deniedBy !== undefined) {
        const by = roleWithToolPattern(roles, match.deniedBy, 'deny');
        return denyWith(
          constraints,
          `role ${by} deny tool ${match.deniedBy}`,
          `role ${by} denies the federated tool ${tool} (pattern ${match.deniedBy}).`,
        );
      }
      return denyWith(
        constraints,
        'federated tool: no allow pattern',
        `no federated tool pattern of your roles allows ${tool}. Ask an admin to allow it.`,
      );
    }
    toolRule = `; role ${roleWithToolPattern(
      granting.map((m) => m.role),
      match.pattern,
      'allow',
    )} allow tool ${match.pattern}`;
  }

  if (context.lease !== undefined) {
    const violations = checkLease(constraints, context.lease, context.activeLeases);
    const firstViolation = violations[0];
    if (firstViolation !== undefined) {
      return denyWith(
        constraints,
        `constraint: ${firstViolation.constraint}`,
        `${violations.map((v) => v.message).join('; ')}.`,
      );
    }
  }

  return {
    allow: true,
    rule: grantRule + toolRule,
    reason: `Allowed: role ${first.role.name} grants ${capability} (rule ${first.pattern}).`,
    constraints,
  };
}

/**
 * Tools the actor may see in `tools/list`: those whose capability some role allows and no role
 * denies. Requirements (reason, ticket, lease limits) are checked at call time, not here.
 * Federated tools are filtered per call with `evaluate(…, 'federation.call', { tool })`.
 */
export function visibleTools(actor: Actor, roleSet: RoleResolver): ToolName[] {
  const allowed = new Set(allowedCapabilities(actor, roleSet));
  return TOOL_NAMES.filter((tool) => allowed.has(TOOL_CAPABILITIES[tool]));
}

/** Capabilities some role of the actor allows and none denies (requirements not considered). */
export function allowedCapabilities(actor: Actor, roleSet: RoleResolver): Capability[] {
  const roles = resolveRoles(actor, roleSet);
  return CAPABILITIES.filter((c) => decideCapability(roles, c).kind === 'allowed');
}

/**
 * The actor's rate limit: the most permissive of its roles, a role without its own counting as
 * the resolver's default; the default alone for an actor without a known role.
 */
export function rateLimitFor(actor: Actor, roleSet: RoleResolver): RateLimit {
  return combineRateLimit(resolveRoles(actor, roleSet), roleSet);
}

type CapabilityDecision =
  | { kind: 'denied'; match: RoleMatch }
  | { kind: 'not_allowed' }
  | { kind: 'allowed'; matches: RoleMatch[] };

function decideCapability(
  roles: readonly RoleDefinition[],
  capability: Capability,
): CapabilityDecision {
  for (const role of roles) {
    const pattern = findCapabilityPattern(role.deny, capability);
    if (pattern !== undefined) return { kind: 'denied', match: { role, pattern } };
  }
  const matches = roles.flatMap((role) => {
    const pattern = findCapabilityPattern(role.allow, capability);
    return pattern === undefined ? [] : [{ role, pattern }];
  });
  return matches.length === 0 ? { kind: 'not_allowed' } : { kind: 'allowed', matches };
}

function resolveRoles(actor: Actor, roleSet: RoleResolver): RoleDefinition[] {
  const seen = new Set<string>();
  const roles: RoleDefinition[] = [];
  for (const name of actor.roles) {
    if (seen.has(name)) continue;
    seen.add(name);
    const role = roleSet.get(name);
    if (role !== undefined) roles.push(role);
  }
  return roles;
}

function ticketSatisfied(
  role: RoleDefinition,
  capability: Capability,
  context: PolicyContext,
): boolean {
  const requirement = role.requireTicket;
  if (requirement === undefined) return true;
  const applies =
    requirement.capabilities === undefined
      ? isMutating(capability)
      : findCapabilityPattern(requirement.capabilities, capability) !== undefined;
  if (!applies) return true;
  return matchTicket(requirement.pattern, context.ticket?.trim() ?? '');
}

/**
 * Most permissive over the roles that grant the capability: highest TTL and lease count, union
 * of kinds, targets and federated allow patterns, `any` lease scope if one role has it.
 * Federated deny patterns come from every role of the actor (Teleport role-set semantics).
 */
function combineConstraints(
  granting: readonly RoleDefinition[],
  all: readonly RoleDefinition[],
  rateLimit: RateLimit,
): EffectiveConstraints {
  const cs = granting.map((r) => r.constraints);
  const kinds = new Set(cs.flatMap((c) => c.allowedLeaseKinds));
  return {
    maxTtlSeconds: Math.max(...cs.map((c) => c.maxTtlSeconds)),
    maxConcurrentLeases: Math.max(...cs.map((c) => c.maxConcurrentLeases)),
    allowedLeaseKinds: LEASE_KINDS.filter((k) => kinds.has(k)),
    allowedTargets: unique(cs.flatMap((c) => c.allowedTargets)),
    federatedTools: {
      allow: unique(cs.flatMap((c) => c.federatedTools.allow)),
      deny: unique(all.flatMap((r) => r.constraints.federatedTools.deny)),
    },
    rateLimit,
    leaseScope: cs.some((c) => c.leaseScope === 'any') ? 'any' : 'own',
  };
}

function combineRateLimit(roles: readonly RoleDefinition[], roleSet: RoleResolver): RateLimit {
  const fallback = roleSet.defaultRateLimit ?? DEFAULT_ROLE_CONSTRAINTS.rateLimit;
  if (roles.length === 0) return { ...fallback };
  const limits = roles.map((r) => r.constraints.rateLimit ?? fallback);
  return {
    perMinute: Math.max(...limits.map((l) => l.perMinute)),
    burst: Math.max(...limits.map((l) => l.burst)),
  };
}

function nothingGranted(rateLimit: RateLimit): EffectiveConstraints {
  return {
    maxTtlSeconds: 0,
    maxConcurrentLeases: 0,
    allowedLeaseKinds: [],
    allowedTargets: [],
    federatedTools: { allow: [], deny: [] },
    rateLimit,
    leaseScope: 'own',
  };
}

function denyWith(constraints: EffectiveConstraints, rule: string, reason: string): PolicyDecision {
  return { allow: false, rule, reason: `Denied: ${reason}`, constraints };
}

function roleWithToolPattern(
  roles: readonly RoleDefinition[],
  pattern: string,
  side: 'allow' | 'deny',
): string {
  const role = roles.find((r) => r.constraints.federatedTools[side].includes(pattern));
  return role?.name ?? '?';
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function listOrNone(values: readonly string[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}
