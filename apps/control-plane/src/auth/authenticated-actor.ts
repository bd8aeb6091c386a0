import type { ToolActor } from '../mcp/tool-definition.js';

/** Who a bearer token belongs to. */
export interface AuthenticatedActor extends ToolActor {
  /** The principal row for API keys; undefined for OIDC. */
  readonly principalId: string | undefined;
}
