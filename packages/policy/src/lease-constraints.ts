// Constraints a role puts on leases and calls, the fully resolved form the engine hands to the
// services (EffectiveConstraints), and the lease check itself.
import type { FederatedToolPatterns } from './federated-tool-pattern.js';
import { matchGlob } from './glob-pattern.js';

export const LEASE_KINDS = [
  'proxy_ssh',
  'proxy_db',
  'proxy_app',
  'proxy_kube',
  'proxy_mcp',
  'mcp_db',
  'vnet',
] as const;
export type LeaseKind = (typeof LEASE_KINDS)[number];

/** Leases without a target (everything else needs one). */
const TARGETLESS_KINDS: ReadonlySet<LeaseKind> = new Set(['vnet']);

export interface RateLimit {
  readonly perMinute: number;
  readonly burst: number;
}

/** Whose leases the lease tools (status, logs, stop, extend, list) may touch. */
export type LeaseScope = 'own' | 'any';

export interface EffectiveConstraints {
  readonly maxTtlSeconds: number;
  readonly maxConcurrentLeases: number;
  readonly allowedLeaseKinds: readonly LeaseKind[];
  /** Name globs (`prod-*`) and label selectors (`env=prod`, `team=*`, `env=prod,tier=db`). */
  readonly allowedTargets: readonly string[];
  readonly federatedTools: FederatedToolPatterns;
  /** Per actor, over all of its roles (the gateway limits calls before any decision). */
  readonly rateLimit: RateLimit;
  readonly leaseScope: LeaseScope;
}

/** What a lease is opened on: a db/app/node/kube name and, when known, its labels. */
export interface LeaseTarget {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface LeaseRequest {
  readonly kind: LeaseKind;
  /** Required for every kind except `vnet`. */
  readonly target?: LeaseTarget;
  /** Requested TTL; when absent the lease service picks one within `maxTtlSeconds`. */
  readonly ttlSeconds?: number;
}

export type LeaseConstraint = 'ttl' | 'kind' | 'target' | 'concurrency';

export interface LeaseViolation {
  readonly constraint: LeaseConstraint;
  /** A sentence for the caller: what is wrong and what would be accepted. */
  readonly message: string;
}

/** True when the entry is a label selector (`k=v[,k2=v2]`) rather than a name glob. */
export function isLabelSelector(entry: string): boolean {
  return entry.includes('=');
}

/**
 * Does one allowedTargets entry admit the target? A name glob matches the target name; a label
 * selector matches when every `k=v` term matches a label (`v` is a glob, so `k=*` means "has
 * label k").
 */
export function matchTargetEntry(entry: string, target: LeaseTarget): boolean {
  if (!isLabelSelector(entry)) return matchGlob(entry, target.name);
  const labels = target.labels ?? {};
  return entry.split(',').every((term) => {
    const eq = term.indexOf('=');
    const key = term.slice(0, eq).trim();
    const value = term.slice(eq + 1).trim();
    const actual = Object.hasOwn(labels, key) ? labels[key] : undefined;
    return actual !== undefined && matchGlob(value, actual);
  });
}

export function matchTarget(allowedTargets: readonly string[], target: LeaseTarget): boolean {
  return allowedTargets.some((entry) => matchTargetEntry(entry, target));
}

/**
 * Every way `lease` breaks `constraints` (empty when it is acceptable). `activeCount` is the
 * number of the actor's leases that are still pending/starting/active, without this one.
 */
export function checkLease(
  constraints: EffectiveConstraints,
  lease: LeaseRequest,
  activeCount?: number,
): LeaseViolation[] {
  const violations: LeaseViolation[] = [];
  if (lease.ttlSeconds !== undefined) {
    if (!Number.isFinite(lease.ttlSeconds) || lease.ttlSeconds <= 0) {
      violations.push({
        constraint: 'ttl',
        message: `ttl_seconds must be a positive number of seconds, got ${lease.ttlSeconds}`,
      });
    } else if (lease.ttlSeconds > constraints.maxTtlSeconds) {
      violations.push({
        constraint: 'ttl',
        message: `ttl_seconds ${lease.ttlSeconds} exceeds the maximum of ${constraints.maxTtlSeconds}: ask for ${constraints.maxTtlSeconds} or less`,
      });
    }
  }
  if (!constraints.allowedLeaseKinds.includes(lease.kind)) {
    const allowed = constraints.allowedLeaseKinds;
    violations.push({
      constraint: 'kind',
      message:
        allowed.length === 0
          ? `lease kind ${lease.kind} is not allowed: your roles allow no lease kinds`
          : `lease kind ${lease.kind} is not allowed: your roles allow ${allowed.join(', ')}`,
    });
  }
  if (lease.target === undefined) {
    if (!TARGETLESS_KINDS.has(lease.kind)) {
      violations.push({ constraint: 'target', message: `a ${lease.kind} lease needs a target` });
    }
  } else if (!matchTarget(constraints.allowedTargets, lease.target)) {
    const labels = lease.target.labels;
    const seen = constraints.allowedTargets.some(isLabelSelector)
      ? labels === undefined
        ? ` (its labels are not known)`
        : ` (labels: ${formatLabels(labels)})`
      : '';
    violations.push({
      constraint: 'target',
      message: `target ${lease.target.name}${seen} is not allowed: your roles allow targets matching ${
        constraints.allowedTargets.length === 0 ? '(none)' : constraints.allowedTargets.join(', ')
      }`,
    });
  }
  if (activeCount !== undefined && activeCount >= constraints.maxConcurrentLeases) {
    violations.push({
      constraint: 'concurrency',
      message: `you already hold ${activeCount} active lease(s), the maximum is ${constraints.maxConcurrentLeases}: stop one first`,
    });
  }
  return violations;
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k] ?? ''}`);
  return pairs.length === 0 ? 'none' : pairs.join(',');
}
