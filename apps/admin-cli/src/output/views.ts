// How each admin resource reads in a table and in a `show` view.
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  AgentStatus,
  LeaseEventType,
  LeaseKind,
  LeaseStatus,
  LogStream,
  OperationStatus,
  PrincipalKind,
  type Agent,
  type JoinToken,
  type Lease,
  type LogLine,
  type Operation,
  type Principal,
  type Role,
} from '@tmcp/proto';
import { renderFields, renderTable, type Column } from './table.js';
import { formatAbsolute, formatRelative, formatSpan, formatWhen } from './time-format.js';

const date = (t: Timestamp | undefined): Date | undefined =>
  t === undefined ? undefined : timestampDate(t);

/** `LEASE_STATUS_ACTIVE` style enum names, as the lower-case word (`active`). */
export function enumWord(names: Record<number, string>, value: number): string {
  const name = names[value];
  return name === undefined || name === 'UNSPECIFIED' ? '-' : name.toLowerCase();
}

const when = <R>(header: string, pick: (r: R) => Timestamp | undefined, now: Date): Column<R> => ({
  header,
  cell: (r) => formatWhen(date(pick(r)), now),
  compact: (r) => formatRelative(date(pick(r)), now),
});

export function principalsTable(rows: readonly Principal[], now: Date, width: number): string {
  return renderTable<Principal>(
    [
      { header: 'ID', cell: (p) => p.principalId, keep: true },
      { header: 'NAME', cell: (p) => p.name, min: 8 },
      // KIND is left to `show` and JSON: ID, name, role, state and last use fill 80 columns.
      { header: 'ROLE', cell: (p) => p.role, min: 8 },
      { header: 'STATE', cell: (p) => principalState(p, now), keep: true },
      when('LAST USED', (p) => p.lastUsedAt, now),
    ],
    rows,
    width,
  );
}

function principalState(p: Principal, now: Date): string {
  if (p.revokedAt !== undefined) return 'revoked';
  const expires = date(p.expiresAt);
  if (expires !== undefined && expires.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

export function principalFields(p: Principal, now: Date, width: number): string {
  return renderFields(
    [
      ['ID', p.principalId],
      ['Name', p.name],
      ['Kind', enumWord(PrincipalKind, p.kind)],
      ['Role', p.role],
      ['State', principalState(p, now)],
      ['Key prefix', `tmcp_${p.keyPrefix}…`],
      ['Created', formatWhen(date(p.createdAt), now)],
      ['Expires', p.expiresAt === undefined ? 'never' : formatWhen(date(p.expiresAt), now)],
      ['Revoked', formatWhen(date(p.revokedAt), now)],
      ['Last used', formatWhen(date(p.lastUsedAt), now)],
    ],
    width,
  );
}

export function rolesTable(rows: readonly Role[], width: number): string {
  return renderTable<Role>(
    [
      { header: 'NAME', cell: (r) => r.name, keep: true },
      { header: 'TYPE', cell: (r) => (r.builtin ? 'built-in' : 'custom') },
      { header: 'ALLOW', cell: (r) => r.allow.join(',') || '-', min: 10 },
      { header: 'DENY', cell: (r) => r.deny.join(',') || '-', min: 6 },
      { header: 'DESCRIPTION', cell: (r) => r.description || '-', min: 11 },
    ],
    rows,
    width,
  );
}

export function operationsTable(rows: readonly Operation[], now: Date, width: number): string {
  return renderTable<Operation>(
    [
      { header: 'ID', cell: (o) => o.opId, keep: true },
      when('STARTED', (o) => o.startedAt, now),
      { header: 'ACTOR', cell: (o) => o.actor, min: 6 },
      // Admin calls are `admin.<Rpc>`; on a narrow terminal the RPC name is what matters.
      {
        header: 'TOOL',
        cell: (o) => o.tool,
        compact: (o) => o.tool.replace(/^admin\./, ''),
        min: 8,
      },
      { header: 'STATUS', cell: (o) => enumWord(OperationStatus, o.status) },
    ],
    rows,
    width,
  );
}

export function operationFields(o: Operation, now: Date, width: number): string {
  const decision = o.decision as { rule?: unknown; reason?: unknown } | undefined;
  return renderFields(
    [
      ['ID', o.opId],
      ['Actor', o.actor],
      ['Tool', o.tool],
      ['Capability', o.capability],
      ['Status', enumWord(OperationStatus, o.status)],
      ['Started', formatWhen(date(o.startedAt), now)],
      ['Ended', formatWhen(date(o.endedAt), now)],
      ['Duration', o.endedAt === undefined ? '-' : `${o.durationMs} ms`],
      ['Reason', o.reason || '-'],
      ['Ticket', o.ticket || '-'],
      ['Decision', typeof decision?.rule === 'string' ? decision.rule : '-'],
      ['Error', o.error || '-'],
      ['Inputs', JSON.stringify(o.inputs ?? {})],
      ...(o.exitCode === undefined ? [] : [['Exit code', String(o.exitCode)] as const]),
    ],
    width,
  );
}

export function agentsTable(rows: readonly Agent[], now: Date, width: number): string {
  return renderTable<Agent>(
    [
      { header: 'ID', cell: (a) => a.agentId, keep: true },
      { header: 'HOSTNAME', cell: (a) => a.hostname || '-', min: 8 },
      {
        header: 'STATUS',
        cell: (a) =>
          a.revokedAt === undefined
            ? enumWord(AgentStatus, a.status) + (a.draining ? ',draining' : '')
            : 'revoked',
      },
      { header: 'VERSION', cell: (a) => a.version || '-', min: 7 },
      when('HEARTBEAT', (a) => a.lastHeartbeatAt, now),
    ],
    rows,
    width,
  );
}

export function agentFields(a: Agent, now: Date, width: number): string {
  return renderFields(
    [
      ['ID', a.agentId],
      ['Hostname', a.hostname || '-'],
      ['Status', enumWord(AgentStatus, a.status)],
      ['Draining', a.draining ? 'yes' : 'no'],
      ['Version', a.version || '-'],
      ['Replica', a.connectedReplica || '-'],
      ['Labels', labelsText(a.labels)],
      ['Heartbeat', formatWhen(date(a.lastHeartbeatAt), now)],
      ['Enrolled', formatWhen(date(a.enrolledAt), now)],
      ['Cert expires', formatWhen(date(a.certNotAfter), now)],
      ...(a.revokedAt === undefined
        ? []
        : [['Revoked', formatWhen(date(a.revokedAt), now)] as const]),
    ],
    width,
  );
}

function targetText(l: Lease): string {
  const t = l.target ?? {};
  const name = ['db', 'app', 'node', 'kube_cluster', 'kube', 'name']
    .map((k) => t[k])
    .find((v) => typeof v === 'string');
  return typeof name === 'string' ? name : JSON.stringify(t);
}

export function leasesTable(rows: readonly Lease[], now: Date, width: number): string {
  return renderTable<Lease>(
    [
      { header: 'ID', cell: (l) => l.leaseId, keep: true },
      // `proxy_db` reads as `db` on a narrow terminal; the kind is never cut to `proxy_…`.
      {
        header: 'KIND',
        cell: (l) => enumWord(LeaseKind, l.kind),
        compact: (l) => enumWord(LeaseKind, l.kind).replace(/^proxy_/, ''),
        keep: true,
      },
      { header: 'TARGET', cell: targetText, min: 6 },
      { header: 'ACTOR', cell: (l) => l.actor, min: 5 },
      { header: 'STATUS', cell: (l) => enumWord(LeaseStatus, l.status) },
      when('EXPIRES', (l) => l.expiresAt, now),
    ],
    rows,
    width,
  );
}

export function leaseFields(l: Lease, now: Date, width: number): string {
  return renderFields(
    [
      ['ID', l.leaseId],
      ['Kind', enumWord(LeaseKind, l.kind)],
      ['Target', JSON.stringify(l.target ?? {})],
      ['Actor', l.actor],
      ['Cluster', l.cluster || '(default)'],
      ['Agent', l.agentId || '-'],
      ['Status', enumWord(LeaseStatus, l.status)],
      ['Listen', l.listenAddr || '-'],
      ['PID', l.pid === 0 ? '-' : String(l.pid)],
      ['Generation', String(l.generation)],
      ['Created', formatWhen(date(l.createdAt), now)],
      ['Expires', formatWhen(date(l.expiresAt), now)],
      ['Heartbeat', formatWhen(date(l.lastHeartbeatAt), now)],
      ['Exit code', l.exitCode === undefined ? '-' : String(l.exitCode)],
      ['Error', l.error || '-'],
      ['Reason', l.reason || '-'],
      ['Ticket', l.ticket || '-'],
    ],
    width,
  );
}

/** One line per lease event in watch mode: `19:40:12Z  updated   <id>  active  proxy_db  orders`. */
export function leaseEventLine(
  type: LeaseEventType,
  lease: Lease | undefined,
  at: Date | undefined,
  width: number,
): string {
  const time = at === undefined ? '' : `${at.toISOString().slice(11, 19)}Z`;
  if (lease === undefined) return `${time}  ${enumWord(LeaseEventType, type)}\n`;
  const line = [
    time,
    enumWord(LeaseEventType, type).padEnd(8),
    lease.leaseId,
    // The state before kind and target, so a narrow terminal cuts the least useful part.
    enumWord(LeaseStatus, lease.status).padEnd(8),
    enumWord(LeaseKind, lease.kind),
    targetText(lease),
  ].join('  ');
  return `${line.length > width ? `${line.slice(0, width - 1)}…` : line}\n`;
}

export function logLine(line: LogLine): string {
  const ts = line.ts === undefined ? '' : `${timestampDate(line.ts).toISOString().slice(11, 23)}Z `;
  const stream = line.stream === LogStream.STDERR ? 'err ' : 'out ';
  return `${ts}${stream}${line.line}\n`;
}

export function tokensTable(rows: readonly JoinToken[], now: Date, width: number): string {
  return renderTable<JoinToken>(
    [
      { header: 'ID', cell: (t) => t.tokenId, keep: true },
      { header: 'STATE', cell: (t) => tokenState(t, now) },
      when('EXPIRES', (t) => t.expiresAt, now),
      { header: 'LABELS', cell: (t) => labelsText(t.labels), min: 6 },
    ],
    rows,
    width,
  );
}

export function tokenState(t: JoinToken, now: Date): string {
  if (t.revoked) return 'revoked';
  if (t.usedAt !== undefined) return 'used';
  const expires = date(t.expiresAt);
  if (expires !== undefined && expires.getTime() <= now.getTime()) return 'expired';
  return 'unused';
}

export function labelsText(labels: Record<string, string>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

export { formatAbsolute, formatSpan, formatWhen };
