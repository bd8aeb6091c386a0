// The capability catalogue: one capability per MCP tool (DESIGN §3.2) plus one per AdminService
// area. Capability names and tool names are part of the public interface: roles stored in
// Postgres refer to them, so renaming one is a breaking change.

export interface CapabilitySpec {
  readonly name: string;
  /** MCP tool that needs this capability; undefined for AdminService-only capabilities. */
  readonly tool?: string;
  /** Changes state in Teleport or tmcp: the call must carry a reason. */
  readonly mutating: boolean;
  readonly description: string;
}

/** Federated tools are named `<lease-name>__<tool>`; every one of them needs `federation.call`. */
export const FEDERATED_TOOL_SEPARATOR = '__';

export const CAPABILITY_SPECS = [
  // inventory (tctl, read-only)
  cap('inventory.nodes', 'list_nodes', false, 'List SSH nodes'),
  cap('inventory.proxies', 'list_proxies', false, 'List Teleport proxy servers'),
  cap('inventory.roles', 'list_roles', false, 'List Teleport roles'),
  cap('inventory.users', 'list_users', false, 'List Teleport users'),
  cap('inventory.tokens', 'list_tokens', false, 'List Teleport join tokens (values redacted)'),
  cap('inventory.cas', 'list_cas', false, 'List certificate authorities with rotation warnings'),
  cap(
    'inventory.auth_preference',
    'get_auth_preference',
    false,
    'Show the cluster authentication preference',
  ),
  cap('inventory.apps', 'list_apps', false, 'List applications'),
  cap('inventory.databases', 'list_databases', false, 'List databases'),
  cap('inventory.mcp_servers', 'list_mcp_servers', false, 'List MCP servers (MCP apps)'),
  // health & security
  cap('health.check', 'run_health_check', false, 'Run the cluster health check'),
  cap(
    'health.scan_rbac',
    'scan_rbac',
    false,
    'Scan roles for wildcards, privileged roles, MFA gaps',
  ),
  cap(
    'health.diagnose_mcp',
    'diagnose_mcp_access',
    false,
    "Explain a user's access to an MCP server",
  ),
  // audit
  cap('audit.search', 'search_audit', false, 'Search and aggregate ingested audit events'),
  cap('audit.anomalies', 'detect_audit_anomalies', false, 'Detect anomalies in audit events'),
  // access requests (tsh)
  cap('access_request.list', 'list_access_requests', false, 'List access requests'),
  cap('access_request.show', 'show_access_request', false, 'Show one access request'),
  cap('access_request.create', 'create_access_request', true, 'Create an access request'),
  cap('access_request.review', 'review_access_request', true, 'Approve or deny an access request'),
  cap(
    'access_request.drop',
    'drop_access_request',
    true,
    "Drop an access request from the identity's active requests",
  ),
  // leases
  cap('proxy.start', 'start_proxy', true, 'Start a lease (tsh proxy / tsh mcp / vnet)'),
  cap('proxy.status', 'get_proxy_status', false, 'Show the status of a lease'),
  cap('proxy.logs', 'get_proxy_logs', false, 'Read the output of a lease'),
  cap('proxy.stop', 'stop_proxy', true, 'Stop a lease'),
  cap('proxy.extend', 'extend_proxy', true, 'Extend the TTL of a lease'),
  cap('proxy.list', 'list_proxies_leases', false, 'List leases'),
  // MCP access admin
  cap('mcp.register', 'register_mcp_server', true, 'Register an MCP server (Teleport app)'),
  cap('mcp.update', 'update_mcp_server', true, 'Update an MCP server'),
  cap('mcp.unregister', 'unregister_mcp_server', true, 'Unregister an MCP server'),
  cap('mcp.set_user_tools', 'set_user_mcp_tools', true, "Set a Teleport user's mcp_tools trait"),
  cap('mcp.client_config', 'get_mcp_client_config', false, 'Render an MCP client configuration'),
  cap('mcp.db_config', 'get_mcp_db_config', false, 'Render a database MCP configuration'),
  // federation: not mutating by itself; which upstream tools may run is decided by the
  // federatedTools constraint, and the lease that opened the server carried a reason.
  cap('federation.call', undefined, false, 'Call a tool of a federated MCP server'),
  // passthrough (off by default in the server configuration)
  cap('passthrough.tsh', 'run_tsh_command', true, 'Run an allowlisted tsh command'),
  cap('passthrough.tctl', 'run_tctl_command', true, 'Run an allowlisted tctl command'),
  // gRPC AdminService (tmcpctl)
  cap('admin.agents.read', undefined, false, 'List and show edge agents'),
  cap('admin.agents.write', undefined, true, 'Drain and revoke edge agents'),
  cap('admin.leases.read', undefined, false, 'List, show, watch leases and tail their logs'),
  cap('admin.leases.write', undefined, true, 'Stop and extend any lease'),
  cap('admin.operations.read', undefined, false, 'List and show recorded operations'),
  cap('admin.roles.read', undefined, false, 'List and show roles'),
  cap('admin.roles.write', undefined, true, 'Create, update and delete custom roles'),
  cap('admin.principals.read', undefined, false, 'List principals (API keys are never shown)'),
  cap('admin.principals.write', undefined, true, 'Create principals and revoke their API keys'),
  cap('admin.tokens.read', undefined, false, 'List agent join tokens'),
  cap('admin.tokens.write', undefined, true, 'Create and revoke agent join tokens'),
  cap('admin.policy.check', undefined, false, 'Dry-run a policy decision'),
  cap('admin.status.read', undefined, false, 'Show control-plane status'),
  cap('admin.audit.read', undefined, false, 'Read ingested Teleport audit events'),
] as const satisfies readonly CapabilitySpec[];

export type Capability = (typeof CAPABILITY_SPECS)[number]['name'];
export type ToolName = Extract<(typeof CAPABILITY_SPECS)[number], { tool: string }>['tool'];

export const CAPABILITIES: readonly Capability[] = CAPABILITY_SPECS.map((c) => c.name);

const SPEC_BY_NAME: ReadonlyMap<string, CapabilitySpec> = new Map(
  CAPABILITY_SPECS.map((c) => [c.name, c]),
);

/** Static MCP tool name → capability. Federated tools are resolved by `capabilityOfTool`. */
export const TOOL_CAPABILITIES: Readonly<Record<ToolName, Capability>> = Object.fromEntries(
  CAPABILITY_SPECS.flatMap((c) => (c.tool === undefined ? [] : [[c.tool, c.name]])),
) as Record<ToolName, Capability>;

export const TOOL_NAMES: readonly ToolName[] = Object.keys(TOOL_CAPABILITIES) as ToolName[];

export function isCapability(value: string): value is Capability {
  return SPEC_BY_NAME.has(value);
}

export function capabilitySpec(capability: Capability): CapabilitySpec {
  const spec = SPEC_BY_NAME.get(capability);
  if (spec === undefined) throw new Error(`capability ${capability} missing from the catalogue`);
  return spec;
}

export function isMutating(capability: Capability): boolean {
  return capabilitySpec(capability).mutating;
}

/**
 * The capability an MCP tool call needs: the static mapping, or `federation.call` for a
 * namespaced `<lease-name>__<tool>` federated tool. Undefined for an unknown tool.
 */
export function capabilityOfTool(toolName: string): Capability | undefined {
  if (Object.hasOwn(TOOL_CAPABILITIES, toolName)) {
    return TOOL_CAPABILITIES[toolName as ToolName];
  }
  const sep = toolName.indexOf(FEDERATED_TOOL_SEPARATOR);
  if (sep > 0 && sep + FEDERATED_TOOL_SEPARATOR.length < toolName.length) return 'federation.call';
  return undefined;
}

function cap<N extends string, T extends string | undefined>(
  name: N,
  tool: T,
  mutating: boolean,
  description: string,
): { name: N; tool: T; mutating: boolean; description: string } {
  return { name, tool, mutating, description };
}
