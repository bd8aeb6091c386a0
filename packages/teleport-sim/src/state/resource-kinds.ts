// The resource kinds `tctl` handles: their `tctl get` aliases (lib/services ParseShortcut),
// where they live in the state, how their JSON keys are ordered (proto field order), and the
// words tctl uses for them in messages.
import { randomUUID } from 'node:crypto';
import { TeleportError } from '../cli/teleport-error.js';
import type { Resource, ResourceCollection } from './sim-state.js';

export type ResourceKind =
  | 'role'
  | 'node'
  | 'proxy'
  | 'user'
  | 'cert_authority'
  | 'token'
  | 'cluster_auth_preference'
  | 'app'
  | 'db'
  | 'kube_cluster'
  | 'app_server'
  | 'db_server'
  | 'lock';

/** Kinds the auth server derives from the heartbeats of app/database agents: read-only here. */
export type DerivedKind = 'app_server' | 'db_server';

export function isDerivedKind(kind: ResourceKind): kind is DerivedKind {
  return kind === 'app_server' || kind === 'db_server';
}

const ALIASES: Record<string, ResourceKind> = {
  role: 'role',
  roles: 'role',
  node: 'node',
  nodes: 'node',
  proxy: 'proxy',
  proxies: 'proxy',
  user: 'user',
  users: 'user',
  cert_authority: 'cert_authority',
  cert_authorities: 'cert_authority',
  cas: 'cert_authority',
  token: 'token',
  tokens: 'token',
  cluster_auth_preference: 'cluster_auth_preference',
  cluster_authentication_preferences: 'cluster_auth_preference',
  cluster_auth_preferences: 'cluster_auth_preference',
  cap: 'cluster_auth_preference',
  app: 'app',
  apps: 'app',
  db: 'db',
  kube_cluster: 'kube_cluster',
  kube_clusters: 'kube_cluster',
  app_server: 'app_server',
  app_servers: 'app_server',
  db_server: 'db_server',
  db_servers: 'db_server',
  lock: 'lock',
  locks: 'lock',
};

export const COLLECTION_OF: Record<
  Exclude<ResourceKind, 'cluster_auth_preference' | DerivedKind>,
  ResourceCollection
> = {
  role: 'roles',
  node: 'nodes',
  proxy: 'proxies',
  user: 'users',
  cert_authority: 'cert_authorities',
  token: 'tokens',
  app: 'apps',
  db: 'db',
  kube_cluster: 'kube_clusters',
  lock: 'locks',
};

/** How tctl names a kind in "has been created" / "already exists" messages. */
export const DISPLAY_NAME: Record<ResourceKind, string> = {
  role: 'role',
  node: 'node',
  proxy: 'proxy',
  user: 'user',
  cert_authority: 'certificate authority',
  token: 'provision token',
  cluster_auth_preference: 'cluster auth preference',
  app: 'application',
  db: 'database',
  kube_cluster: 'kubernetes cluster',
  app_server: 'application server',
  db_server: 'database server',
  lock: 'lock',
};

export interface ResourceRef {
  kind: ResourceKind;
  subKind?: string;
  name?: string;
}

export function parseResourceRef(text: string): ResourceRef {
  const parts = text.split('/');
  const kind = ALIASES[(parts[0] ?? '').toLowerCase()];
  if (!kind || parts.length > 3 || parts.some((p, i) => i > 0 && p === '')) {
    throw TeleportError.badParameter(
      `unsupported resource: "${parts[0] ?? text}" - resources should be expressed as 'type/name', for example 'connector/github'`,
    );
  }
  if (parts.length === 3) return { kind, subKind: parts[1], name: parts[2] };
  return parts.length === 2 ? { kind, name: parts[1] } : { kind };
}

export function parseKind(text: string): ResourceKind | undefined {
  return ALIASES[text.toLowerCase()];
}

/** NotFound for one missing resource, worded as tctl words it (§0.5). */
export function notFound(kind: ResourceKind, name: string): TeleportError {
  if (kind === 'node' || kind === 'proxy')
    return TeleportError.notFound(`${kind} with ID "${name}" not found`);
  return TeleportError.notFound(`${DISPLAY_NAME[kind]} "${name}" is not found`);
}

export function orderKeys(
  value: Record<string, unknown>,
  order: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of order) if (key in value && value[key] !== undefined) out[key] = value[key];
  for (const [key, v] of Object.entries(value)) if (!(key in out) && v !== undefined) out[key] = v;
  return out;
}

const TOP_ORDER = ['kind', 'sub_kind', 'version', 'metadata', 'spec'];
const METADATA_ORDER = ['name', 'description', 'labels', 'expires', 'revision'];
const SPEC_ORDER: Partial<Record<ResourceKind, readonly string[]>> = {
  role: ['options', 'allow', 'deny'],
  user: [
    'oidc_identities',
    'saml_identities',
    'github_identities',
    'roles',
    'traits',
    'status',
    'expires',
    'created_by',
    'local_auth',
    'trusted_device_ids',
  ],
  token: [
    'roles',
    'allow',
    'aws_iid_ttl',
    'join_method',
    'bot_name',
    'suggested_labels',
    'suggested_agent_matcher_labels',
  ],
  app: [
    'uri',
    'public_addr',
    'dynamic_labels',
    'insecure_skip_verify',
    'rewrite',
    'aws',
    'cloud',
    'UserGroups',
    'integration',
    'required_app_names',
    'cors',
    'identity_center',
    'tcp_ports',
    'use_any_proxy_public_addr',
    'mcp',
  ],
  db: ['protocol', 'uri', 'ca_cert', 'aws', 'gcp', 'azure', 'tls', 'ad', 'mysql'],
  lock: ['target', 'message', 'expires', 'created_at', 'created_by'],
  node: [
    'addr',
    'hostname',
    'cmd_labels',
    'rotation',
    'use_tunnel',
    'version',
    'peer_addr',
    'proxy_ids',
    'public_addrs',
    'cloud_metadata',
    'github',
  ],
  cluster_auth_preference: [
    'type',
    'second_factor',
    'connector_name',
    'u2f',
    'disconnect_expired_cert',
    'allow_local_auth',
    'message_of_the_day',
    'locking_mode',
    'webauthn',
    'allow_passwordless',
    'require_session_mfa',
    'device_trust',
    'idp',
    'allow_headless',
    'default_session_ttl',
    'okta',
    'hardware_key',
    'signature_algorithm_suite',
    'second_factors',
    'stable_unix_user_config',
  ],
};
const CONDITIONS_ORDER = [
  'logins',
  'node_labels',
  'rules',
  'kubernetes_groups',
  'kubernetes_users',
  'app_labels',
  'kubernetes_labels',
  'db_labels',
  'db_names',
  'db_users',
  'aws_role_arns',
  'windows_desktop_logins',
  'windows_desktop_labels',
  'request',
  'review_requests',
  'impersonate',
  'azure_identities',
  'kubernetes_resources',
  'gcp_service_accounts',
  'db_service_labels',
  'db_roles',
  'github_permissions',
  'mcp',
];

/** A resource from `tctl create` in the shape and key order the real auth server stores. */
export function normalizeResource(
  kind: ResourceKind,
  raw: Resource,
  actor: string,
  now: string,
): Resource {
  const metadata = orderKeys(
    { ...raw.metadata, revision: randomUUID() },
    METADATA_ORDER,
  ) as Resource['metadata'];
  let spec = { ...raw.spec };
  let subKind = raw.sub_kind;
  const extra: Record<string, unknown> = {};
  switch (kind) {
    case 'role': {
      spec.options ??= {};
      spec.allow = orderKeys(
        (spec.allow as Record<string, unknown> | undefined) ?? {},
        CONDITIONS_ORDER,
      );
      spec.deny = orderKeys(
        (spec.deny as Record<string, unknown> | undefined) ?? {},
        CONDITIONS_ORDER,
      );
      break;
    }
    case 'user': {
      spec.status ??= {
        is_locked: false,
        locked_time: '0001-01-01T00:00:00Z',
        lock_expires: '0001-01-01T00:00:00Z',
      };
      spec.expires ??= '0001-01-01T00:00:00Z';
      spec.created_by ??= { time: now, user: { name: actor } };
      extra.status = raw.status ?? {};
      break;
    }
    case 'app': {
      spec.insecure_skip_verify ??= false;
      const uri = typeof spec.uri === 'string' ? spec.uri : '';
      if (!uri) throw TeleportError.badParameter('app URI is empty');
      if (uri.startsWith('mcp+')) {
        subKind = 'mcp';
        metadata.labels = { ...metadata.labels, 'teleport.internal/app-sub-kind': 'mcp' };
        const mcp = (spec.mcp as Record<string, unknown> | undefined) ?? {};
        if (uri.startsWith('mcp+stdio') && (!mcp.command || !mcp.run_as_host_user)) {
          throw TeleportError.badParameter(
            'command and run_as_host_user must be set for MCP servers using stdio transport',
          );
        }
        if (spec.mcp) spec.mcp = orderKeys(mcp, ['command', 'args', 'run_as_host_user']);
      }
      break;
    }
    case 'db': {
      if (!spec.protocol)
        throw TeleportError.badParameter('database "' + metadata.name + '" protocol is empty');
      if (!spec.uri)
        throw TeleportError.badParameter('database "' + metadata.name + '" URI is empty');
      spec.aws ??= {};
      spec.gcp ??= {};
      spec.azure ??= {};
      spec.tls ??= { mode: 0 };
      spec.ad ??= {};
      spec.mysql ??= {};
      break;
    }
    case 'token': {
      spec.join_method ??= 'token';
      break;
    }
    case 'lock': {
      const target = spec.target;
      if (typeof target !== 'object' || target === null || Object.keys(target).length === 0)
        throw TeleportError.badParameter('at least one target field must be set');
      spec.created_at ??= now;
      spec.created_by ??= actor;
      break;
    }
    case 'app_server':
    case 'db_server':
    case 'node':
    case 'proxy':
    case 'cert_authority':
    case 'cluster_auth_preference':
    case 'kube_cluster':
      break;
  }
  const order = SPEC_ORDER[kind];
  if (order) spec = orderKeys(spec, order);
  const { kind: _k, sub_kind: _s, version, metadata: _m, spec: _sp, ...rest } = raw;
  return orderKeys(
    { kind, sub_kind: subKind, version, metadata, spec, ...rest, ...extra },
    TOP_ORDER,
  ) as Resource;
}
