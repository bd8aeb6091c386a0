// Where a PostgreSQL URL points, for messages: `host:port/db`, never the user or password.
import { AppError } from '@tmcp/errors';
import { connectionFailureReason } from '../common/connection-failure-reason.js';

export function describePostgresTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || (parsed.searchParams.get('host') ?? 'localhost');
    const port = parsed.port || '5432';
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default)';
    return `${host}:${port}/${database}`;
  } catch {
    return '(unparsable database.url)';
  }
}

/** The one error for "the database is not there": `cannot connect to PostgreSQL at h:p/db: …`. */
export function postgresUnreachable(url: string, cause: unknown): AppError {
  const secrets = passwordsOf(url);
  return new AppError(
    'unreachable',
    `cannot connect to PostgreSQL at ${describePostgresTarget(url)}: ${connectionFailureReason(cause, secrets)}`,
    { cause },
  );
}

function passwordsOf(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [parsed.password, decodeURIComponent(parsed.password)];
  } catch {
    return [];
  }
}
