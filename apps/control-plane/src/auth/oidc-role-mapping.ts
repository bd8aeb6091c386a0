// Maps the roles claim of an OIDC access token to tmcp roles (pure). The claim may be a string,
// a space- or comma-separated string, or an array of strings, at a dotted path
// (`realm_access.roles`). Only mapped values count; `defaultRole` applies when none maps.

export interface OidcRoleMappingConfig {
  rolesClaim: string;
  roleMapping: Readonly<Record<string, string>>;
  defaultRole?: string | undefined;
}

export function claimValues(
  payload: Readonly<Record<string, unknown>>,
  claimPath: string,
): string[] {
  let value: unknown = payload;
  for (const part of claimPath.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
    value = Object.hasOwn(value, part) ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((v) => v !== '');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

export function rolesFromClaims(
  payload: Readonly<Record<string, unknown>>,
  config: OidcRoleMappingConfig,
): string[] {
  const roles = new Set<string>();
  for (const value of claimValues(payload, config.rolesClaim)) {
    if (Object.hasOwn(config.roleMapping, value)) {
      const role = config.roleMapping[value];
      if (role !== undefined) roles.add(role);
    }
  }
  if (roles.size === 0 && config.defaultRole !== undefined) roles.add(config.defaultRole);
  return [...roles];
}
