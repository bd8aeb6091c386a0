// Reads `Authorization: Bearer <token>` (RFC 6750 §2.1). Pure, so the edge cases are tested.

export type AuthorizationHeader =
  { kind: 'none' } | { kind: 'malformed'; problem: string } | { kind: 'bearer'; token: string };

/** RFC 6750 b64token characters. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 16 * 1024;

export function parseAuthorizationHeader(
  value: string | string[] | undefined | null,
): AuthorizationHeader {
  if (value === undefined || value === null || value === '') return { kind: 'none' };
  if (Array.isArray(value)) {
    return value.length === 1
      ? parseAuthorizationHeader(value[0])
      : { kind: 'malformed', problem: 'more than one Authorization header' };
  }
  const match = /^([A-Za-z]+) +(\S+)$/.exec(value.trim());
  if (match === null)
    return { kind: 'malformed', problem: 'expected "Authorization: Bearer <token>"' };
  const [, scheme, token] = match as unknown as [string, string, string];
  if (scheme.toLowerCase() !== 'bearer') {
    return { kind: 'malformed', problem: `unsupported scheme "${scheme}": use Bearer` };
  }
  if (token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) {
    return { kind: 'malformed', problem: 'the bearer token has invalid characters or is too long' };
  }
  return { kind: 'bearer', token };
}
