// Times as an admin reads them in a table: relative first, then the absolute UTC minute.
// `3m ago (2026-11-21 19:40Z)`, `in 58m (2026-11-21 20:41Z)`, `-` for no time.

export function formatWhen(date: Date | undefined, now: Date): string {
  if (date === undefined) return '-';
  return `${formatRelative(date, now)} (${formatAbsolute(date)})`;
}

export function formatRelative(date: Date | undefined, now: Date): string {
  if (date === undefined) return '-';
  const deltaMs = date.getTime() - now.getTime();
  const span = formatSpan(Math.abs(deltaMs));
  if (span === 'now') return 'now';
  return deltaMs < 0 ? `${span} ago` : `in ${span}`;
}

/** `2026-11-21 19:40Z` (UTC, to the minute). */
export function formatAbsolute(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** The largest unit (rounded), or two for a few hours: 45s, 3m, 1h20m, 5h, 3d. */
export function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'now';
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 10 && m % 60 !== 0) return `${h}h${m % 60}m`;
  if (h < 48) return `${Math.round(m / 60)}h`;
  return `${Math.round(m / 1440)}d`;
}
