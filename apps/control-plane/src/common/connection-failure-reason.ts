// Turns a socket or driver error into the short reason shown after "cannot connect to …: ".
// Operators read it on one line, so it names the cause (refused, unknown host, timeout) rather
// than repeating Node's "connect ECONNREFUSED 127.0.0.1:5432".

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is it running and listening on that port?)',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary DNS failure)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
};

export function connectionFailureReason(error: unknown, secrets: readonly string[] = []): string {
  const reason = rawReason(error);
  // Drivers sometimes echo what they were given; never let a password through.
  return secrets
    .filter((secret) => secret.length > 0)
    .reduce((text, secret) => text.split(secret).join('***'), reason);
}

function rawReason(error: unknown): string {
  const code = errorCode(error);
  if (code !== undefined) {
    const known = REASONS[code];
    if (known !== undefined) return known;
  }
  if (error instanceof AggregateError && error.errors.length > 0) {
    return rawReason(error.errors[0]);
  }
  if (error instanceof Error && error.message !== '') {
    if (/timeout/i.test(error.message)) return 'connection timed out';
    return firstLine(error.message);
  }
  return 'unknown error';
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? text;
  return line.trim();
}
