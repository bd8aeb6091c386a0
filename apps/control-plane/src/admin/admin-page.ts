// Paging of the admin List calls (AIP-158): page_size 0 means the default, larger values are
// capped; page tokens are opaque base64url keyset cursors bound to the call and its filters,
// so a token reused with other filters is refused instead of silently skipping rows.
import { createHash } from 'node:crypto';
import { AppError } from '@tmcp/errors';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export function pageSizeOf(requested: number): number {
  if (!Number.isInteger(requested) || requested < 0) {
    throw AppError.badParameter(
      'page_size',
      `must be 0 (default ${DEFAULT_PAGE_SIZE}) or a positive number`,
    );
  }
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}

/** Cursor values: strings only, so a token round-trips exactly. */
export type Keyset = readonly string[];

export function encodePageToken(scope: PageScope, keyset: Keyset): string {
  return Buffer.from(JSON.stringify({ s: scope.fingerprint, k: keyset }), 'utf8').toString(
    'base64url',
  );
}

/** The keyset of a token, or undefined for the first page (empty token). */
export function decodePageToken(
  scope: PageScope,
  token: string,
  arity: number,
): Keyset | undefined {
  if (token === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const valid =
    typeof raw === 'object' &&
    raw !== null &&
    (raw as { s?: unknown }).s === scope.fingerprint &&
    Array.isArray((raw as { k?: unknown }).k) &&
    (raw as { k: unknown[] }).k.length === arity &&
    (raw as { k: unknown[] }).k.every((v) => typeof v === 'string');
  if (!valid) {
    throw AppError.badParameter(
      'page_token',
      'is not a token from a previous page of this listing with these filters; start over without it',
    );
  }
  return (raw as { k: string[] }).k;
}

/** What a token is valid for: the call and its filter values. */
export interface PageScope {
  readonly fingerprint: string;
}

export function pageScope(call: string, filters: Record<string, unknown>): PageScope {
  const canonical = JSON.stringify([
    call,
    Object.entries(filters).sort(([a], [b]) => a.localeCompare(b)),
  ]);
  return { fingerprint: createHash('sha256').update(canonical).digest('base64url').slice(0, 16) };
}
