// Leases' wire enums and their names everywhere else: the domain, the database, the CLI and the
// agent all use the snake_case names of DESIGN §3.5. One table per enum, both directions.
import { LeaseStatus } from './gen/tmcp/admin/v1/admin_pb.js';
import { LeaseKind } from './gen/tmcp/agent/v1/agent_pb.js';

export const LEASE_KIND_BY_NAME = {
  proxy_ssh: LeaseKind.PROXY_SSH,
  proxy_db: LeaseKind.PROXY_DB,
  proxy_app: LeaseKind.PROXY_APP,
  proxy_kube: LeaseKind.PROXY_KUBE,
  proxy_mcp: LeaseKind.PROXY_MCP,
  mcp_db: LeaseKind.MCP_DB,
  vnet: LeaseKind.VNET,
} as const satisfies Record<string, LeaseKind>;
export type LeaseKindName = keyof typeof LEASE_KIND_BY_NAME;

export const LEASE_STATUS_BY_NAME = {
  pending: LeaseStatus.PENDING,
  starting: LeaseStatus.STARTING,
  active: LeaseStatus.ACTIVE,
  stopping: LeaseStatus.STOPPING,
  stopped: LeaseStatus.STOPPED,
  expired: LeaseStatus.EXPIRED,
  failed: LeaseStatus.FAILED,
} as const satisfies Record<string, LeaseStatus>;
export type LeaseStatusName = keyof typeof LEASE_STATUS_BY_NAME;

/** The name of a wire kind; undefined for UNSPECIFIED and values this build does not know. */
export function leaseKindName(kind: LeaseKind): LeaseKindName | undefined {
  return nameOf(LEASE_KIND_BY_NAME, kind);
}

/** The name of a wire status; undefined for UNSPECIFIED and values this build does not know. */
export function leaseStatusName(status: LeaseStatus): LeaseStatusName | undefined {
  return nameOf(LEASE_STATUS_BY_NAME, status);
}

function nameOf<N extends string, V>(table: Readonly<Record<N, V>>, value: V): N | undefined {
  return (Object.keys(table) as N[]).find((name) => table[name] === value);
}
