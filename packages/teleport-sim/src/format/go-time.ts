// Go's time and duration formats as Teleport prints them.

/** RFC3339Nano in UTC with trailing zeros of the fraction trimmed (`2025-05-23T11:11:11.111Z`). */
export function rfc3339Nano(date: Date): string {
  return date
    .toISOString()
    .replace(/\.?0+Z$/, 'Z')
    .replace(/\.Z$/, 'Z');
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Go's `time.Duration.String()` for whole seconds: `30h0m0s`, `1h0m0s`, `5m0s`, `0s`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let seconds = Math.round(Math.abs(ms) / 1000);
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};

/** Go's `time.ParseDuration` (`8h`, `1h30m`, `90s`); undefined when malformed. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(re)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
    consumed += match[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Go's RFC822 in UTC: `02 Jan 25 10:00 UTC`. */
export function rfc822(date: Date): string {
  return `${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()] ?? ''} ${pad(date.getUTCFullYear() % 100)} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

/** `2006-01-02 15:04:05` in UTC (the simulator's local zone is UTC). */
export function dateTime(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/** `2006-01-02 15:04:05 -0700 MST` as `tsh status` prints "Valid until". */
export function dateTimeZone(date: Date): string {
  return `${dateTime(date)} +0000 UTC`;
}
