import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseLogBatcher, MAX_LINE_BYTES } from './lease-log-batcher.js';

const ts = new Date('2026-01-01T00:00:00Z');

describe('LeaseLogBatcher', () => {
  it('numbers lines per lease from 1 without gaps and keeps their order', () => {
    const b = new LeaseLogBatcher({ maxBytes: 65_536, bufferLines: 100 });
    b.append('a', 1, 'stdout', 'a1', ts);
    b.append('b', 3, 'stderr', 'b1', ts);
    b.append('a', 1, 'stderr', 'a2', ts);
    const batches = b.takeBatches();
    assert.deepEqual(
      batches.map((x) => [
        x.leaseId,
        x.generation,
        x.lines.map((l) => [l.seq, l.stream, l.line]),
        x.dropped,
      ]),
      [
        [
          'a',
          1,
          [
            [1n, 'stdout', 'a1'],
            [2n, 'stderr', 'a2'],
          ],
          0,
        ],
        ['b', 3, [[1n, 'stderr', 'b1']], 0],
      ],
    );
    b.append('a', 1, 'stdout', 'a3', ts);
    assert.deepEqual(
      b.takeBatches()[0]?.lines.map((l) => l.seq),
      [3n],
    );
    assert.deepEqual(b.takeBatches(), []);
  });

  it('takes at most maxBytes of text per call, and at least one line', () => {
    const b = new LeaseLogBatcher({ maxBytes: 40, bufferLines: 100 });
    const [a, bb, c] = ['a'.repeat(15), 'b'.repeat(15), 'c'.repeat(15)];
    for (const text of [a, bb, c, 'd'.repeat(60)]) b.append('l', 1, 'stdout', text, ts);
    assert.deepEqual(
      b.takeBatches()[0]?.lines.map((l) => l.line),
      [a, bb],
    );
    assert.deepEqual(
      b.takeBatches()[0]?.lines.map((l) => l.line),
      [c],
    );
    const last = b.takeBatches()[0]?.lines[0]?.line ?? '';
    assert.match(last, /^d+ …\[line truncated\]$/, 'an oversized line is cut, not stuck');
    assert.ok(Buffer.byteLength(last) <= 40);
    assert.equal(b.size, 0);
    assert.equal(b.pendingBytes, 0);
  });

  it('asks for an early flush when the pending text reaches maxBytes', () => {
    let full = 0;
    const b = new LeaseLogBatcher({ maxBytes: 8, bufferLines: 100 }, () => (full += 1));
    b.append('l', 1, 'stdout', 'abc', ts);
    assert.equal(full, 0);
    b.append('l', 1, 'stdout', 'defgh', ts);
    assert.equal(full, 1);
  });

  it('drops the oldest lines beyond the buffer and reports how many, per lease and in total', () => {
    const b = new LeaseLogBatcher({ maxBytes: 65_536, bufferLines: 3 });
    b.append('a', 1, 'stdout', 'a1', ts);
    b.append('a', 1, 'stdout', 'a2', ts);
    b.append('b', 2, 'stdout', 'b1', ts);
    b.append('b', 2, 'stdout', 'b2', ts);
    b.append('b', 2, 'stdout', 'b3', ts);
    assert.equal(b.size, 3);
    const batches = b.takeBatches();
    // a's two lines (the oldest) went; b's three remain with their seq.
    assert.deepEqual(
      batches.map((x) => [x.leaseId, x.lines.map((l) => l.seq), x.dropped]),
      [
        ['b', [1n, 2n, 3n], 0],
        ['a', [], 2],
      ],
    );
    assert.equal(b.takeDroppedTotal(), 2);
    assert.equal(b.takeDroppedTotal(), 0);
    assert.equal(b.hasPending, false);
  });

  it('cuts very long lines on a character boundary', () => {
    const b = new LeaseLogBatcher({ maxBytes: 1 << 20, bufferLines: 10 });
    b.append('l', 1, 'stdout', 'é'.repeat(MAX_LINE_BYTES), ts);
    const line = b.takeBatches()[0]?.lines[0]?.line ?? '';
    assert.ok(Buffer.byteLength(line) <= MAX_LINE_BYTES);
    assert.match(line, /^é+ …\[line truncated\]$/);
  });
});
