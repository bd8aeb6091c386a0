// `scan_rbac`: risky patterns in Teleport roles and their assignment. Pure over the parsed roles,
// users and auth preference. Rule ids are stable (RBAC-001 …) so reports can be compared over
// time; each finding names the resource and the exact field/value that triggered it.
import type {
  AuthPreference,
  LabelValues,
  RoleConditions,
  TeleportRole,
  TeleportUser,
} from '@tmcp/teleport';
import { z } from 'zod';
import { bySeverityDesc, severitySchema, type Severity } from './severity.js';
import { templateTrait } from './teleport-rbac.js';

export const rbacFindingSchema = z.object({
  id: z.string().describe('Stable rule id, e.g. RBAC-001'),
  rule: z.string().describe('Short rule name'),
  severity: severitySchema,
  resource: z.string().describe('kind/name, e.g. role/ops-wildcard'),
  evidence: z.string().describe('The exact field and value'),
  remediation: z.string(),
});
export type RbacFinding = z.infer<typeof rbacFindingSchema>;

export interface RbacScanInput {
  roles: readonly TeleportRole[];
  users: readonly TeleportUser[];
  authPreference?: AuthPreference;
}

export interface RbacScanOptions {
  /** A privileged role held by more users than this is reported (default 3). */
  privilegedHolderThreshold?: number;
  /** The preset `editor` role held by more users than this is reported (default 2). */
  editorHolderThreshold?: number;
}

export const RBAC_RULES = {
  'RBAC-001': 'wildcard resource labels',
  'RBAC-002': 'root or wildcard logins',
  'RBAC-003': 'write verbs on every resource',
  'RBAC-004': 'impersonation',
  'RBAC-005': 'every MCP tool allowed',
  'RBAC-006': 'privileged role held by many users',
  'RBAC-007': 'editor widely assigned',
  'RBAC-008': 'MFA not required for a privileged role',
  'RBAC-009': 'requests of privileged roles',
  'RBAC-010': 'review of privileged roles',
  'RBAC-011': 'wildcard through a trait template',
} as const;
type RuleId = keyof typeof RBAC_RULES;

const WRITE_VERBS = new Set(['*', 'create', 'update', 'delete', 'create_enroll_token']);
/** Resources whose write access amounts to cluster administration. */
const SENSITIVE_RESOURCES = new Set([
  '*',
  'role',
  'user',
  'cert_authority',
  'token',
  'cluster_auth_preference',
  'auth_connector',
  'oidc',
  'saml',
  'github',
  'trusted_cluster',
]);
const LABEL_FIELDS = [
  ['nodeLabels', 'node_labels', 'SSH nodes'],
  ['appLabels', 'app_labels', 'applications and MCP servers'],
  ['dbLabels', 'db_labels', 'databases'],
  ['kubernetesLabels', 'kubernetes_labels', 'Kubernetes clusters'],
] as const satisfies readonly (readonly [keyof RoleConditions, string, string])[];

function isWildcardSelector(labels: LabelValues): boolean {
  return (labels['*'] ?? []).includes('*');
}

function writeRulesOnAll(c: RoleConditions): { resources: string[]; verbs: string[] }[] {
  return c.rules.filter(
    (r) => r.resources.includes('*') && r.verbs.some((v) => WRITE_VERBS.has(v)),
  );
}

/** Roles that amount to administration: write on sensitive resources, impersonation, root. */
export function privilegedRoleNames(roles: readonly TeleportRole[]): Set<string> {
  const out = new Set<string>();
  for (const r of roles) {
    const a = r.allow;
    const writesSensitive = a.rules.some(
      (rule) =>
        rule.resources.some((x) => SENSITIVE_RESOURCES.has(x)) &&
        rule.verbs.some((v) => WRITE_VERBS.has(v)),
    );
    const impersonates =
      (a.impersonate?.users.length ?? 0) > 0 || (a.impersonate?.roles.length ?? 0) > 0;
    if (writesSensitive || impersonates || a.logins.includes('root') || r.name === 'editor')
      out.add(r.name);
  }
  return out;
}

function sessionMfaRequired(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !['', '0', 'false', 'off', 'no', 'unspecified'].includes(value.trim().toLowerCase());
}

function preset(role: TeleportRole): string {
  return role.labels['teleport.internal/resource-type'] === 'preset'
    ? ' (a preset role: prefer a narrower custom role over editing it)'
    : '';
}

export function scanRbac(input: RbacScanInput, options: RbacScanOptions = {}): RbacFinding[] {
  const privilegedThreshold = options.privilegedHolderThreshold ?? 3;
  const editorThreshold = options.editorHolderThreshold ?? 2;
  const findings: RbacFinding[] = [];
  const add = (
    id: RuleId,
    severity: Severity,
    resource: string,
    evidence: string,
    remediation: string,
  ): void =>
    void findings.push({ id, rule: RBAC_RULES[id], severity, resource, evidence, remediation });
  const privileged = privilegedRoleNames(input.roles);
  const holders = (role: string): string[] =>
    input.users.filter((u) => u.roles.includes(role)).map((u) => u.name);

  for (const role of input.roles) {
    const res = `role/${role.name}`;
    const a = role.allow;
    for (const [field, json, what] of LABEL_FIELDS) {
      if (isWildcardSelector(a[field])) {
        add(
          'RBAC-001',
          role.name === 'access' ? 'low' : 'medium',
          res,
          `allow.${json}: {'*': '*'}`,
          `Grants every ${what} present and future; select by labels instead (e.g. {env: [dev]})${preset(role)}.`,
        );
      }
    }
    const badLogins = a.logins.filter((l) => l === 'root' || l === '*');
    if (badLogins.length > 0) {
      add(
        'RBAC-002',
        'high',
        res,
        `allow.logins: ${JSON.stringify(a.logins)}`,
        'Log in as a named, unprivileged OS user and escalate with sudo (host_sudoers) where needed; remove root/* from allow.logins.',
      );
    }
    for (const rule of writeRulesOnAll(a)) {
      add(
        'RBAC-003',
        'critical',
        res,
        `allow.rules: {resources: ${JSON.stringify(rule.resources)}, verbs: ${JSON.stringify(rule.verbs)}}`,
        'List the resources and verbs the role needs (as the preset editor does); a rule on "*" with write verbs can rewrite roles and users, i.e. grant itself anything.',
      );
    }
    const imp = a.impersonate;
    if (imp && (imp.users.length > 0 || imp.roles.length > 0)) {
      const wildcard = imp.users.includes('*') || imp.roles.includes('*');
      add(
        'RBAC-004',
        wildcard ? 'critical' : 'high',
        res,
        `allow.impersonate: {users: ${JSON.stringify(imp.users)}, roles: ${JSON.stringify(imp.roles)}${imp.where ? `, where: ${JSON.stringify(imp.where)}` : ''}}`,
        'Restrict impersonation to the bot users and roles that need it (with a where clause); prefer access requests for humans.',
      );
    }
    if (a.mcpTools.some((t) => t === '*' || t === '^.*$')) {
      add(
        'RBAC-005',
        'medium',
        res,
        `allow.mcp.tools: ${JSON.stringify(a.mcpTools)}`,
        `Every tool of every MCP server the role reaches (app_labels) is allowed, including write tools; list tool globs such as ["read_*", "get_*"] or deny write_* explicitly${preset(role)}.`,
      );
    }
    if (privileged.has(role.name)) {
      const mfa =
        sessionMfaRequired(role.options.requireSessionMfa) ||
        sessionMfaRequired(input.authPreference?.requireSessionMfa);
      if (!mfa) {
        add(
          'RBAC-008',
          'high',
          res,
          `options.require_session_mfa: ${role.options.requireSessionMfa === undefined ? '(unset)' : JSON.stringify(role.options.requireSessionMfa)}; cluster_auth_preference.require_session_mfa: ${input.authPreference?.requireSessionMfa ?? '(unset)'}`,
          'Set `options.require_session_mfa: true` on this privileged role (or cluster-wide) so a stolen certificate alone cannot use it.',
        );
      }
    }
    const requestable = a.request?.roles ?? [];
    const privRequested = requestable.filter((r) => r === '*' || privileged.has(r));
    if (privRequested.length > 0) {
      add(
        'RBAC-009',
        privRequested.includes('*') ? 'high' : 'medium',
        res,
        `allow.request.roles: ${JSON.stringify(requestable)}`,
        'Make sure requests of these roles need approval from reviewers other than the requester (thresholds) and are time-bound; avoid "*".',
      );
    }
    const reviewable = a.reviewRequests?.roles ?? [];
    const privReviewed = reviewable.filter((r) => r === '*' || privileged.has(r));
    if (privReviewed.length > 0) {
      add(
        'RBAC-010',
        privReviewed.includes('*') ? 'high' : 'medium',
        res,
        `allow.review_requests.roles: ${JSON.stringify(reviewable)}`,
        'Whoever holds this role can approve privileged access: keep it to a small group and require two approvals (thresholds) for privileged roles.',
      );
    }
  }

  for (const name of privileged) {
    const who = holders(name);
    if (name === 'editor') {
      if (who.length > editorThreshold) {
        add(
          'RBAC-007',
          'high',
          'role/editor',
          `held by ${who.length} users: ${who.join(', ')}`,
          'editor can change roles and users (cluster admin): keep it to a few administrators and let others request it with an access request.',
        );
      }
    } else if (who.length > privilegedThreshold) {
      add(
        'RBAC-006',
        'high',
        `role/${name}`,
        `held by ${who.length} users: ${who.join(', ')}`,
        'Reduce standing privilege: remove the role from most users and let them request it just in time (access requests).',
      );
    }
  }

  // Trait-templated wildcards: a template in a role expands to root/* through a user's traits.
  const roleByName = new Map(input.roles.map((r) => [r.name, r]));
  for (const user of input.users) {
    for (const roleName of user.roles) {
      const role = roleByName.get(roleName);
      if (!role) continue;
      const templated: [string, readonly string[]][] = [
        ['logins', role.allow.logins],
        ['mcp.tools', role.allow.mcpTools],
        ['db_users', role.allow.dbUsers],
        ['db_names', role.allow.dbNames],
      ];
      for (const [field, values] of templated) {
        for (const v of values) {
          const trait = templateTrait(v);
          if (trait === undefined) continue;
          const risky = (user.traits[trait] ?? []).filter(
            (t) => t === '*' || (field === 'logins' && t === 'root') || t === '^.*$',
          );
          if (risky.length === 0) continue;
          add(
            'RBAC-011',
            field === 'logins' ? 'high' : 'medium',
            `user/${user.name}`,
            `trait ${trait}: ${JSON.stringify(user.traits[trait])} expands allow.${field} ${JSON.stringify(v)} of role ${role.name} to ${JSON.stringify(risky)}`,
            `Narrow the user's "${trait}" trait (\`tctl users update ${user.name} --set-${trait.replace(/_/g, '-')}=…\`) or the identity provider claim it comes from.`,
          );
        }
      }
    }
  }
  return findings.sort(
    (x, y) =>
      bySeverityDesc(x, y) || x.id.localeCompare(y.id) || x.resource.localeCompare(y.resource),
  );
}
