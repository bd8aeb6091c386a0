// What the agent can learn about and do to processes it did not spawn in this life (leftovers
// from before a restart): whether a pid is still the process it recorded — by the start time in
// /proc/<pid>/stat, so a recycled pid is never signalled — and whether its group is alive.
import { existsSync, readFileSync } from 'node:fs';
import { killGroup } from '@tmcp/teleport';
import type { LeftoverProbe } from './lease-decisions.js';

export interface ProcessInspector {
  /** The kernel's start time of `pid` (clock ticks since boot), undefined when it is gone or unknown. */
  startTime(pid: number): string | undefined;
  /** Whether any process of the group still exists. */
  groupAlive(pgid: number): boolean;
  /** Signals the group; false when it is gone. */
  signalGroup(pgid: number, signal: NodeJS.Signals): boolean;
  /** Whether start times can be read at all (Linux /proc). */
  readonly canVerify: boolean;
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may contain spaces and parentheses. */
export function parseProcStatStartTime(stat: string): string | undefined {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field 22 is rest[19].
  const value = rest[19];
  return value !== undefined && /^\d+$/.test(value) ? value : undefined;
}

export const procProcessInspector: ProcessInspector = {
  canVerify: existsSync('/proc/self/stat'),
  startTime(pid) {
    try {
      return parseProcStatStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return undefined;
    }
  },
  groupAlive(pgid) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch (err) {
      // EPERM: the group exists but is not ours to signal.
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  signalGroup: (pgid, signal) => killGroup(pgid, signal),
};

/** Probes a recorded process for decideLeftover. */
export function probeLeftover(
  inspector: ProcessInspector,
  recorded: { pid: number; pgid: number; startTime?: string | undefined },
): LeftoverProbe {
  const groupAlive = inspector.groupAlive(recorded.pgid);
  if (!inspector.canVerify || recorded.startTime === undefined) {
    return { leader: 'unverifiable', groupAlive };
  }
  const now = inspector.startTime(recorded.pid);
  if (now === undefined) return { leader: 'gone', groupAlive };
  return { leader: now === recorded.startTime ? 'same-process' : 'other-process', groupAlive };
}
