// Markdown tables of the catalogue and of the built-in roles, rendered from the code. They are
// pasted between markers in docs/policy.md, and a test fails when the document drifts.
import { CAPABILITY_SPECS } from './capabilities.js';
import { BUILTIN_ROLES, ROLE_NAMES, builtinRoleResolver } from './builtin-roles.js';
import { allowedCapabilities } from './evaluate.js';
import { LEASE_KINDS } from './lease-constraints.js';

export const DOC_MARKERS = {
  capabilities: ['<!-- capabilities:begin -->', '<!-- capabilities:end -->'],
  matrix: ['<!-- role-matrix:begin -->', '<!-- role-matrix:end -->'],
  roles: ['<!-- roles:begin -->', '<!-- roles:end -->'],
} as const;

/** tool → capability → mutating, in catalogue order. */
export function renderCapabilityTable(): string {
  const rows = CAPABILITY_SPECS.map(
    (c) =>
      `| ${c.tool === undefined ? '—' : `\`${c.tool}\``} | \`${c.name}\` | ${c.mutating ? 'yes' : 'no'} | ${c.description} |`,
  );
  return ['| tool | capability | mutating | what it allows |', '|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/** Capability × built-in role: ✓ when the role allows it (before reason/ticket/lease checks). */
export function renderRoleMatrix(): string {
  const resolver = builtinRoleResolver();
  const allowed = ROLE_NAMES.map(
    (role) =>
      new Set<string>(allowedCapabilities({ id: role, roles: [role], kind: 'user' }, resolver)),
  );
  const rows = CAPABILITY_SPECS.map(
    (c) => `| \`${c.name}\` | ${allowed.map((set) => (set.has(c.name) ? '✓' : '—')).join(' | ')} |`,
  );
  return [
    `| capability | ${ROLE_NAMES.join(' | ')} |`,
    `|---|${ROLE_NAMES.map(() => ':-:').join('|')}|`,
    ...rows,
  ].join('\n');
}

/** The built-in roles: their patterns and constraints. */
export function renderRoleTable(): string {
  const rows = ROLE_NAMES.map((name) => {
    const { allow, deny, constraints: c } = BUILTIN_ROLES[name];
    const code = (xs: readonly string[]): string =>
      xs.length === 0 ? '—' : xs.map((x) => `\`${x}\``).join(' ');
    return [
      `\`${name}\``,
      code(allow),
      code(deny),
      String(c.maxTtlSeconds),
      String(c.maxConcurrentLeases),
      c.allowedLeaseKinds.length === LEASE_KINDS.length ? 'all' : code(c.allowedLeaseKinds),
      code(c.allowedTargets),
      code(c.federatedTools.allow),
      c.rateLimit === undefined
        ? 'server default'
        : `${c.rateLimit.perMinute}/min, burst ${c.rateLimit.burst}`,
      c.leaseScope,
    ].join(' | ');
  });
  return [
    '| role | allow | deny | max TTL (s) | max leases | lease kinds | targets | federated tools | rate limit | lease scope |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
  ].join('\n');
}

/** Replace the text between `markers` in `doc` with `content`. Undefined when a marker is missing. */
export function replaceBetweenMarkers(
  doc: string,
  markers: readonly [string, string],
  content: string,
): string | undefined {
  const [begin, end] = markers;
  const start = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  if (start < 0 || stop < start) return undefined;
  return `${doc.slice(0, start + begin.length)}\n${content}\n${doc.slice(stop)}`;
}
