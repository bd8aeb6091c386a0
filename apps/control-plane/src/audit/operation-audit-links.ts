// Which Teleport audit events an operation (one MCP tool call, DESIGN §4) causes, so that
// operations.teleport_audit_refs can name them. Teleport events carry no correlation id from
// tctl, so the link is deliberately narrow: an event type a tool's command emits, about the
// resource the call named (same `name` / request `id`), at a time inside the call's run. Events
// nothing here describes (logins, reads, what other Teleport users do) are never linked.

export interface OperationAuditLink {
  /** The tools whose commands emit this event. */
  readonly tools: readonly string[];
  /** The tool input naming the resource (operations.inputs key). */
  readonly inputKey: string;
  /** The event field naming the same resource. */
  readonly eventField: string;
}

export const OPERATION_AUDIT_LINKS: Readonly<Record<string, OperationAuditLink>> = {
  'app.create': { tools: ['register_mcp_server'], inputKey: 'name', eventField: 'name' },
  'app.update': { tools: ['update_mcp_server'], inputKey: 'name', eventField: 'name' },
  'app.delete': { tools: ['unregister_mcp_server'], inputKey: 'name', eventField: 'name' },
  'user.update': { tools: ['set_user_mcp_tools'], inputKey: 'user', eventField: 'name' },
  'access_request.review': { tools: ['review_access_request'], inputKey: 'id', eventField: 'id' },
  'access_request.update': { tools: ['review_access_request'], inputKey: 'id', eventField: 'id' },
  'access_request.delete': { tools: ['drop_access_request'], inputKey: 'id', eventField: 'id' },
};

/** Clock difference tolerated between Teleport's event time and our operation timestamps. */
export const LINK_CLOCK_SKEW_MS = 5_000;

/** The link an event can make, with the resource it names; undefined when it links to nothing. */
export function operationLinkOf(
  event: string,
  raw: Record<string, unknown>,
): (OperationAuditLink & { resource: string }) | undefined {
  const link = OPERATION_AUDIT_LINKS[event];
  if (link === undefined) return undefined;
  const resource = raw[link.eventField];
  if (typeof resource !== 'string' || resource === '') return undefined;
  return { ...link, resource };
}
