// Collects the output lines of lease processes into LeaseLogBatch-shaped batches: per-lease
// sequence numbers, batches of at most `maxBytes`, and a bounded buffer that drops the oldest
// lines (counting them per lease and in total) when the control plane is away for long.
// Pure bookkeeping: the link decides when to take batches (every ~1 s, or when full).

export type LogStreamName = 'stdout' | 'stderr';

export interface LogBatchLimits {
  /** Bytes of line text per batch; also the "buffer is worth flushing now" threshold. */
  maxBytes: number;
  /** Lines kept while they cannot be sent; beyond it the oldest are dropped. */
  bufferLines: number;
}

export interface BatchedLine {
  seq: bigint;
  ts: Date;
  stream: LogStreamName;
  line: string;
}

export interface LogBatch {
  leaseId: string;
  generation: number;
  lines: BatchedLine[];
  /** Lines of this lease dropped before these ones. */
  dropped: number;
}

interface Entry extends BatchedLine {
  leaseId: string;
  generation: number;
  bytes: number;
}

/** Longest line kept; longer ones are cut (a batch must stay far below gRPC's message limit). */
export const MAX_LINE_BYTES = 16 * 1024;
const TRUNCATION_MARK = ' …[line truncated]';

export class LeaseLogBatcher {
  private readonly queue: Entry[] = [];
  private head = 0;
  private bytes = 0;
  private readonly nextSeq = new Map<string, bigint>();
  private readonly droppedByLease = new Map<string, { generation: number; count: number }>();
  private droppedTotal = 0;

  constructor(
    private readonly limits: LogBatchLimits,
    /** Called when the pending text reaches maxBytes (time to flush early). */
    private readonly onFull: () => void = () => undefined,
  ) {}

  append(leaseId: string, generation: number, stream: LogStreamName, text: string, ts: Date): void {
    const line = cutLine(text, Math.min(MAX_LINE_BYTES, this.limits.maxBytes));
    const seq = this.nextSeq.get(leaseId) ?? 1n;
    this.nextSeq.set(leaseId, seq + 1n);
    const entry: Entry = {
      leaseId,
      generation,
      seq,
      ts,
      stream,
      line,
      bytes: Buffer.byteLength(line),
    };
    this.queue.push(entry);
    this.bytes += entry.bytes;
    while (this.size > this.limits.bufferLines) this.dropOldest();
    if (this.bytes >= this.limits.maxBytes) this.onFull();
  }

  get size(): number {
    return this.queue.length - this.head;
  }

  get pendingBytes(): number {
    return this.bytes;
  }

  /** Whether anything (lines or drop counts) waits to be sent. */
  get hasPending(): boolean {
    return this.size > 0 || this.droppedByLease.size > 0;
  }

  /**
   * Removes and returns the oldest lines, up to maxBytes of text (at least one line), grouped
   * into one batch per lease and generation in order; leases whose lines were all dropped get an
   * empty batch carrying the count.
   */
  takeBatches(): LogBatch[] {
    const batches: LogBatch[] = [];
    const byKey = new Map<string, LogBatch>();
    let budget = this.limits.maxBytes;
    while (this.size > 0) {
      const entry = this.queue[this.head];
      if (entry === undefined || (entry.bytes > budget && batches.length > 0)) break;
      this.head += 1;
      this.bytes -= entry.bytes;
      budget -= entry.bytes;
      const key = `${entry.leaseId}\u0000${entry.generation}`;
      let batch = byKey.get(key);
      if (batch === undefined) {
        batch = {
          leaseId: entry.leaseId,
          generation: entry.generation,
          lines: [],
          dropped: this.takeDropped(entry.leaseId),
        };
        byKey.set(key, batch);
        batches.push(batch);
      }
      batch.lines.push({ seq: entry.seq, ts: entry.ts, stream: entry.stream, line: entry.line });
    }
    for (const [leaseId, { generation, count }] of this.droppedByLease) {
      batches.push({ leaseId, generation, lines: [], dropped: count });
    }
    this.droppedByLease.clear();
    this.compact();
    return batches;
  }

  /** Lines dropped since the previous call (for Heartbeat.dropped_log_lines). */
  takeDroppedTotal(): number {
    const n = this.droppedTotal;
    this.droppedTotal = 0;
    return n;
  }

  /** Forgets a finished lease's sequence counter (its remaining lines stay queued). */
  forget(leaseId: string): void {
    this.nextSeq.delete(leaseId);
  }

  private dropOldest(): void {
    const entry = this.queue[this.head];
    if (entry === undefined) return;
    this.head += 1;
    this.bytes -= entry.bytes;
    this.droppedTotal += 1;
    const previous = this.droppedByLease.get(entry.leaseId);
    this.droppedByLease.set(entry.leaseId, {
      generation: entry.generation,
      count: (previous?.count ?? 0) + 1,
    });
    this.compact();
  }

  private takeDropped(leaseId: string): number {
    const dropped = this.droppedByLease.get(leaseId)?.count ?? 0;
    this.droppedByLease.delete(leaseId);
    return dropped;
  }

  private compact(): void {
    // Amortised O(1) dequeue: slice the consumed head off once it is large.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}

function cutLine(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const room = Math.max(0, maxBytes - Buffer.byteLength(TRUNCATION_MARK));
  // Cut on a character boundary: decode the truncated bytes and drop a broken last character.
  const cut = Buffer.from(text)
    .subarray(0, room)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${cut}${TRUNCATION_MARK}`;
}
