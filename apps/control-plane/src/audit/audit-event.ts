// The shapes audit events take inside tmcp: normalized for storage, and summarized for callers
// (MCP tools, the admin CLI). A summary never carries the raw event blob.

/** An event as it is stored in `teleport_events` (the row minus id and ingested_at). */
export interface NormalizedAuditEvent {
  uid: string;
  /** Event type, e.g. `user.login`. */
  event: string;
  /** Event code, e.g. `T1000W`; null when the sender omitted it. */
  code: string | null;
  time: Date;
  user: string | null;
  success: boolean | null;
  /** Teleport's `cluster_name`. */
  cluster: string | null;
  /** The event as received, with secrets masked. */
  raw: Record<string, unknown>;
}

/** A compact view of one stored event: what a person scanning the audit log needs to see. */
export interface AuditEventSummary {
  uid: string;
  /** RFC 3339 (UTC, milliseconds). */
  time: string;
  event: string;
  code: string | null;
  user: string | null;
  success: boolean | null;
  /** Client address (`addr.remote`) when the event has one. */
  remote?: string;
  /** What the event is about: a resource, app, database, node or request name/id. */
  resource?: string;
  /** The failure message of a failed event, shortened. */
  error?: string;
}

/** A time window, both ends inclusive, as RFC 3339 strings. */
export interface AuditWindow {
  from: string;
  to: string;
}
