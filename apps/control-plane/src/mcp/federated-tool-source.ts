// The gateway's seam for DYNAMIC tools (federation, DESIGN §3.2): tools that exist per request —
// those of the MCP servers behind the caller's proxy_mcp / mcp_db leases — named
// `<lease-name>__<tool>`. The catalogue's static tools need no source; the gateway asks this one
// when listing and for names with the federated separator, then runs the same pipeline steps
// (policy with `federation.call` and context.tool = `upstreamTool`, operations row, redaction,
// size caps, metrics).
import type { Tool } from '@modelcontextprotocol/server';
import type { RoleResolver } from '@tmcp/policy';
import type { ToolActor, ToolContext, ToolResult } from './tool-definition.js';

export const FEDERATED_TOOL_SOURCE = Symbol('tmcp:federated-tool-source');

/** One federated tool, resolved for one call. */
export interface FederatedTool {
  /** The gateway name, `<lease-name>__<tool>`. */
  readonly name: string;
  /** The upstream name (what the role's federated tool patterns match). */
  readonly upstreamTool: string;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult<unknown>>;
}

export interface FederatedToolSource {
  /**
   * The wire definitions of the federated tools `actor` may call (federation.call allowed, tool
   * patterns allow the upstream name, lease visible to the actor). Unreachable servers are left out.
   */
  list(actor: ToolActor, roles: RoleResolver, signal?: AbortSignal): Promise<Tool[]>;
  /** The tool behind `name` if its lease is active and visible to `actor`; policy is not checked. */
  resolve(actor: ToolActor, roles: RoleResolver, name: string): Promise<FederatedTool | undefined>;
}
