// Teleport's role evaluation as far as the simulator needs it: resource rules (deny wins),
// label selectors, trait templates, MCP tool patterns (literal, glob, ^regex$), requestable
// and reviewable roles, impersonation. Pure: it reads resources, never the disk.
import { TeleportError } from '../cli/teleport-error.js';
import type { Labels, Resource } from '../state/sim-state.js';

type Traits = Record<string, string[]>;

interface Rule {
  resources?: string[];
  verbs?: string[];
}

interface Conditions {
  logins?: string[];
  rules?: Rule[];
  app_labels?: Labels;
  db_labels?: Labels;
  node_labels?: Labels;
  kubernetes_labels?: Labels;
  db_users?: string[];
  db_names?: string[];
  mcp?: { tools?: string[] };
  request?: { roles?: string[] };
  review_requests?: { roles?: string[] };
  impersonate?: { users?: string[]; roles?: string[] };
}

export type LabelKind = 'app_labels' | 'db_labels' | 'node_labels' | 'kubernetes_labels';

export interface McpToolPermissions {
  allowed: string[];
  denied: string[];
}

function conditions(role: Resource, side: 'allow' | 'deny'): Conditions {
  const value = role.spec[side];
  return value && typeof value === 'object' ? value : {};
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** A Teleport value matcher: `*`, a glob, `^regex$` or a literal. */
export function matchesPattern(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('^') && pattern.endsWith('$')) {
    try {
      return new RegExp(pattern).test(value);
    } catch {
      return false;
    }
  }
  if (pattern.includes('*')) return globToRegExp(pattern).test(value);
  return pattern === value;
}

const TEMPLATE = /^(.*?)\{\{\s*(internal|external)\.([A-Za-z0-9_.:-]+)\s*\}\}(.*)$/;

/** Expands `{{internal.x}}` / `{{external.x}}`; a missing trait yields nothing. */
export function interpolate(values: readonly string[] | undefined, traits: Traits): string[] {
  const out: string[] = [];
  for (const value of values ?? []) {
    const match = TEMPLATE.exec(value);
    if (!match) {
      out.push(value);
      continue;
    }
    const [, prefix = '', , trait = '', suffix = ''] = match;
    for (const traitValue of traits[trait] ?? []) out.push(`${prefix}${traitValue}${suffix}`);
  }
  return out;
}

/** Role label selectors: every key must match; `'*': '*'` matches anything; empty matches nothing. */
export function matchesLabels(
  selector: Labels | undefined,
  labels: Record<string, string>,
): boolean {
  const entries = Object.entries(selector ?? {});
  if (entries.length === 0) return false;
  return entries.every(([key, raw]) => {
    const values = Array.isArray(raw) ? raw : [raw];
    if (key === '*') return values.includes('*');
    const actual = labels[key];
    return actual !== undefined && values.some((v) => matchesPattern(v, actual));
  });
}

export function resourceLabels(resource: Resource): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(resource.metadata.labels ?? {})) {
    labels[k] = Array.isArray(v) ? v.join(',') : v;
  }
  return labels;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

export class AccessChecker {
  private constructor(
    readonly username: string,
    readonly roleNames: readonly string[],
    readonly traits: Traits,
    private readonly roles: readonly Resource[],
    /** The Auth Service's built-in Admin identity (tctl on an auth host): allowed everything. */
    readonly builtinAdmin: boolean,
  ) {}

  static builtin(hostId: string, clusterName: string): AccessChecker {
    return new AccessChecker(`${hostId}.${clusterName}`, ['Admin'], {}, [], true);
  }

  /**
   * The checker of a local user, with the roles of the access requests its certificate
   * carries; throws Teleport's error when the user no longer exists.
   */
  static forUser(
    username: string,
    users: readonly Resource[],
    roles: readonly Resource[],
    requestedRoles: readonly string[] = [],
  ): AccessChecker {
    const user = users.find((u) => u.metadata.name === username);
    if (!user) throw TeleportError.accessDenied(`user "${username}" is not found`);
    const roleNames = unique([
      ...((user.spec.roles as string[] | undefined) ?? []),
      ...requestedRoles,
    ]);
    const traits = (user.spec.traits as Traits | undefined) ?? {};
    const found = roleNames
      .map((name) => roles.find((r) => r.metadata.name === name))
      .filter((r): r is Resource => r !== undefined);
    return new AccessChecker(username, roleNames, traits, found, false);
  }

  private ruleMatches(side: 'allow' | 'deny', kind: string, verb: string): boolean {
    return this.roles.some((role) =>
      (conditions(role, side).rules ?? []).some(
        (rule) =>
          (rule.resources ?? []).some((r) => r === '*' || r === kind) &&
          (rule.verbs ?? []).some((v) => v === '*' || v === verb),
      ),
    );
  }

  /** `access denied to perform action "<verb>" on "<kind>"` unless a rule allows and none denies. */
  checkAction(kind: string, ...verbs: string[]): void {
    if (this.builtinAdmin) return;
    for (const verb of verbs) {
      if (this.ruleMatches('deny', kind, verb) || !this.ruleMatches('allow', kind, verb)) {
        throw TeleportError.actionDenied(verb, kind);
      }
    }
  }

  canAction(kind: string, verb: string): boolean {
    try {
      this.checkAction(kind, verb);
      return true;
    } catch {
      return false;
    }
  }

  /** Label-based access to a node, app, database or Kubernetes cluster. */
  canAccess(kind: LabelKind, resource: Resource): boolean {
    if (this.builtinAdmin) return true;
    const labels = resourceLabels(resource);
    if (this.roles.some((role) => matchesLabels(conditions(role, 'deny')[kind], labels)))
      return false;
    return this.roles.some((role) => matchesLabels(conditions(role, 'allow')[kind], labels));
  }

  logins(): string[] {
    return unique(
      this.roles.flatMap((role) => interpolate(conditions(role, 'allow').logins, this.traits)),
    );
  }

  /** `allow.mcp.tools` of the roles granting the app, `deny.mcp.tools` of those denying. */
  mcpTools(app: Resource): McpToolPermissions {
    const labels = resourceLabels(app);
    const allowed: string[] = [];
    const denied: string[] = [];
    for (const role of this.roles) {
      const allow = conditions(role, 'allow');
      if (matchesLabels(allow.app_labels, labels))
        allowed.push(...interpolate(allow.mcp?.tools, this.traits));
      const deny = conditions(role, 'deny');
      const denyApplies =
        !deny.app_labels ||
        Object.keys(deny.app_labels).length === 0 ||
        matchesLabels(deny.app_labels, labels);
      if (denyApplies) denied.push(...interpolate(deny.mcp?.tools, this.traits));
    }
    return { allowed: unique(allowed), denied: unique(denied) };
  }

  isToolAllowed(app: Resource, tool: string): boolean {
    const { allowed, denied } = this.mcpTools(app);
    if (denied.some((p) => matchesPattern(p, tool))) return false;
    return allowed.some((p) => matchesPattern(p, tool));
  }

  /** Database user and name allowed for a database this checker can access. */
  canUseDatabase(db: Resource, dbUser: string | undefined, dbName: string | undefined): boolean {
    if (!this.canAccess('db_labels', db)) return false;
    if (this.builtinAdmin) return true;
    const allowedBy = (field: 'db_users' | 'db_names', value: string | undefined): boolean =>
      value === undefined ||
      this.roles.some((role) =>
        interpolate(conditions(role, 'allow')[field], this.traits).some((p) =>
          matchesPattern(p, value),
        ),
      );
    return allowedBy('db_users', dbUser) && allowedBy('db_names', dbName);
  }

  /** The database users the roles granting `db` allow (`tsh db ls` "Allowed Users"), sorted. */
  databaseUsers(db: Resource): string[] {
    if (!this.canAccess('db_labels', db)) return [];
    const labels = resourceLabels(db);
    return unique(
      this.roles
        .filter((role) => matchesLabels(conditions(role, 'allow').db_labels, labels))
        .flatMap((role) => interpolate(conditions(role, 'allow').db_users, this.traits)),
    ).sort();
  }

  /** The first database user the roles allow, as tsh picks a default. */
  defaultDbUser(): string | undefined {
    return this.roles
      .flatMap((role) => interpolate(conditions(role, 'allow').db_users, this.traits))
      .find((u) => u !== '*');
  }

  canRequestRole(role: string): boolean {
    const allowed = this.roles.some((r) =>
      (conditions(r, 'allow').request?.roles ?? []).some((p) => matchesPattern(p, role)),
    );
    const denied = this.roles.some((r) =>
      (conditions(r, 'deny').request?.roles ?? []).some((p) => matchesPattern(p, role)),
    );
    return allowed && !denied;
  }

  canReviewRoles(roles: readonly string[]): boolean {
    if (this.builtinAdmin) return true;
    return roles.every((role) =>
      this.roles.some((r) =>
        (conditions(r, 'allow').review_requests?.roles ?? []).some((p) => matchesPattern(p, role)),
      ),
    );
  }

  canImpersonate(user: string): boolean {
    if (this.builtinAdmin || user === this.username) return true;
    return this.roles.some((r) =>
      (conditions(r, 'allow').impersonate?.users ?? []).some((p) => matchesPattern(p, user)),
    );
  }
}
