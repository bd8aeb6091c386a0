// The request metadata of the admin API besides the bearer token: why a change is made and the
// change ticket. gRPC text metadata must be printable ASCII, so the values travel
// percent-encoded (encodeURIComponent); the server decodes them.
import * as grpc from '@grpc/grpc-js';

export const AUTHORIZATION_KEY = 'authorization';
export const REASON_KEY = 'x-tmcp-reason';
export const TICKET_KEY = 'x-tmcp-ticket';

export interface AdminCallAudit {
  /** Why the caller makes this change (required for mutating calls by the policy). */
  reason?: string | undefined;
  /** The change ticket, when a role requires one. */
  ticket?: string | undefined;
}

/** Metadata carrying the API key and the reason/ticket, percent-encoded. */
export function adminCallMetadata(
  token: string | undefined,
  audit: AdminCallAudit = {},
): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token !== undefined && token !== '') metadata.set(AUTHORIZATION_KEY, `Bearer ${token}`);
  if (audit.reason !== undefined && audit.reason !== '') {
    metadata.set(REASON_KEY, encodeURIComponent(audit.reason));
  }
  if (audit.ticket !== undefined && audit.ticket !== '') {
    metadata.set(TICKET_KEY, encodeURIComponent(audit.ticket));
  }
  return metadata;
}
