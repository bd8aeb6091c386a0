// How federated tools are named on the gateway (DESIGN §3.2): `<lease-name>__<tool>`, where the
// lease name is `l` + the first 8 hex digits of the lease id (stable for the lease's life, short,
// and never mistaken for a static tool). The whole name must satisfy MCP's tool-name rule
// `^[a-zA-Z0-9_-]{1,64}$`; upstream tools whose names would break it are not offered.
import { FEDERATED_TOOL_SEPARATOR } from '@tmcp/policy';

const MCP_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const LEASE_NAME = /^l[0-9a-f]{8}$/;

/** `l` + the first 8 hex digits of the lease id (dashes ignored). */
export function leaseToolPrefix(leaseId: string): string {
  return `l${leaseId.replaceAll('-', '').slice(0, 8).toLowerCase()}`;
}

/** The gateway name of an upstream tool; undefined when it would not be a valid MCP tool name. */
export function federatedToolName(leaseId: string, upstreamTool: string): string | undefined {
  const name = `${leaseToolPrefix(leaseId)}${FEDERATED_TOOL_SEPARATOR}${upstreamTool}`;
  return upstreamTool !== '' && MCP_TOOL_NAME.test(name) ? name : undefined;
}

export interface FederatedToolRef {
  readonly leaseName: string;
  readonly upstreamTool: string;
}

/** Splits at the first `__`; undefined for anything that is not a federated tool name. */
export function parseFederatedToolName(name: string): FederatedToolRef | undefined {
  if (!MCP_TOOL_NAME.test(name)) return undefined;
  const at = name.indexOf(FEDERATED_TOOL_SEPARATOR);
  if (at < 0) return undefined;
  const leaseName = name.slice(0, at);
  const upstreamTool = name.slice(at + FEDERATED_TOOL_SEPARATOR.length);
  if (!LEASE_NAME.test(leaseName) || upstreamTool === '') return undefined;
  return { leaseName, upstreamTool };
}
