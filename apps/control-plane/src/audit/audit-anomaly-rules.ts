// The anomaly rules, pure: they read arrays of compact events (and, for storms, per-bucket
// counts computed by PostgreSQL) and return findings. No I/O, no clock: table-tested in
// audit-anomaly-rules.spec.ts; AuditAnomalyDetector loads their input.
//
// Event types and codes follow TELEPORT.md §1.9/§3.8 and Teleport's lib/events/codes.go.
// Fields that reference does not pin down (reviewer vs updated_by, the requester on update
// events, role specs) are all optional here: a rule that lacks its field stays quiet.
import type { AuditEventSummary } from './audit-event.js';
import type { DetectorEvent, EventBucketCount } from './audit-events.repository.js';

export const ANOMALY_KINDS = [
  'event_storm',
  'brute_force',
  'role_change_spike',
  'user_change_spike',
  'privilege_escalation',
  'self_approved_request',
  'denied_then_approved',
  'mcp_denied_then_allowed',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface AnomalyFinding {
  /** Stable for the same underlying events, so repeated runs can be compared. */
  id: string;
  kind: AnomalyKind;
  severity: Severity;
  summary: string;
  /** The events that support the finding, at most MAX_EVIDENCE. */
  evidence: AuditEventSummary[];
  counts: Record<string, number>;
}

export interface AnomalyThresholds {
  /** Storms: bucket length in minutes. */
  stormBucketMinutes: number;
  /** Storms: a bucket needs at least this many events of one type … */
  stormMinEvents: number;
  /** … and this many times the type's average per bucket over the rest of the window. */
  stormBaselineFactor: number;
  /** Storms: this many events of one type in one bucket is a storm whatever the baseline. */
  stormAbsoluteEvents: number;
  /** Sliding window (minutes) for brute force and change spikes. */
  burstWindowMinutes: number;
  /** Brute force: failed logins of one user within the burst window. */
  failedLoginsPerUser: number;
  /** Brute force: failed logins from one address within the burst window. */
  failedLoginsPerAddress: number;
  /** Password spraying: distinct users failing from one address within the burst window. */
  distinctUsersPerAddress: number;
  /** role.created/updated/deleted within the burst window. */
  roleChangesPerWindow: number;
  /** user.create/update/delete within the burst window. */
  userChangesPerWindow: number;
  /** Denied access requests of one requester before an approval. */
  deniedRequestsBeforeApproval: number;
  /** Role names treated as privileged: literals or globs with `*`. */
  privilegedRoles: string[];
}

export const DEFAULT_ANOMALY_THRESHOLDS: Readonly<AnomalyThresholds> = Object.freeze({
  stormBucketMinutes: 5,
  stormMinEvents: 100,
  stormBaselineFactor: 10,
  stormAbsoluteEvents: 1000,
  burstWindowMinutes: 15,
  failedLoginsPerUser: 10,
  failedLoginsPerAddress: 20,
  distinctUsersPerAddress: 5,
  roleChangesPerWindow: 5,
  userChangesPerWindow: 10,
  deniedRequestsBeforeApproval: 3,
  // `editor` is Teleport's preset admin role; the rest are the usual names of admin roles.
  privilegedRoles: ['editor', '*admin*', 'root', 'superuser'],
});

export const MAX_EVIDENCE = 20;

export const ROLE_CHANGE_EVENTS = ['role.created', 'role.updated', 'role.deleted'] as const;
export const USER_CHANGE_EVENTS = ['user.create', 'user.update', 'user.delete'] as const;
export const ACCESS_REQUEST_EVENTS = [
  'access_request.create',
  'access_request.update',
  'access_request.review',
] as const;
/** The change events the detector loads whole (logins and MCP calls are loaded selectively). */
export const CHANGE_EVENTS: readonly string[] = [
  ...ROLE_CHANGE_EVENTS,
  ...USER_CHANGE_EVENTS,
  ...ACCESS_REQUEST_EVENTS,
];

const MINUTE_MS = 60_000;
const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

// ---------------------------------------------------------------------------------------------
// Storms (input: per-bucket counts from SQL)

export interface StormInput {
  window: { from: Date; to: Date };
  /** Buckets where one type reached min(stormMinEvents, stormAbsoluteEvents). */
  buckets: readonly EventBucketCount[];
  /** Events per type over the whole window. */
  totals: ReadonlyMap<string, number>;
}

export interface StormCandidate {
  event: string;
  bucketStart: Date;
  bucketEnd: Date;
  count: number;
  /** Average events of this type per bucket over the rest of the window. */
  baseline: number;
  absolute: boolean;
}

export function findEventStorms(
  input: StormInput,
  thresholds: AnomalyThresholds,
): StormCandidate[] {
  const bucketMs = thresholds.stormBucketMinutes * MINUTE_MS;
  const spanMs = input.window.to.getTime() - input.window.from.getTime();
  const bucketCount = Math.max(1, Math.ceil(spanMs / bucketMs));
  const storms: StormCandidate[] = [];
  for (const { event, bucket, count } of input.buckets) {
    const total = input.totals.get(event) ?? count;
    const baseline = bucketCount > 1 ? Math.max(0, total - count) / (bucketCount - 1) : 0;
    const absolute = count >= thresholds.stormAbsoluteEvents;
    const aboveBaseline =
      count >= thresholds.stormMinEvents &&
      count >= thresholds.stormBaselineFactor * Math.max(baseline, 1);
    if (!absolute && !aboveBaseline) continue;
    const start = input.window.from.getTime() + bucket * bucketMs;
    storms.push({
      event,
      bucketStart: new Date(start),
      bucketEnd: new Date(Math.min(start + bucketMs, input.window.to.getTime())),
      count,
      baseline,
      absolute,
    });
  }
  return storms.sort(
    (a, b) => b.count - a.count || a.bucketStart.getTime() - b.bucketStart.getTime(),
  );
}

export function stormFinding(
  storm: StormCandidate,
  thresholds: AnomalyThresholds,
  samples: readonly AuditEventSummary[],
): AnomalyFinding {
  const baseline = Math.round(storm.baseline * 100) / 100;
  return {
    id: `event_storm:${storm.event}:${storm.bucketStart.toISOString()}`,
    kind: 'event_storm',
    severity: storm.absolute ? 'high' : 'medium',
    summary:
      `${storm.count} "${storm.event}" events in ${thresholds.stormBucketMinutes} min from ` +
      `${storm.bucketStart.toISOString()} (about ${baseline} per ${thresholds.stormBucketMinutes} min ` +
      `over the rest of the window)`,
    evidence: samples.slice(0, MAX_EVIDENCE).map(summaryOf),
    counts: {
      events: storm.count,
      baselinePerBucket: baseline,
      bucketMinutes: thresholds.stormBucketMinutes,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Rules over events (input: DetectorEvent[] sorted oldest first)

/** Brute force, change spikes and escalation signals over events sorted oldest first. */
export function detectEventAnomalies(
  events: readonly DetectorEvent[],
  thresholds: AnomalyThresholds,
): AnomalyFinding[] {
  const privileged = privilegedMatcher(thresholds.privilegedRoles);
  return [
    ...bruteForce(events, thresholds),
    ...changeSpike(
      events,
      'role_change_spike',
      ROLE_CHANGE_EVENTS,
      thresholds.roleChangesPerWindow,
      thresholds,
    ),
    ...changeSpike(
      events,
      'user_change_spike',
      USER_CHANGE_EVENTS,
      thresholds.userChangesPerWindow,
      thresholds,
    ),
    ...privilegedRoleChanges(events, privileged),
    ...privilegedUserGrants(events, privileged),
    ...accessRequestAbuse(events, thresholds),
    ...mcpDeniedThenAllowed(events),
  ];
}

/** Most severe first, then by kind and id, so output is stable. */
export function sortFindings(findings: AnomalyFinding[]): AnomalyFinding[] {
  return findings.sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      a.kind.localeCompare(b.kind) ||
      a.id.localeCompare(b.id),
  );
}

function bruteForce(events: readonly DetectorEvent[], t: AnomalyThresholds): AnomalyFinding[] {
  const windowMs = t.burstWindowMinutes * MINUTE_MS;
  const logins = events.filter((e) => e.event === 'user.login');
  const failures = logins.filter((e) => e.success === false);
  const findings: AnomalyFinding[] = [];

  for (const [user, userFailures] of groupBy(failures, (e) => e.user)) {
    const burst = busiestWindow(userFailures, windowMs);
    if (burst.count < t.failedLoginsPerUser) continue;
    const burstEvents = userFailures.slice(burst.start, burst.end + 1);
    const lastFailure = burstEvents[burstEvents.length - 1];
    const success = logins.find(
      (e) =>
        e.user === user &&
        e.success === true &&
        lastFailure !== undefined &&
        Date.parse(e.time) >= Date.parse(lastFailure.time),
    );
    findings.push({
      id: `brute_force:user:${user}`,
      kind: 'brute_force',
      severity: success === undefined ? 'high' : 'critical',
      summary:
        `${burst.count} failed logins of user "${user}" within ${t.burstWindowMinutes} min` +
        (success === undefined ? '' : `, followed by a successful login at ${success.time}`),
      evidence: evidence(burstEvents, success),
      counts: {
        failedLogins: userFailures.length,
        failedLoginsInBurst: burst.count,
        successesAfter: success ? 1 : 0,
      },
    });
  }

  for (const [address, addressFailures] of groupBy(failures, (e) => hostOf(e.remote))) {
    const burst = busiestWindow(addressFailures, windowMs);
    if (burst.count >= t.failedLoginsPerAddress) {
      findings.push({
        id: `brute_force:address:${address}`,
        kind: 'brute_force',
        severity: 'high',
        summary: `${burst.count} failed logins from ${address} within ${t.burstWindowMinutes} min`,
        evidence: evidence(addressFailures.slice(burst.start, burst.end + 1)),
        counts: { failedLogins: addressFailures.length, failedLoginsInBurst: burst.count },
      });
    }
    const spray = busiestWindow(addressFailures, windowMs, (e) => e.user ?? '');
    if (spray.distinct >= t.distinctUsersPerAddress) {
      findings.push({
        id: `brute_force:spray:${address}`,
        kind: 'brute_force',
        severity: 'high',
        summary:
          `failed logins for ${spray.distinct} different users from ${address} within ` +
          `${t.burstWindowMinutes} min (password spraying)`,
        evidence: evidence(addressFailures.slice(spray.start, spray.end + 1)),
        counts: { distinctUsers: spray.distinct, failedLoginsInBurst: spray.count },
      });
    }
  }
  return findings;
}

function changeSpike(
  events: readonly DetectorEvent[],
  kind: 'role_change_spike' | 'user_change_spike',
  types: readonly string[],
  threshold: number,
  t: AnomalyThresholds,
): AnomalyFinding[] {
  const changes = events.filter((e) => types.includes(e.event));
  const burst = busiestWindow(changes, t.burstWindowMinutes * MINUTE_MS);
  if (burst.count < threshold) return [];
  const burstEvents = changes.slice(burst.start, burst.end + 1);
  const first = burstEvents[0];
  const actors = new Set(burstEvents.map((e) => e.user ?? '?'));
  const counts: Record<string, number> = { changes: burst.count, actors: actors.size };
  for (const e of burstEvents) counts[e.event] = (counts[e.event] ?? 0) + 1;
  const what = kind === 'role_change_spike' ? 'role' : 'user';
  return [
    {
      id: `${kind}:${first?.time ?? ''}`,
      kind,
      severity: burst.count >= 3 * threshold ? 'high' : 'medium',
      summary:
        `${burst.count} ${what} changes within ${t.burstWindowMinutes} min from ${first?.time ?? '?'} ` +
        `by ${[...actors].slice(0, 5).join(', ')}`,
      evidence: evidence(burstEvents),
      counts,
    },
  ];
}

function privilegedRoleChanges(
  events: readonly DetectorEvent[],
  isPrivileged: (role: string) => boolean,
): AnomalyFinding[] {
  const findings: AnomalyFinding[] = [];
  for (const e of events) {
    if (e.event !== 'role.created' && e.event !== 'role.updated') continue;
    const wildcard = wildcardGrants(e.spec);
    const privilegedName = e.name !== undefined && isPrivileged(e.name);
    if (wildcard.length === 0 && !privilegedName) continue;
    const verb = e.event === 'role.created' ? 'created' : 'updated';
    findings.push({
      id: `privilege_escalation:role:${e.uid}`,
      kind: 'privilege_escalation',
      severity: wildcard.length > 0 ? 'high' : 'medium',
      summary:
        `${e.user ?? 'someone'} ${verb} role "${e.name ?? '?'}"` +
        (wildcard.length > 0 ? ` granting ${wildcard.join(', ')}` : ', an admin-like role'),
      evidence: evidence([e]),
      counts: { wildcardGrants: wildcard.length },
    });
  }
  return findings;
}

function privilegedUserGrants(
  events: readonly DetectorEvent[],
  isPrivileged: (role: string) => boolean,
): AnomalyFinding[] {
  const findings: AnomalyFinding[] = [];
  /** Roles last seen for each user (by the user/create/update events in the set). */
  const knownRoles = new Map<string, { roles: string[]; event: DetectorEvent }>();
  for (const e of events) {
    if ((e.event !== 'user.create' && e.event !== 'user.update') || e.roles === undefined) continue;
    const target = e.name;
    if (target === undefined) continue;
    const previous = knownRoles.get(target);
    knownRoles.set(target, { roles: e.roles, event: e });
    const privilegedRoles = e.roles.filter(isPrivileged);
    const added =
      previous === undefined ? undefined : e.roles.filter((r) => !previous.roles.includes(r));
    const addedPrivileged = added?.filter(isPrivileged) ?? [];
    const actor = e.user ?? 'someone';
    const selfGrant = e.user === target && privilegedRoles.length > 0;

    let severity: Severity | undefined;
    let summary = '';
    if (e.event === 'user.create' && privilegedRoles.length > 0) {
      severity = 'high';
      summary = `${actor} created user "${target}" with privileged role(s) ${privilegedRoles.join(', ')}`;
    } else if (addedPrivileged.length > 0) {
      severity = 'high';
      summary = `${actor} granted privileged role(s) ${addedPrivileged.join(', ')} to user "${target}"`;
    } else if (added !== undefined && added.length > 0) {
      severity = 'low';
      summary = `${actor} added role(s) ${added.join(', ')} to user "${target}"`;
    } else if (added === undefined && e.event === 'user.update' && privilegedRoles.length > 0) {
      severity = 'medium';
      summary = `${actor} updated user "${target}", who holds privileged role(s) ${privilegedRoles.join(', ')}`;
    }
    if (selfGrant) {
      severity = 'critical';
      summary = `${actor} changed their own user to hold privileged role(s) ${privilegedRoles.join(', ')}`;
    }
    if (severity === undefined) continue;
    findings.push({
      id: `privilege_escalation:user:${target}:${e.uid}`,
      kind: 'privilege_escalation',
      severity,
      summary,
      evidence: evidence(previous === undefined ? [e] : [previous.event, e]),
      counts: { privilegedRoles: privilegedRoles.length, addedRoles: added?.length ?? 0 },
    });
  }
  return findings;
}

function accessRequestAbuse(
  events: readonly DetectorEvent[],
  t: AnomalyThresholds,
): AnomalyFinding[] {
  const findings: AnomalyFinding[] = [];
  const requesterOf = new Map<string, string>();
  const createdBy = new Map<string, DetectorEvent>();
  const denials = new Map<string, DetectorEvent[]>();
  const reported = new Set<string>();

  for (const e of events) {
    if (e.event === 'access_request.create') {
      if (e.requestId !== undefined && e.user !== null) {
        requesterOf.set(e.requestId, e.user);
        createdBy.set(e.requestId, e);
      }
      continue;
    }
    if (e.event !== 'access_request.review' && e.event !== 'access_request.update') continue;
    const decision = (
      e.event === 'access_request.review' ? e.proposedState : e.state
    )?.toUpperCase();
    if (decision !== 'APPROVED' && decision !== 'DENIED') continue;
    const requester = e.requestId === undefined ? undefined : requesterOf.get(e.requestId);
    if (requester === undefined) continue;

    if (decision === 'DENIED') {
      const list = denials.get(requester) ?? [];
      list.push(e);
      denials.set(requester, list);
      continue;
    }
    // On review events the reviewer is the acting user; update events name it `updated_by`
    // (their `user` may be the requester, so it is not used as the approver).
    const approver =
      e.event === 'access_request.review' ? (e.reviewer ?? e.user ?? undefined) : e.updatedBy;
    const created = e.requestId === undefined ? undefined : createdBy.get(e.requestId);
    if (approver === requester) {
      findings.push({
        id: `self_approved_request:${e.requestId ?? e.uid}`,
        kind: 'self_approved_request',
        severity: 'critical',
        summary:
          `${requester} approved their own access request ${e.requestId ?? ''}` +
          (created?.roles?.length ? ` for role(s) ${created.roles.join(', ')}` : ''),
        evidence: evidence(created === undefined ? [e] : [created, e]),
        counts: { approvals: 1 },
      });
    }
    const denied = denials.get(requester) ?? [];
    if (denied.length >= t.deniedRequestsBeforeApproval && !reported.has(requester)) {
      reported.add(requester);
      findings.push({
        id: `denied_then_approved:${requester}:${e.requestId ?? e.uid}`,
        kind: 'denied_then_approved',
        severity: 'high',
        summary:
          `${requester} had ${denied.length} access requests denied, then request ` +
          `${e.requestId ?? '?'} approved by ${approver ?? 'an unknown reviewer'}`,
        evidence: evidence(denied, e),
        counts: { denied: denied.length, approved: 1 },
      });
    }
  }
  return findings;
}

function mcpDeniedThenAllowed(events: readonly DetectorEvent[]): AnomalyFinding[] {
  const findings: AnomalyFinding[] = [];
  const failed = new Map<string, DetectorEvent[]>();
  for (const e of events) {
    if (e.event !== 'mcp.session.request' || e.tool === undefined || e.user === null) continue;
    const key = `${e.user}\u0000${e.app ?? ''}\u0000${e.tool}`;
    if (e.success === false) {
      const list = failed.get(key) ?? [];
      list.push(e);
      failed.set(key, list);
    } else if (e.success === true) {
      const denied = failed.get(key);
      if (denied === undefined) continue;
      failed.delete(key);
      findings.push({
        id: `mcp_denied_then_allowed:${e.user}:${e.app ?? ''}:${e.tool}:${e.uid}`,
        kind: 'mcp_denied_then_allowed',
        severity: 'medium',
        summary:
          `MCP tool "${e.tool}"${e.app === undefined ? '' : ` of ${e.app}`} was refused ${denied.length} ` +
          `time(s) for ${e.user}, then allowed at ${e.time}: check what changed in their roles`,
        evidence: evidence(denied, e),
        counts: { denied: denied.length, allowed: 1 },
      });
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * The densest run of events (sorted by time) within `windowMs`: by number of events, or with
 * `keyOf`, by number of distinct keys. `start`/`end` are inclusive indexes into `items`.
 */
export function busiestWindow<T extends { time: string }>(
  items: readonly T[],
  windowMs: number,
  keyOf?: (item: T) => string,
): { start: number; end: number; count: number; distinct: number } {
  let best = { start: 0, end: -1, count: 0, distinct: 0 };
  const times = items.map((item) => Date.parse(item.time));
  const keys = new Map<string, number>();
  let left = 0;
  for (const [right, item] of items.entries()) {
    if (keyOf) keys.set(keyOf(item), (keys.get(keyOf(item)) ?? 0) + 1);
    for (;;) {
      const leftItem = items[left];
      if (leftItem === undefined || (times[right] ?? 0) - (times[left] ?? 0) <= windowMs) break;
      if (keyOf) {
        const key = keyOf(leftItem);
        const n = (keys.get(key) ?? 1) - 1;
        if (n === 0) keys.delete(key);
        else keys.set(key, n);
      }
      left++;
    }
    const count = right - left + 1;
    const score = keyOf ? keys.size : count;
    if (score > (keyOf ? best.distinct : best.count)) {
      best = { start: left, end: right, count, distinct: keys.size };
    }
  }
  return best;
}

/** A role name matcher for literals and `*` globs (case-insensitive). */
export function privilegedMatcher(patterns: readonly string[]): (role: string) => boolean {
  const regexes = patterns.map(
    (p) => new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`, 'i'),
  );
  return (role) => regexes.some((re) => re.test(role));
}

/**
 * What a role spec grants to everything, when the event carries a spec (tolerant: Teleport's
 * own role events do not, other sources may): `*` rules, `*` labels, the root login.
 */
export function wildcardGrants(spec: unknown): string[] {
  const allow = objectAt(objectAt(spec, 'allow'));
  if (allow === undefined) return [];
  const grants: string[] = [];
  const rules = Array.isArray(allow.rules) ? allow.rules : [];
  for (const rule of rules) {
    const r = objectAt(rule);
    if (r !== undefined && includesWildcard(r.resources) && includesWildcard(r.verbs)) {
      grants.push('all verbs on all resources');
      break;
    }
  }
  for (const [key, value] of Object.entries(allow)) {
    if (!key.endsWith('_labels')) continue;
    const labels = objectAt(value);
    if (labels !== undefined && includesWildcard(labels['*']))
      grants.push(`every ${key.replace(/_labels$/, '')}`);
  }
  if (Array.isArray(allow.logins) && allow.logins.includes('root')) grants.push('the root login');
  return grants;
}

function includesWildcard(value: unknown): boolean {
  return value === '*' || (Array.isArray(value) && value.includes('*'));
}

function objectAt(value: unknown, key?: string): Record<string, unknown> | undefined {
  const inner = key === undefined ? value : objectAt(value)?.[key];
  return inner !== null && typeof inner === 'object' && !Array.isArray(inner)
    ? (inner as Record<string, unknown>)
    : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function groupBy<T>(
  items: readonly T[],
  keyOf: (item: T) => string | null | undefined,
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (key === null || key === undefined || key === '') continue;
    const list = groups.get(key) ?? [];
    list.push(item);
    groups.set(key, list);
  }
  return groups;
}

/** The host of `addr.remote` ("203.0.113.7:51234", "[2001:db8::1]:443", or a bare host). */
export function hostOf(remote: string | undefined): string | undefined {
  if (remote === undefined || remote === '') return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(remote);
  if (bracketed) return bracketed[1];
  const parts = remote.split(':');
  return parts.length === 2 ? parts[0] : remote;
}

/** Up to MAX_EVIDENCE summaries: the latest of `events`, plus `last` when given. */
function evidence(events: readonly DetectorEvent[], last?: DetectorEvent): AuditEventSummary[] {
  const room = last === undefined ? MAX_EVIDENCE : MAX_EVIDENCE - 1;
  const chosen = events.slice(-room);
  if (last !== undefined) chosen.push(last);
  return chosen.map(summaryOf);
}

/** The summary fields only (detector-only fields such as `spec` never leave). */
export function summaryOf(e: AuditEventSummary): AuditEventSummary {
  return {
    uid: e.uid,
    time: e.time,
    event: e.event,
    code: e.code,
    user: e.user,
    success: e.success,
    ...(e.remote === undefined ? {} : { remote: e.remote }),
    ...(e.resource === undefined ? {} : { resource: e.resource }),
    ...(e.error === undefined ? {} : { error: e.error }),
  };
}
