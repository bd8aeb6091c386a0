// Masks secrets in an audit event before it is stored. Teleport events can carry join tokens
// (`join_token.create` names the token itself), bot join token names, MCP tool arguments with
// passwords, and error strings quoting credentials; none of it may reach the database.
import { REDACTED, redactValue } from '@tmcp/teleport';

/** Any key that mentions a token holds one (`token`, `token_name`, `join_token`, `tokens` …). */
const TOKEN_KEY = /token/i;
/** Events whose resource `name` is the secret token itself (token join method). */
const TOKEN_NAMED_EVENTS = /^(?:join_token\.|trusted_cluster_token\.|provision_token\.)/;
const MAX_DEPTH = 64;

/** A copy of the event with token-like fields replaced by `***` and secret-looking text redacted. */
export function redactAuditEvent(event: Record<string, unknown>): Record<string, unknown> {
  const eventType = typeof event.event === 'string' ? event.event : '';
  const masked = maskTokens(event, 0) as Record<string, unknown>;
  if (TOKEN_NAMED_EVENTS.test(eventType) && isPresent(masked.name)) masked.name = REDACTED;
  // The project's one redaction function: secret-named keys, PEM blocks, JWTs, bearer tokens …
  return redactValue(masked) as Record<string, unknown>;
}

function maskTokens(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => maskTokens(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = TOKEN_KEY.test(key) && isPresent(item) ? REDACTED : maskTokens(item, depth + 1);
  }
  return out;
}

function isPresent(value: unknown): boolean {
  return value !== null && value !== undefined && value !== '';
}
