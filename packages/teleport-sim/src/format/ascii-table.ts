// Byte-for-byte port of Teleport's lib/asciitable over Go's text/tabwriter (minwidth 5,
// padding 1): every cell, the last included, is padded, so each line ends with a space.

export interface TableColumn {
  title: string;
  /** Cells longer than this (in bytes, as Go's len) are cut and suffixed with "...". 0 = never. */
  maxCellLength?: number;
  /** Appended to a cut cell (`"<cut>... <label>"`); its footnote is printed after the table. */
  footnoteLabel?: string;
}

const TERMINAL_WIDTH = 80; // tsh reads the width of stdin's terminal; 80 when not a TTY.

export class AsciiTable {
  private readonly columns: (TableColumn & { width: number })[];
  private readonly rows: string[][] = [];
  private readonly footnotes = new Map<string, string>();
  private readonly usedFootnotes = new Set<string>();

  private constructor(
    columns: TableColumn[],
    private readonly headless: boolean,
  ) {
    this.columns = columns.map((c) => ({ ...c, width: byteLength(c.title) }));
  }

  static withHeaders(titles: string[]): AsciiTable {
    return new AsciiTable(
      titles.map((title) => ({ title })),
      false,
    );
  }

  static withColumns(columns: TableColumn[]): AsciiTable {
    return new AsciiTable(columns, false);
  }

  static headless(columnCount: number): AsciiTable {
    return new AsciiTable(
      Array.from({ length: columnCount }, () => ({ title: '' })),
      true,
    );
  }

  /** `MakeTableWithTruncatedColumn`: columns wider than their share are cut; one column gets the rest. */
  static withTruncatedColumn(titles: string[], rows: string[][], truncated: string): AsciiTable {
    const maxColWidth = Math.floor((TERMINAL_WIDTH - 16) / (titles.length - 1));
    let totalLen = 0;
    const columns: TableColumn[] = titles.map((title, index) => {
      const column: TableColumn = { title, maxCellLength: byteLength(title) };
      if (title === truncated) return column;
      let longest = byteLength(title);
      for (const row of rows) longest = Math.max(longest, byteLength(row[index] ?? ''));
      if (longest > maxColWidth) {
        column.maxCellLength = maxColWidth;
        totalLen += maxColWidth + 4;
      } else {
        column.maxCellLength = longest;
        totalLen += longest + 1;
      }
      return column;
    });
    for (const column of columns) {
      if (column.title === truncated) {
        column.maxCellLength = Math.max(TERMINAL_WIDTH - totalLen - 4, 0);
      }
    }
    const table = AsciiTable.withColumns(columns);
    for (const row of rows) table.addRow(row);
    return table;
  }

  addFootnote(label: string, text: string): void {
    this.footnotes.set(label, text);
  }

  addRow(row: string[]): void {
    const cells = this.columns.map((column, index) => {
      let cell = row[index] ?? '';
      const max = column.maxCellLength ?? 0;
      if (max > 0 && byteLength(cell) > max) {
        cell = cutBytes(cell, max) + '...';
        if (column.footnoteLabel) {
          cell += ' ' + column.footnoteLabel;
          this.usedFootnotes.add(column.footnoteLabel);
        }
      }
      column.width = Math.max(column.width, byteLength(cell));
      return cell;
    });
    this.rows.push(cells);
  }

  /** The table as `table.AsBuffer().String()`, footnotes included. */
  render(): string {
    const lines: string[][] = [];
    if (!this.headless) {
      lines.push(this.columns.map((c) => c.title));
      lines.push(this.columns.map((c) => '-'.repeat(c.width)));
    }
    lines.push(...this.rows);
    let out = tabwrite(lines);
    for (const label of this.usedFootnotes) {
      const note = this.footnotes.get(label);
      if (note !== undefined) out += `\n${label} ${note}\n`;
    }
    return out;
  }
}

/** text/tabwriter with minwidth 5, padding 1, every cell tab-terminated. */
function tabwrite(lines: string[][]): string {
  const widths: number[] = [];
  for (const line of lines) {
    line.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 5, runeCount(cell) + 1);
    });
  }
  return lines
    .map(
      (line) =>
        line.map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - runeCount(cell))).join('') +
        '\n',
    )
    .join('');
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function runeCount(s: string): number {
  return [...s].length;
}

function cutBytes(s: string, max: number): string {
  return Buffer.from(s, 'utf8').subarray(0, max).toString('utf8');
}
