// Splits a byte stream into lines (LF or CRLF) without splitting multi-byte characters; a line
// longer than `maxLineBytes` is emitted in pieces so a process cannot grow memory without bound.
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineChars = 64 * 1024,
  ) {}

  push(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let idx: number;
    while ((idx = this.pending.indexOf('\n')) !== -1) {
      const line = this.pending.slice(0, idx);
      this.pending = this.pending.slice(idx + 1);
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    while (this.pending.length > this.maxLineChars) {
      this.onLine(this.pending.slice(0, this.maxLineChars));
      this.pending = this.pending.slice(this.maxLineChars);
    }
  }

  /** Emits the last, unterminated line. */
  end(): void {
    this.pending += this.decoder.end();
    if (this.pending.length > 0) this.onLine(this.pending);
    this.pending = '';
  }
}
