// The allow-list of tctl commands tmcp runs, as argv arrays (after the binary). Global flags come
// first, as in `tctl -i identity --auth-server=proxy:443 get roles` (TELEPORT.md §4.2, §4.4).
// Every variable part is a branded, validated value (./validators.ts).
import { AppError } from '@tmcp/errors';
import { validateClusterConnection, type ClusterConnection } from './cluster-connection.js';
import type { ClusterName, McpToolPattern, ResourceName, Username } from './validators.js';

/** `tctl get` collections (TELEPORT.md §0.5, §2). */
export const TCTL_LIST_KINDS = [
  'nodes',
  'proxies',
  'roles',
  'users',
  'tokens',
  'cert_authorities',
  'cluster_auth_preference',
  'apps',
  'db',
] as const;
export type TctlListKind = (typeof TCTL_LIST_KINDS)[number];

/** `tctl get <kind>/<name>` single-resource kinds. */
export const TCTL_SINGLE_KINDS = ['node', 'proxy', 'role', 'user', 'token', 'app', 'db'] as const;
export type TctlSingleKind = (typeof TCTL_SINGLE_KINDS)[number];

/** Kinds `tctl rm` may delete, and `tctl create` may create. */
export const TCTL_MUTABLE_KINDS = ['role', 'user', 'app', 'db', 'token'] as const;
export type TctlMutableKind = (typeof TCTL_MUTABLE_KINDS)[number];

export const CERT_AUTHORITY_TYPES = [
  'host',
  'user',
  'db',
  'db_client',
  'openssh',
  'jwt',
  'saml_idp',
  'oidc_idp',
  'spiffe',
  'okta',
] as const;
export type CertAuthorityType = (typeof CERT_AUTHORITY_TYPES)[number];

export function isTctlMutableKind(kind: string): kind is TctlMutableKind {
  return (TCTL_MUTABLE_KINDS as readonly string[]).includes(kind);
}

export class TctlArgvBuilder {
  private readonly globals: readonly string[];

  /**
   * The cluster's global flags (identity, proxy / auth server) that precede every subcommand;
   * for callers that assemble an allow-listed subcommand themselves (passthrough).
   */
  globalFlags(): string[] {
    return [...this.globals];
  }

  constructor(connection: ClusterConnection) {
    const c = validateClusterConnection(connection);
    // tctl needs --auth-server with an identity file; the proxy web address is accepted there.
    const authServer = c.authServer ?? (c.identityFile === undefined ? undefined : c.proxy);
    this.globals = [
      ...(c.identityFile === undefined ? [] : [`--identity=${c.identityFile}`]),
      ...(authServer === undefined ? [] : [`--auth-server=${authServer}`]),
    ];
  }

  /** `tctl get <kind> --format=json` */
  getAll(kind: TctlListKind): string[] {
    assertOneOf(kind, TCTL_LIST_KINDS, 'kind');
    return [...this.globals, 'get', kind, '--format=json'];
  }

  /** `tctl get <kind>/<name> --format=json` */
  getOne(kind: TctlSingleKind, name: ResourceName): string[] {
    assertOneOf(kind, TCTL_SINGLE_KINDS, 'kind');
    return [...this.globals, 'get', `${kind}/${name}`, '--format=json'];
  }

  /** `tctl get cert_authority/<type>/<cluster> --format=json` */
  getCertAuthority(type: CertAuthorityType, cluster: ClusterName): string[] {
    assertOneOf(type, CERT_AUTHORITY_TYPES, 'type');
    return [...this.globals, 'get', `cert_authority/${type}/${cluster}`, '--format=json'];
  }

  /** `tctl status` (text; JSON only exists in the newest versions). */
  status(): string[] {
    return [...this.globals, 'status'];
  }

  /** `tctl version` */
  version(): string[] {
    return [...this.globals, 'version'];
  }

  /**
   * `tctl create [-f] <file>`: the resource document lives in a private temporary file (see
   * PrivateResourceFile); TELEPORT.md documents no stdin form, so none is used.
   */
  create(file: string, options: { force?: boolean } = {}): string[] {
    if (!file.startsWith('/') || file.includes('\0')) {
      throw AppError.badParameter('file', 'must be an absolute path');
    }
    return [...this.globals, 'create', ...(options.force ? ['-f'] : []), file];
  }

  /** `tctl rm <kind>/<name>` */
  rm(kind: TctlMutableKind, name: ResourceName): string[] {
    assertOneOf(kind, TCTL_MUTABLE_KINDS, 'kind');
    return [...this.globals, 'rm', `${kind}/${name}`];
  }

  /**
   * `tctl users update <user> --set-mcp-tools=<a,b>` (sets the `mcp_tools` trait; the value is a
   * comma-separated list by analogy with --set-logins, TELEPORT.md §1.8). An empty list clears it.
   */
  setUserMcpTools(user: Username, tools: readonly McpToolPattern[]): string[] {
    return [...this.globals, 'users', 'update', user, `--set-mcp-tools=${tools.join(',')}`];
  }

  /** `tctl tokens ls --format=json` */
  listTokens(): string[] {
    return [...this.globals, 'tokens', 'ls', '--format=json'];
  }
}

function assertOneOf<T extends string>(
  value: string,
  allowed: readonly T[],
  field: string,
): asserts value is T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw AppError.badParameter(field, `must be one of ${allowed.join(', ')}`);
  }
}
