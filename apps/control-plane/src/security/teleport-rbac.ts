// Teleport's role semantics, as far as MCP access needs them (TELEPORT.md §1.8): trait templates
// (`{{internal.x}}`, `{{external.x}}`), label selectors (`'*': '*'`, globs, `^regex$`; every key
// must match; an empty selector matches nothing), and `mcp.tools` (no allow entry = no tool; a
// matching deny always wins). Tool patterns use @tmcp/policy's matcher, the same semantics.
import { findToolPattern, matchToolPattern } from '@tmcp/policy';
import type { LabelValues, TeleportRole } from '@tmcp/teleport';

export type Traits = Readonly<Record<string, readonly string[]>>;

const TEMPLATE = /^(.*?)\{\{\s*(internal|external)\.([A-Za-z0-9_.:-]+)\s*\}\}(.*)$/;

/** The trait a template names (`{{internal.mcp_tools}}` → `mcp_tools`); undefined for a literal. */
export function templateTrait(value: string): string | undefined {
  return TEMPLATE.exec(value)?.[3];
}

/** Expands trait templates; a template whose trait is missing or empty yields nothing. */
export function interpolate(values: readonly string[], traits: Traits): string[] {
  const out: string[] = [];
  for (const value of values) {
    const m = TEMPLATE.exec(value);
    if (!m) {
      out.push(value);
      continue;
    }
    const [, prefix = '', , trait = '', suffix = ''] = m;
    for (const t of traits[trait] ?? []) out.push(`${prefix}${t}${suffix}`);
  }
  return [...new Set(out)];
}

/** Label values match like tool patterns: `*`, globs, `^regex$`, literals. */
function matchValue(pattern: string, value: string): boolean {
  return pattern === '*' || matchToolPattern(pattern, value);
}

export function matchesLabels(
  selector: LabelValues,
  labels: Readonly<Record<string, string>>,
  traits: Traits = {},
): boolean {
  const entries = Object.entries(selector);
  if (entries.length === 0) return false;
  return entries.every(([key, raw]) => {
    const values = interpolate(raw, traits);
    if (key === '*') return values.includes('*');
    const actual = labels[key];
    return actual !== undefined && values.some((v) => matchValue(v, actual));
  });
}

export interface McpToolPermissions {
  /** Roles whose allow.app_labels match the app (they grant access to the server). */
  grantingRoles: string[];
  /** Roles whose deny.app_labels match the app (they deny the whole server). */
  denyingRoles: string[];
  /** allow.mcp.tools of the granting roles, after trait expansion. */
  allowed: string[];
  /** deny.mcp.tools of every role whose deny applies to the app, after trait expansion. */
  denied: string[];
  /** Per granting role: its raw allow.mcp.tools and what they expanded to. */
  byRole: { role: string; raw: string[]; expanded: string[] }[];
}

/** What `tsh mcp ls` would show as the user's permissions on an app with these labels. */
export function mcpToolPermissions(
  roles: readonly TeleportRole[],
  traits: Traits,
  appLabels: Readonly<Record<string, string>>,
): McpToolPermissions {
  const result: McpToolPermissions = {
    grantingRoles: [],
    denyingRoles: [],
    allowed: [],
    denied: [],
    byRole: [],
  };
  for (const role of roles) {
    if (matchesLabels(role.deny.appLabels, appLabels, traits)) result.denyingRoles.push(role.name);
    if (matchesLabels(role.allow.appLabels, appLabels, traits)) {
      result.grantingRoles.push(role.name);
      const expanded = interpolate(role.allow.mcpTools, traits);
      result.byRole.push({ role: role.name, raw: role.allow.mcpTools, expanded });
      result.allowed.push(...expanded);
    }
    // A deny block without app_labels applies to every app (as in the simulator and Teleport).
    const denyLabels = role.deny.appLabels;
    if (Object.keys(denyLabels).length === 0 || matchesLabels(denyLabels, appLabels, traits)) {
      result.denied.push(...interpolate(role.deny.mcpTools, traits));
    }
  }
  result.allowed = [...new Set(result.allowed)];
  result.denied = [...new Set(result.denied)];
  return result;
}

export type ToolDecision = { allow: true; allowedBy: string } | { allow: false; deniedBy?: string };

/** Deny wins; otherwise the first matching allow entry decides. */
export function decideTool(
  perms: Pick<McpToolPermissions, 'allowed' | 'denied'>,
  tool: string,
): ToolDecision {
  const deniedBy = findToolPattern(perms.denied, tool);
  if (deniedBy !== undefined) return { allow: false, deniedBy };
  const allowedBy = findToolPattern(perms.allowed, tool);
  return allowedBy === undefined ? { allow: false } : { allow: true, allowedBy };
}
