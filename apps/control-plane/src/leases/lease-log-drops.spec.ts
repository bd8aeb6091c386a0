import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { droppedCountOf, droppedLinesNotice, splitAtDrops } from './lease-log-drops.js';
import type { LeaseLogLine } from './lease.repository.js';

const ts = new Date('2030-01-01T00:00:00Z');
const out = (seq: number, line = `line ${seq}`): LeaseLogLine => ({
  seq,
  ts,
  stream: 'stdout',
  line,
});
const notice = (seq: number, count: number): LeaseLogLine => ({
  seq,
  ts,
  stream: 'system',
  line: droppedLinesNotice(count),
});

describe('lease log drop notices', () => {
  it('a notice says how many lines were dropped; other lines say 0', () => {
    assert.equal(droppedCountOf(notice(3, 17)), 17);
    assert.equal(droppedCountOf(out(3, droppedLinesNotice(17))), 0, 'only system lines count');
    assert.equal(droppedCountOf({ ...notice(3, 1), line: 'agent restarted' }), 0);
  });

  it('splits at the notices, each part carrying the count of the gap before its lines', () => {
    const parts = splitAtDrops([out(1), out(2), notice(5, 3), out(6), notice(9, 2)]);
    assert.deepEqual(
      parts.map((p) => ({ dropped: p.dropped, seqs: p.lines.map((l) => l.seq) })),
      [
        { dropped: 0, seqs: [1, 2] },
        { dropped: 3, seqs: [6] },
        { dropped: 2, seqs: [] },
      ],
    );
    assert.deepEqual(splitAtDrops([]), []);
  });
});
