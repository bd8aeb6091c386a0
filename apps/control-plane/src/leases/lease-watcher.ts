// A live view of leases for the admin WatchLeases stream: first the matching leases (snapshot),
// then every change as CREATED / UPDATED. Changes arrive from LeaseEvents (Redis pub/sub, any
// replica); a slow poll of the leases that may have changed covers missed messages and changes
// nobody announced. What was already sent is remembered per lease, so repeats are dropped.
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { LeaseEvents } from './lease-events.js';
import { LeaseRepository, type LeaseRecord } from './lease.repository.js';
import { scopedFilter, type LeaseCaller } from './lease.service.js';

export interface LeaseWatchFilter {
  /** Only live leases in the snapshot; changes that end a lease are still sent. */
  readonly activeOnly: boolean;
  readonly actor?: string | undefined;
  readonly agentId?: string | undefined;
}

export type LeaseChangeType = 'created' | 'updated';

export type LeaseWatchEvent =
  | { readonly type: 'snapshot' | LeaseChangeType; readonly lease: LeaseRecord; readonly at: Date }
  | { readonly type: 'snapshot_end'; readonly at: Date };

export interface LeaseWatchOptions {
  /** How often to look for changes nobody announced. */
  readonly pollMs?: number;
}

/** How many leases the snapshot sends at most (newest first). */
export const WATCH_SNAPSHOT_LIMIT = 1_000;
const DEFAULT_POLL_MS = 2_000;
/** The poll's look-back (database clock): comfortably longer than the poll interval. */
const POLL_WINDOW_SECONDS = 15;

@Injectable()
export class LeaseWatcher {
  constructor(
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEvents,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Streams the events until `signal` aborts, then ends normally. */
  async *watch(
    caller: LeaseCaller,
    filter: LeaseWatchFilter,
    signal: AbortSignal,
    options: LeaseWatchOptions = {},
  ): AsyncGenerator<LeaseWatchEvent> {
    const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    const scope = scopedFilter(caller, {
      ...(filter.actor === undefined ? {} : { actor: filter.actor }),
      ...(filter.agentId === undefined ? {} : { agentId: filter.agentId }),
    });
    const wakeup = new Wakeup(signal);
    const dirty = new Set<string>();
    // Listen before reading, so no change falls between the snapshot and the first event.
    const stopListening = await this.events.onAnyChange((leaseId) => {
      dirty.add(leaseId);
      wakeup.poke();
    });
    try {
      if (scope === undefined) {
        // An `own` caller asking for another actor's leases: there is nothing to show.
        yield { type: 'snapshot_end', at: this.clock.now() };
        await wakeup.wait(Infinity);
        return;
      }
      const known = new Map<string, string>();
      // What may change soon is remembered as it is now, sent or not, so only changes count.
      for (const lease of await this.leases.touchedWithin(POLL_WINDOW_SECONDS, scope)) {
        known.set(lease.leaseId, fingerprintOf(lease));
      }
      const snapshot = await this.leases.page({
        activeOnly: filter.activeOnly,
        ...scope,
        limit: WATCH_SNAPSHOT_LIMIT,
      });
      for (const lease of snapshot.reverse()) {
        known.set(lease.leaseId, fingerprintOf(lease));
        yield { type: 'snapshot', lease, at: this.clock.now() };
      }
      yield { type: 'snapshot_end', at: this.clock.now() };

      let nextPoll = Date.now() + pollMs;
      while (!signal.aborted) {
        const woke = await wakeup.wait(Math.max(0, nextPoll - Date.now()));
        if (woke === 'aborted') return;
        let rows: LeaseRecord[];
        if (woke === 'timeout') {
          dirty.clear();
          rows = await this.leases.touchedWithin(POLL_WINDOW_SECONDS, scope);
          nextPoll = Date.now() + pollMs;
        } else {
          const ids = [...dirty];
          dirty.clear();
          rows = (await this.leases.getMany(ids)).filter((lease) => matches(lease, scope));
        }
        for (const change of changesOf(known, rows)) {
          if (signal.aborted) return;
          yield { ...change, at: this.clock.now() };
        }
      }
    } finally {
      stopListening();
      wakeup.dispose();
    }
  }
}

/** What a watcher compares: the fields a change of state, deadline or process touches. */
export function fingerprintOf(lease: LeaseRecord): string {
  return JSON.stringify([
    lease.status,
    lease.generation,
    lease.expiresAt.getTime(),
    lease.pid,
    lease.listenAddr,
    lease.agentId,
    lease.exitCode,
    lease.error,
  ]);
}

/** The rows that differ from what `known` remembers (which is updated): new ones are created. */
export function changesOf(
  known: Map<string, string>,
  rows: readonly LeaseRecord[],
): { type: LeaseChangeType; lease: LeaseRecord }[] {
  const changes: { type: LeaseChangeType; lease: LeaseRecord }[] = [];
  for (const lease of rows) {
    const fingerprint = fingerprintOf(lease);
    const previous = known.get(lease.leaseId);
    if (previous === fingerprint) continue;
    known.set(lease.leaseId, fingerprint);
    changes.push({ type: previous === undefined ? 'created' : 'updated', lease });
  }
  return changes;
}

function matches(lease: LeaseRecord, scope: { actor?: string; agentId?: string }): boolean {
  return (
    (scope.actor === undefined || lease.actor === scope.actor) &&
    (scope.agentId === undefined || lease.agentId === scope.agentId)
  );
}

/** Sleeps until poked, a timeout, or the abort; a poke while awake is kept for the next wait. */
class Wakeup {
  private poked = false;
  private wake: ((why: 'poked' | 'timeout' | 'aborted') => void) | undefined;
  private readonly onAbort = (): void => this.wake?.('aborted');

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  poke(): void {
    this.poked = true;
    this.wake?.('poked');
  }

  wait(ms: number): Promise<'poked' | 'timeout' | 'aborted'> {
    if (this.signal.aborted) return Promise.resolve('aborted');
    if (this.poked) {
      this.poked = false;
      return Promise.resolve('poked');
    }
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => finish('timeout'), ms) : undefined;
      const finish = (why: 'poked' | 'timeout' | 'aborted'): void => {
        clearTimeout(timer);
        this.wake = undefined;
        if (why === 'poked') this.poked = false;
        resolve(why);
      };
      this.wake = finish;
    });
  }

  dispose(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.wake = undefined;
  }
}
