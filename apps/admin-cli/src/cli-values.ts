// Parsers of flag values. They throw commander's InvalidArgumentError, so a bad value is a
// usage error (exit 2) with the flag named.
import { InvalidArgumentError } from 'commander';

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `90s`, `15m`, `1h30m`, `7d` → seconds. */
export function parseDurationSeconds(value: string): number {
  const match = DURATION.exec(value.trim());
  if (match === null || value.trim() === '') {
    throw new InvalidArgumentError('expected a duration such as 90s, 15m, 1h30m or 7d');
  }
  const [, d, h, m, s] = match;
  const seconds =
    Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
  if (seconds <= 0) throw new InvalidArgumentError('the duration must be longer than 0s');
  return seconds;
}

/** A duration back from now, or an ISO 8601 time. */
export function parseSince(value: string, now: Date): Date {
  if (DURATION.test(value.trim()) && value.trim() !== '') {
    return new Date(now.getTime() - parseDurationSeconds(value) * 1000);
  }
  return parseIsoTime(value);
}

/** A duration from now, or an ISO 8601 time; in seconds from now. */
export function parseExpiresSeconds(value: string, now: Date): number {
  if (DURATION.test(value.trim()) && value.trim() !== '') return parseDurationSeconds(value);
  const seconds = Math.floor((parseIsoTime(value).getTime() - now.getTime()) / 1000);
  if (seconds <= 0) throw new InvalidArgumentError('the time must be in the future');
  return seconds;
}

function parseIsoTime(value: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)
    ? new Date(value)
    : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(
      'expected a duration (15m, 2h, 7d) or an ISO 8601 time (2026-11-21T19:40:00Z)',
    );
  }
  return date;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a whole number of at least 1');
  }
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('expected a whole number (0 or more)');
  }
  return n;
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;

/** `env=prod,team=db` → { env: 'prod', team: 'db' }. */
export function parseLabels(value: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const term of value.split(',')) {
    const eq = term.indexOf('=');
    const key = term.slice(0, Math.max(eq, 0)).trim();
    const val = term.slice(eq + 1).trim();
    if (eq < 1 || !LABEL.test(key) || !/^[A-Za-z0-9._/:@-]{0,128}$/.test(val)) {
      throw new InvalidArgumentError(
        `"${term}" is not key=value (letters, digits, ".", "_", "-", "/")`,
      );
    }
    labels[key] = val;
  }
  return labels;
}
