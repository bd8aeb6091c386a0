// PostgreSQL URLs as the earlier Python control plane wrote them (SQLAlchemy driver suffixes such
// as `postgresql+psycopg://`) are accepted and rewritten to the plain scheme `pg` understands.
import { AppError } from '@tmcp/errors';

const POSTGRES_SCHEME = /^(postgres|postgresql)(\+[a-z0-9_]+)?:\/\//i;

/** `postgresql+psycopg://u:p@h/db` → `postgresql://u:p@h/db`; throws bad_parameter for anything
 *  that is not a PostgreSQL URL. `postgres://` is kept as `postgresql://` too. */
export function normalizeDatabaseUrl(url: string): string {
  const match = POSTGRES_SCHEME.exec(url.trim());
  if (match === null) {
    throw AppError.badParameter(
      'database.url',
      `expected a postgresql:// URL (e.g. postgresql://user:password@host:5432/db), got scheme "${schemeOf(url)}"`,
    );
  }
  const normalized = `postgresql://${url.trim().slice(match[0].length)}`;
  let parsed: URL;
  try {
    parsed = new URL(normalized);
  } catch {
    throw AppError.badParameter(
      'database.url',
      'is not a valid URL (expected postgresql://user:password@host:5432/db)',
    );
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
    throw AppError.badParameter(
      'database.url',
      'has no host (expected postgresql://user:password@host:5432/db)',
    );
  }
  return normalized;
}

function schemeOf(url: string): string {
  const index = url.indexOf('://');
  // Never echo the whole value: it may hold a password.
  return index > 0 && index < 40 ? url.slice(0, index) : '(none)';
}
