// `diagnose_mcp_access`: Teleport's MCP access troubleshooting guide as ordered checks over facts
// gathered from the cluster (user, app, roles, tsh version). Each failed check says how to fix
// it; checks that depend on a failed one are skipped rather than guessed.
import type { TeleportApp, TeleportRole, TeleportUser, TeleportVersion } from '@tmcp/teleport';
import { versionParts } from '@tmcp/teleport';
import { z } from 'zod';
import { decideTool, interpolate, mcpToolPermissions, templateTrait } from './teleport-rbac.js';

export const DIAGNOSIS_STATUSES = ['pass', 'fail', 'warn', 'skip'] as const;

export const diagnosisCheckSchema = z.object({
  id: z.string().describe('Stable check id, e.g. user_exists'),
  title: z.string(),
  status: z.enum(DIAGNOSIS_STATUSES),
  detail: z.string(),
  fix: z.string().optional().describe('What to do; present when the check failed or warned'),
});
export type DiagnosisCheck = z.infer<typeof diagnosisCheckSchema>;

export const mcpAccessDiagnosisSchema = z.object({
  user: z.string(),
  server: z.string(),
  ok: z.boolean().describe('True when every check passed (warnings allowed)'),
  checks: z.array(diagnosisCheckSchema),
  allowedTools: z.array(z.string()),
  deniedTools: z.array(z.string()),
});
export type McpAccessDiagnosis = z.infer<typeof mcpAccessDiagnosisSchema>;

export interface McpAccessFacts {
  user: string;
  server: string;
  /** Set when the gateway's own Teleport identity is expired or missing (credentials_expired). */
  credentialsError?: string;
  userRecord?: TeleportUser;
  app?: TeleportApp;
  roles: readonly TeleportRole[];
  /** The tsh that will run `tsh mcp connect` (the caller's, when given, else this host's). */
  tshVersion?: TeleportVersion;
  tshVersionSource?: 'client' | 'gateway';
  /**
   * Whether client tools managed updates are on for that tsh (the caller knows: `tctl autoupdate
   * client-tools status`, or TELEPORT_TOOLS_VERSION on the user's machine). Undefined: unknown;
   * the gateway's tctl cannot read the cluster's autoupdate configuration.
   */
  managedUpdates?: boolean;
  /** The time of the diagnosis (for the user record's expiry). */
  now?: Date;
  /** Optional: a tool the user expects to call. */
  tool?: string;
}

/** tsh before this cannot serve `tsh mcp connect` when it re-executes a managed-update tsh. */
export const MIN_TSH_FOR_MANAGED_UPDATES = '18.2.3';
export const MIN_TSH_FOR_MCP = '18.1.0';

function versionLess(a: string, b: string): boolean {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < 3; i += 1) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  }
  return false;
}

export function diagnoseMcpAccess(f: McpAccessFacts): McpAccessDiagnosis {
  const checks: DiagnosisCheck[] = [];
  const add = (c: DiagnosisCheck): void => void checks.push(c);
  const skip = (id: string, title: string, why: string): void =>
    add({ id, title, status: 'skip', detail: why });
  const result = (allowed: string[] = [], denied: string[] = []): McpAccessDiagnosis => ({
    user: f.user,
    server: f.server,
    ok: checks.every((c) => c.status === 'pass' || c.status === 'warn'),
    checks,
    allowedTools: allowed,
    deniedTools: denied,
  });

  if (f.credentialsError !== undefined) {
    add({
      id: 'gateway_credentials',
      title: "The gateway's Teleport identity is valid",
      status: 'fail',
      detail: f.credentialsError,
      fix: 'Renew the identity file of this cluster (`tctl auth sign --user=<bot> --format=file --out=<identity file> --ttl=8h`, or let tbot refresh it), then run the diagnosis again.',
    });
    return result();
  }
  add({
    id: 'gateway_credentials',
    title: "The gateway's Teleport identity is valid",
    status: 'pass',
    detail: 'tctl answered with the configured identity.',
  });

  // 1. the user
  const user = f.userRecord;
  if (user === undefined) {
    add({
      id: 'user_exists',
      title: `Teleport user "${f.user}" exists`,
      status: 'fail',
      detail: `No user "${f.user}" in the cluster.`,
      fix: `Check the spelling (SSO users are created at their first login), or create the user: \`tctl users add ${f.user} --roles=access\`.`,
    });
  } else {
    add({
      id: 'user_exists',
      title: `Teleport user "${f.user}" exists`,
      status: user.locked ? 'fail' : 'pass',
      detail: `roles: ${user.roles.join(', ') || '(none)'}${user.locked ? '; the user is LOCKED' : ''}`,
      ...(user.locked
        ? { fix: `Unlock the user (\`tctl rm lock/<lock id>\`) if the lock is no longer wanted.` }
        : {}),
    });
    add(userIdentityCheck(f.user, user.expires, f.now ?? new Date()));
  }

  // 2. the app
  const app = f.app;
  if (app === undefined) {
    add({
      id: 'server_exists',
      title: `MCP server "${f.server}" exists`,
      status: 'fail',
      detail: `No app "${f.server}" in the cluster (dynamic apps; apps declared in app_service.apps appear only as app_servers).`,
      fix: 'Register it with `register_mcp_server` (or `tctl create` an app with spec.mcp), or check the name with `list_mcp_servers`.',
    });
  } else if (!app.isMcp) {
    add({
      id: 'server_exists',
      title: `MCP server "${f.server}" exists`,
      status: 'fail',
      detail: `App "${app.name}" is not an MCP server (uri ${app.uri}, no spec.mcp).`,
      fix: 'Give it an `mcp+stdio://`, `mcp+http(s)://` or `mcp+sse+http(s)://` URI (and spec.mcp for stdio) with `update_mcp_server`, or pick the MCP app by name.',
    });
  } else {
    add({
      id: 'server_exists',
      title: `MCP server "${f.server}" exists`,
      status: 'pass',
      detail: `uri ${app.uri} (${app.mcpTransport ?? 'unknown transport'})`,
    });
  }

  // 3. the app definition
  if (app?.isMcp !== true) {
    skip('server_definition', 'The MCP server definition is complete', 'needs the MCP server');
  } else if (app.mcpTransport === 'stdio') {
    const missing = [
      ...(app.mcp?.command ? [] : ['spec.mcp.command']),
      ...(app.mcp?.runAsHostUser ? [] : ['spec.mcp.run_as_host_user']),
    ];
    add({
      id: 'server_definition',
      title: 'The MCP server definition is complete',
      status: missing.length === 0 ? 'pass' : 'fail',
      detail:
        missing.length === 0
          ? `stdio: runs \`${[app.mcp?.command ?? '', ...(app.mcp?.args ?? [])].join(' ')}\` as host user ${app.mcp?.runAsHostUser ?? ''}`
          : `stdio app without ${missing.join(' and ')}`,
      ...(missing.length === 0
        ? {}
        : {
            fix: `Set ${missing.join(' and ')} with \`update_mcp_server\` (the host user must exist on the app service host).`,
          }),
    });
  } else if (app.mcpTransport === undefined) {
    add({
      id: 'server_definition',
      title: 'The MCP server definition is complete',
      status: 'fail',
      detail: `unrecognised MCP URI ${app.uri}`,
      fix: 'Use mcp+stdio://, mcp+http(s):// or mcp+sse+http(s)://.',
    });
  } else {
    add({
      id: 'server_definition',
      title: 'The MCP server definition is complete',
      status: 'pass',
      detail: `${app.mcpTransport} server at ${app.uri}`,
    });
  }

  // 4. app labels against the user's roles
  const userRoles = user === undefined ? [] : f.roles.filter((r) => user.roles.includes(r.name));
  const missingRoles =
    user === undefined ? [] : user.roles.filter((n) => !f.roles.some((r) => r.name === n));
  const traits = user?.traits ?? {};
  if (user === undefined || app?.isMcp !== true) {
    skip(
      'server_access',
      "The user's roles grant access to the server",
      'needs the user and the MCP server',
    );
    skip(
      'tools_allowed',
      'The user is allowed at least one tool',
      'needs the user and the MCP server',
    );
    addVersionCheck(f, add);
    return result();
  }
  const perms = mcpToolPermissions(userRoles, traits, app.labels);
  const labelText = Object.entries(app.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  if (perms.denyingRoles.length > 0) {
    add({
      id: 'server_access',
      title: "The user's roles grant access to the server",
      status: 'fail',
      detail: `deny.app_labels of role(s) ${perms.denyingRoles.join(', ')} match the app (labels ${labelText}).`,
      fix: `Remove the user from ${perms.denyingRoles.join(', ')} or narrow their deny.app_labels; deny always wins.`,
    });
  } else if (perms.grantingRoles.length === 0) {
    const candidates = f.roles
      .filter((r) => !user.roles.includes(r.name))
      .filter((r) => mcpToolPermissions([r], traits, app.labels).grantingRoles.length > 0)
      .map((r) => r.name);
    add({
      id: 'server_access',
      title: "The user's roles grant access to the server",
      status: 'fail',
      detail: `No allow.app_labels of ${user.roles.join(', ') || '(no roles)'} match the app labels (${labelText}).${missingRoles.length ? ` Roles not found in the cluster: ${missingRoles.join(', ')}.` : ''}`,
      fix:
        candidates.length > 0
          ? `Assign a role whose app_labels match, e.g. \`tctl users update ${user.name} --set-roles=${[...user.roles, candidates[0]].join(',')}\` (candidates: ${candidates.join(', ')}).`
          : `Add app_labels matching the server (e.g. {'teleport.internal/app-sub-kind': 'mcp'}) to one of the user's roles.`,
    });
  } else {
    add({
      id: 'server_access',
      title: "The user's roles grant access to the server",
      status: 'pass',
      detail: `granted by ${perms.grantingRoles.join(', ')}`,
    });
  }

  // 5. tools
  if (perms.grantingRoles.length === 0 || perms.denyingRoles.length > 0) {
    skip('tools_allowed', 'The user is allowed at least one tool', 'needs access to the server');
  } else if (perms.allowed.length === 0) {
    add({
      id: 'tools_allowed',
      title: 'The user is allowed at least one tool',
      status: 'fail',
      detail: noToolsDetail(perms.byRole),
      fix: noToolsFix(user.name, perms.byRole, f.roles, traits, app.labels),
    });
  } else if (perms.denied.some((d) => d === '*' || d === '^.*$')) {
    add({
      id: 'tools_allowed',
      title: 'The user is allowed at least one tool',
      status: 'fail',
      detail: `allowed ${JSON.stringify(perms.allowed)} but deny.mcp.tools ${JSON.stringify(perms.denied)} removes every tool`,
      fix: 'Narrow the deny.mcp.tools entry "*" of the denying role; deny always wins.',
    });
  } else {
    add({
      id: 'tools_allowed',
      title: 'The user is allowed at least one tool',
      status: 'pass',
      detail: `allowed ${JSON.stringify(perms.allowed)}${perms.denied.length ? `, except ${JSON.stringify(perms.denied)}` : ''}`,
    });
  }
  if (f.tool !== undefined && perms.grantingRoles.length > 0) {
    const d = decideTool(perms, f.tool);
    add({
      id: 'tool_allowed',
      title: `Tool "${f.tool}" is allowed`,
      status: d.allow ? 'pass' : 'fail',
      detail: d.allow
        ? `allowed by "${d.allowedBy}"`
        : d.deniedBy
          ? `denied by deny.mcp.tools "${d.deniedBy}"`
          : 'no allow.mcp.tools entry matches it',
      ...(d.allow
        ? {}
        : {
            fix: d.deniedBy
              ? `Remove "${d.deniedBy}" from deny.mcp.tools of the role that holds it (deny wins over any allow).`
              : `Add "${f.tool}" (or a glob such as "${f.tool.split(/[-_]/)[0] ?? f.tool}_*") to the user's mcp_tools trait with \`set_user_mcp_tools\`, or to allow.mcp.tools of one of: ${perms.grantingRoles.join(', ')}.`,
          }),
    });
  }
  addVersionCheck(f, add);
  return result(perms.allowed, perms.denied);
}

function addVersionCheck(f: McpAccessFacts, add: (c: DiagnosisCheck) => void): void {
  const v = f.tshVersion;
  const title = `tsh is recent enough for MCP (≥ ${MIN_TSH_FOR_MANAGED_UPDATES})`;
  if (v === undefined) {
    add({ id: 'tsh_version', title, status: 'skip', detail: 'tsh version unknown' });
    return;
  }
  const who = f.tshVersionSource === 'client' ? "the client's tsh" : "this gateway's tsh";
  if (versionLess(v.version, MIN_TSH_FOR_MCP)) {
    add({
      id: 'tsh_version',
      title,
      status: 'fail',
      detail: `${who} is ${v.version}; \`tsh mcp\` exists from ${MIN_TSH_FOR_MCP}.`,
      fix: `Upgrade tsh to ${MIN_TSH_FOR_MANAGED_UPDATES} or later.`,
    });
  } else if (versionLess(v.version, MIN_TSH_FOR_MANAGED_UPDATES)) {
    const why = `before ${MIN_TSH_FOR_MANAGED_UPDATES}, \`tsh mcp connect\` breaks when client tools managed updates re-execute a different tsh`;
    const version = `${who} is ${v.version}${v.proxyVersion ? ` (cluster ${v.proxyVersion})` : ''}`;
    if (f.managedUpdates === true) {
      add({
        id: 'tsh_version',
        title,
        status: 'warn',
        detail: `${version} and managed updates are on; ${why}.`,
        fix: `Upgrade the tsh the MCP client launches to ${MIN_TSH_FOR_MANAGED_UPDATES} or later, or turn managed updates off for it (TELEPORT_TOOLS_VERSION=off).`,
      });
    } else {
      add({
        id: 'tsh_version',
        title,
        status: 'pass',
        detail:
          f.managedUpdates === false
            ? `${version}; managed updates are off, so the ${MIN_TSH_FOR_MANAGED_UPDATES} fix does not matter.`
            : `${version}; ${why}. Whether managed updates are on is not known here (\`tctl autoupdate client-tools status\` tells; pass managed_updates to check): if they are, upgrade tsh to ${MIN_TSH_FOR_MANAGED_UPDATES} or later.`,
      });
    }
  } else {
    add({ id: 'tsh_version', title, status: 'pass', detail: `${who} is ${v.version}` });
  }
}

/**
 * Whether the user's login can still be valid. The cluster does not keep the certificates it
 * issues, so their expiry is not knowable here; what is: a user's `spec.expires` (an SSO user's
 * record lasts as long as its login session), and a record past it means the login has expired.
 */
function userIdentityCheck(user: string, expires: string | undefined, now: Date): DiagnosisCheck {
  const id = 'user_identity';
  const title = `The Teleport login of "${user}" has not expired`;
  const certificates =
    "the expiry of the certificates the user's tsh holds is not visible to the cluster (Teleport does not store issued certificates); if `tsh mcp connect` reports an expired session, the user runs `tsh login` again";
  const at = expires === undefined ? Number.NaN : Date.parse(expires);
  if (Number.isNaN(at)) {
    return {
      id,
      title,
      status: 'pass',
      detail: `The user record does not expire; ${certificates}.`,
    };
  }
  if (at <= now.getTime()) {
    return {
      id,
      title,
      status: 'fail',
      detail: `The user record expired at ${expires ?? ''} (an SSO user's record lasts as long as its login session).`,
      fix: `The user logs in again (\`tsh login --proxy=<proxy> --auth=<connector>\`); the MCP client works without restarting.`,
    };
  }
  return {
    id,
    title,
    status: 'pass',
    detail: `The user record is valid until ${expires ?? ''} (the login session of an SSO user); ${certificates}.`,
  };
}

function noToolsDetail(byRole: { role: string; raw: string[]; expanded: string[] }[]): string {
  const parts = byRole.map((r) =>
    r.raw.length === 0
      ? `${r.role}: no allow.mcp.tools`
      : `${r.role}: ${JSON.stringify(r.raw)} → ${JSON.stringify(r.expanded)}`,
  );
  return `No tool allowed (tsh mcp ls shows "(none) [!]"). ${parts.join('; ')}`;
}

function noToolsFix(
  user: string,
  byRole: { role: string; raw: string[]; expanded: string[] }[],
  allRoles: readonly TeleportRole[],
  traits: Readonly<Record<string, readonly string[]>>,
  appLabels: Readonly<Record<string, string>>,
): string {
  // A role that templates a trait the user lacks: setting the trait is the smallest fix.
  const templated = byRole.flatMap((r) =>
    r.raw
      .map((v) => ({ role: r.role, trait: templateTrait(v) }))
      .filter((x) => x.trait !== undefined),
  );
  const first = templated[0];
  if (first?.trait !== undefined) {
    const via =
      first.trait === 'mcp_tools'
        ? `\`set_user_mcp_tools\` (tctl users update ${user} --set-mcp-tools=<tools>)`
        : `the identity provider claim "${first.trait}" (or \`tctl users update ${user}\`)`;
    return `Role ${first.role} allows the tools in trait "${first.trait}", which user ${user} does not have: set it with ${via}, e.g. ["read_*"] or ["*"].`;
  }
  const withTools = allRoles.filter(
    (r) =>
      r.allow.mcpTools.length > 0 &&
      interpolate(r.allow.mcpTools, traits).length > 0 &&
      mcpToolPermissions([r], traits, appLabels).grantingRoles.length > 0,
  );
  const suggestion = withTools[0];
  return suggestion
    ? `None of the user's roles sets allow.mcp.tools: assign role ${suggestion.name} (allows ${JSON.stringify(suggestion.allow.mcpTools)}) or add allow.mcp.tools to ${byRole.map((r) => r.role).join(', ')}.`
    : `Add allow.mcp.tools (e.g. ["{{internal.mcp_tools}}"] or ["read_*"]) to one of ${byRole.map((r) => r.role).join(', ')}.`;
}
