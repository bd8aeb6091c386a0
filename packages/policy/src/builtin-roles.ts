// The four built-in roles and the resolver that combines them with custom roles. The capability
// sets are documented (and checked against the code by a test) in docs/policy.md.
import { AppError } from '@tmcp/errors';
import { LEASE_KINDS, type RateLimit } from './lease-constraints.js';
import type { RoleDefinition } from './role-definition.js';

export const ROLE_NAMES = ['admin', 'operator', 'user', 'readonly'] as const;
export type BuiltinRoleName = (typeof ROLE_NAMES)[number];

/** The role a new service principal gets unless told otherwise (DESIGN §3.3). */
export const DEFAULT_SERVICE_ROLE: BuiltinRoleName = 'operator';

export interface RoleResolver {
  get(name: string): RoleDefinition | undefined;
  /** The rate limit of roles without their own (and of actors without a known role). */
  readonly defaultRateLimit?: RateLimit;
}

export interface RoleResolverOptions {
  /** Default: DEFAULT_ROLE_CONSTRAINTS.rateLimit. */
  readonly defaultRateLimit?: RateLimit;
}

const HOUR = 3600;

export const BUILTIN_ROLES: Readonly<Record<BuiltinRoleName, RoleDefinition>> = {
  admin: {
    name: 'admin',
    description: 'Everything, including passthrough, roles and principals',
    allow: ['*'],
    deny: [],
    constraints: {
      maxTtlSeconds: HOUR,
      maxConcurrentLeases: 10,
      allowedLeaseKinds: [...LEASE_KINDS],
      allowedTargets: ['*'],
      federatedTools: { allow: ['*'], deny: [] },
      rateLimit: { perMinute: 600, burst: 100 },
      leaseScope: 'any',
    },
  },
  operator: {
    name: 'operator',
    description:
      'Runs the platform: everything except passthrough, role and principal changes, ' +
      'and granting MCP tools to Teleport users',
    allow: ['*'],
    deny: ['passthrough.*', 'admin.roles.write', 'admin.principals.write', 'mcp.set_user_tools'],
    constraints: {
      maxTtlSeconds: HOUR,
      maxConcurrentLeases: 10,
      allowedLeaseKinds: [...LEASE_KINDS],
      allowedTargets: ['*'],
      federatedTools: { allow: ['*'], deny: [] },
      rateLimit: { perMinute: 300, burst: 60 },
      leaseScope: 'any',
    },
  },
  user: {
    name: 'user',
    description:
      'Reads the resources it can connect to, opens and manages its own leases, ' +
      'asks for access, renders client configurations',
    allow: [
      'inventory.nodes',
      'inventory.proxies',
      'inventory.apps',
      'inventory.databases',
      'inventory.mcp_servers',
      'proxy.*',
      'access_request.list',
      'access_request.show',
      'access_request.create',
      'access_request.drop',
      'mcp.client_config',
      'mcp.db_config',
      'federation.call',
    ],
    deny: [],
    constraints: {
      maxTtlSeconds: HOUR,
      maxConcurrentLeases: 10,
      allowedLeaseKinds: [...LEASE_KINDS],
      allowedTargets: ['*'],
      federatedTools: { allow: ['*'], deny: [] },
      rateLimit: { perMinute: 60, burst: 20 },
      leaseScope: 'own',
    },
  },
  readonly: {
    name: 'readonly',
    description: 'Reads inventory, health, audit, leases and control-plane state; changes nothing',
    allow: [
      'inventory.*',
      'health.*',
      'audit.*',
      'access_request.list',
      'access_request.show',
      'proxy.status',
      'proxy.logs',
      'proxy.list',
      'admin.*.read',
      'admin.policy.check',
    ],
    deny: [],
    constraints: {
      maxTtlSeconds: HOUR,
      maxConcurrentLeases: 0,
      allowedLeaseKinds: [],
      allowedTargets: [],
      federatedTools: { allow: [], deny: [] },
      rateLimit: { perMinute: 120, burst: 30 },
      leaseScope: 'any',
    },
  },
};

export function isBuiltinRoleName(name: string): name is BuiltinRoleName {
  return (ROLE_NAMES as readonly string[]).includes(name);
}

/**
 * Resolves built-in roles plus already validated custom roles (see parseRoleDefinition).
 * Throws `bad_parameter` when a custom role reuses a built-in or another custom role's name.
 */
export function builtinRoleResolver(
  custom: readonly RoleDefinition[] = [],
  options: RoleResolverOptions = {},
): RoleResolver {
  const roles = new Map<string, RoleDefinition>(Object.entries(BUILTIN_ROLES));
  const problems: string[] = [];
  for (const role of custom) {
    if (isBuiltinRoleName(role.name)) {
      problems.push(`"${role.name}" is a built-in role`);
    } else if (roles.has(role.name)) {
      problems.push(`"${role.name}" is defined twice`);
    } else {
      roles.set(role.name, role);
    }
  }
  if (problems.length > 0) {
    throw new AppError(
      'bad_parameter',
      `custom roles: ${problems.join('; ')}. Rename or remove the duplicates.`,
      { details: { problems } },
    );
  }
  return {
    get: (name) => roles.get(name),
    ...(options.defaultRateLimit === undefined
      ? {}
      : { defaultRateLimit: { ...options.defaultRateLimit } }),
  };
}
