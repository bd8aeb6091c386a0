// `--expires` accepts an ISO 8601 time (`2026-01-31T00:00:00Z`) or a duration from now
// (`90d`, `12h`, `1h30m`, `2w`).
import { AppError } from '@tmcp/errors';

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION = /^(?:\d+[smhdw])+$/;
const ISO_DATE =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export function parseExpiry(value: string, now: Date): Date {
  const text = value.trim();
  if (DURATION.test(text)) {
    let ms = 0;
    for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw])/g)) {
      ms += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
    }
    if (ms <= 0) throw AppError.badParameter('--expires', 'must be a duration greater than zero');
    return new Date(now.getTime() + ms);
  }
  if (ISO_DATE.test(text)) {
    const at = new Date(text);
    if (!Number.isNaN(at.getTime())) {
      if (at.getTime() <= now.getTime()) {
        throw AppError.badParameter('--expires', `${text} is in the past`);
      }
      return at;
    }
  }
  throw AppError.badParameter(
    '--expires',
    `"${text}" is neither an ISO 8601 time (2026-01-31T00:00:00Z) nor a duration (90d, 12h, 1h30m, 2w)`,
  );
}
