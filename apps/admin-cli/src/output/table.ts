// Plain-text tables that fit a terminal (80 columns unless told otherwise). When the natural
// widths do not fit, a column first falls back to its compact cells (a time without its absolute
// part), then the widest shrinkable column is cut with "…". Columns marked `keep` (ids an admin
// copies into the next command) are never cut.

export interface Column<R> {
  header: string;
  cell: (row: R) => string;
  /** A shorter rendering used when the table is too wide. */
  compact?: (row: R) => string;
  /** Never truncate (identifiers). */
  keep?: boolean;
  /** Narrowest this column may be cut to (default: header length, at least 4). */
  min?: number;
}

const GAP = '  ';
const ELLIPSIS = '…';

export function renderTable<R>(
  columns: readonly Column<R>[],
  rows: readonly R[],
  width = 80,
): string {
  let cells = rows.map((row) => columns.map((c) => clean(c.cell(row))));
  let widths = naturalWidths(columns, cells);
  const budget = width - GAP.length * (columns.length - 1);

  // 1. compact renderings, widest gain first
  const compactable = columns.map((c, i) => ({ c, i })).filter(({ c }) => c.compact !== undefined);
  for (const { c, i } of compactable) {
    if (sum(widths) <= budget) break;
    const compactCells = rows.map((row) => clean((c.compact ?? c.cell)(row)));
    cells = cells.map((r, ri) => r.map((v, ci) => (ci === i ? (compactCells[ri] ?? v) : v)));
    widths = naturalWidths(columns, cells);
  }

  // 2. cut the widest shrinkable column, one character at a time (tables are small)
  const mins = columns.map((c) => Math.max(c.min ?? Math.max(c.header.length, 4), 1));
  while (sum(widths) > budget) {
    let widest = -1;
    columns.forEach((c, i) => {
      if (c.keep === true || (widths[i] ?? 0) <= (mins[i] ?? 0)) return;
      if (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0)) widest = i;
    });
    if (widest < 0) break; // nothing left to cut: the table is as narrow as it gets
    widths[widest] = (widths[widest] ?? 1) - 1;
  }

  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => {
        const w = widths[i] ?? 0;
        const cut = truncate(v, w);
        return i === values.length - 1 ? cut : cut.padEnd(w);
      })
      .join(GAP)
      .trimEnd();
  const header = line(columns.map((c) => c.header));
  return [header, ...cells.map(line)].join('\n') + '\n';
}

/** `key  value` lines for one resource (show commands). */
export function renderFields(fields: readonly (readonly [string, string])[], width = 80): string {
  const keyWidth = Math.max(...fields.map(([k]) => k.length));
  return (
    fields
      .map(
        ([k, v]) =>
          `${k.padEnd(keyWidth)}  ${truncate(clean(v), Math.max(10, width - keyWidth - 2))}`,
      )
      .join('\n') + '\n'
  );
}

export function truncate(value: string, width: number): string {
  if (value.length <= width) return value;
  if (width <= 1) return ELLIPSIS.slice(0, width);
  return `${value.slice(0, width - 1)}${ELLIPSIS}`;
}

/** Control characters and newlines would break the layout (and can spoof output). */
function clean(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

function naturalWidths<R>(columns: readonly Column<R>[], cells: readonly string[][]): number[] {
  return columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
