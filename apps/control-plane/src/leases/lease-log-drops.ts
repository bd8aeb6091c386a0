// Lines an agent dropped (its log buffer was full while the control plane was unreachable) are
// stored as one `system` line in lease_logs where the gap is, so every reader of the log sees
// them: get_proxy_logs as a line, TailLeaseLogs as the `dropped` count of the batch after it.
import type { LeaseLogLine } from './lease.repository.js';

const NOTICE = /^(\d+) line\(s\) dropped by the agent\b/;

/** The text of the `system` line standing for `count` dropped lines. */
export function droppedLinesNotice(count: number): string {
  return `${count} line(s) dropped by the agent (its log buffer was full while the control plane was unreachable)`;
}

/** How many dropped lines `line` stands for (0 for a line of the process). */
export function droppedCountOf(line: LeaseLogLine): number {
  if (line.stream !== 'system') return 0;
  const match = NOTICE.exec(line.line);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

/**
 * Splits stored lines at the drop notices: each part carries the lines dropped just before it
 * and the process's lines after them (a notice at the end makes a part without lines).
 */
export function splitAtDrops(
  lines: readonly LeaseLogLine[],
): { dropped: number; lines: LeaseLogLine[] }[] {
  const parts: { dropped: number; lines: LeaseLogLine[] }[] = [];
  let current: { dropped: number; lines: LeaseLogLine[] } | undefined;
  for (const line of lines) {
    const dropped = droppedCountOf(line);
    if (dropped > 0) {
      current = { dropped, lines: [] };
      parts.push(current);
      continue;
    }
    if (current === undefined) {
      current = { dropped: 0, lines: [] };
      parts.push(current);
    }
    current.lines.push(line);
  }
  return parts;
}
