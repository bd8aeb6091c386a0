import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderFields, renderTable, truncate, type Column } from './table.js';

interface Row {
  id: string;
  name: string;
  note: string;
  when: string;
  whenShort: string;
}

const columns: Column<Row>[] = [
  { header: 'ID', cell: (r) => r.id, keep: true },
  { header: 'NAME', cell: (r) => r.name },
  { header: 'NOTE', cell: (r) => r.note },
  { header: 'WHEN', cell: (r) => r.when, compact: (r) => r.whenShort },
];

const row = (over: Partial<Row> = {}): Row => ({
  id: '0b6c5f2e-3f1d-4c8a-9e1b-6a7d8c9e0f12',
  name: 'ci-bot',
  note: 'short',
  when: '3m ago (2026-11-21 19:40Z)',
  whenShort: '3m ago',
  ...over,
});

const widthOf = (text: string): number => Math.max(...text.split('\n').map((l) => l.length));

describe('renderTable', () => {
  it('keeps a table that fits as it is, columns aligned', () => {
    const out = renderTable(columns.slice(1), [row(), row({ name: 'a' })]);
    assert.equal(
      out,
      'NAME    NOTE   WHEN\n' +
        'ci-bot  short  3m ago (2026-11-21 19:40Z)\n' +
        'a       short  3m ago (2026-11-21 19:40Z)\n',
    );
  });

  it('fits 80 columns: compact times first, then cuts the widest column with …, never the id', () => {
    const out = renderTable(columns, [
      row({ note: 'a very long note that goes on and on and on for quite a while' }),
    ]);
    assert.ok(widthOf(out) <= 80, out);
    assert.match(out, /0b6c5f2e-3f1d-4c8a-9e1b-6a7d8c9e0f12/);
    assert.match(out, / {2}3m ago$/m);
    assert.match(out, /a very long note.*…/);
  });

  it('honours a narrower terminal', () => {
    const out = renderTable(columns.slice(1), [row({ name: 'x'.repeat(60) })], 40);
    assert.ok(widthOf(out) <= 40, out);
  });

  it('replaces control characters so a value cannot break the layout', () => {
    const out = renderTable(columns.slice(1, 2), [row({ name: 'evil\nline\u001b[2J' })]);
    assert.equal(out, 'NAME\nevil line [2J\n');
  });

  it('prints only the header for no rows', () => {
    assert.equal(renderTable(columns.slice(1), []), 'NAME  NOTE  WHEN\n');
  });
});

describe('truncate', () => {
  const cases: [string, number, string][] = [
    ['abcdef', 6, 'abcdef'],
    ['abcdef', 5, 'abcd…'],
    ['abcdef', 1, '…'],
    ['abcdef', 0, ''],
  ];
  for (const [value, width, expected] of cases) {
    it(`${value} @${width} -> ${expected}`, () => assert.equal(truncate(value, width), expected));
  }
});

describe('renderFields', () => {
  it('aligns keys and cuts long values to the width', () => {
    const out = renderFields(
      [
        ['Name', 'x'],
        ['Description', 'y'.repeat(100)],
      ],
      40,
    );
    assert.match(out, /^Name {9}x$/m);
    assert.ok(widthOf(out) <= 40);
    assert.match(out, /y…$/m);
  });
});
