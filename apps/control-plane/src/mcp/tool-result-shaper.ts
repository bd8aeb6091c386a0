// What a tool's answer looks like on the wire (pure): redacted, then size-capped. The text is
// cut with a note; the structured result keeps its schema by shortening its largest array
// (halving until it fits) and saying so in the text. A result that cannot be made to fit
// becomes a `limit_exceeded` tool error telling the model to narrow the query.
import { AppError, toMcpToolError } from '@tmcp/errors';
import { redact, redactValue } from '@tmcp/teleport';
import type { ToolResult } from './tool-definition.js';

export interface WireToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export function shapeToolResult(result: ToolResult<unknown>, maxBytes: number): WireToolResult {
  const notes: string[] = [];
  let structured = redactValue(result.structured);
  if (structured === null || typeof structured !== 'object' || Array.isArray(structured)) {
    structured = { result: structured };
  }
  const fitted = fitStructured(structured as Record<string, unknown>, maxBytes, notes);
  if (fitted === undefined) {
    return toMcpToolError(
      new AppError(
        'limit_exceeded',
        `the result is larger than ${Math.round(maxBytes / 1024)} KiB even when shortened; narrow the query (another cluster, a filter) and try again`,
      ),
    );
  }
  let text = redact(result.text);
  if (notes.length > 0) text = `${text}\n[${notes.join('; ')}]`;
  text = capText(text, maxBytes);
  return {
    content: [{ type: 'text', text }],
    structuredContent: fitted,
    ...(result.isError === true ? { isError: true } : {}),
  };
}

/** A tool failure on the wire: toMcpToolError over a redacted message. */
export function shapeToolError(error: AppError): WireToolResult {
  const clean = new AppError(error.code, redact(error.message), {
    ...(error.details === undefined
      ? {}
      : { details: redactValue(error.details) as Record<string, unknown> }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  });
  return toMcpToolError(clean);
}

export function capText(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return text;
  const cut = Buffer.from(text, 'utf8')
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${cut}\n[truncated: ${bytes - maxBytes} more bytes; narrow the query to see everything]`;
}

function sizeOf(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

function fitStructured(
  value: Record<string, unknown>,
  maxBytes: number,
  notes: string[],
): Record<string, unknown> | undefined {
  if (sizeOf(value) <= maxBytes) return value;
  const out = { ...value };
  const originalLengths = new Map<string, number>();
  for (let round = 0; round < 64 && sizeOf(out) > maxBytes; round++) {
    const largest = largestArray(out);
    if (largest === undefined) return undefined;
    const [key, items] = largest;
    if (!originalLengths.has(key)) originalLengths.set(key, items.length);
    out[key] = items.slice(0, Math.floor(items.length / 2));
  }
  if (sizeOf(out) > maxBytes) return undefined;
  for (const [key, total] of originalLengths) {
    const kept = (out[key] as unknown[]).length;
    notes.push(
      `truncated: ${key} shows ${kept} of ${total} entries (result limit ${Math.round(maxBytes / 1024)} KiB)`,
    );
  }
  return out;
}

function largestArray(value: Record<string, unknown>): [string, unknown[]] | undefined {
  let best: [string, unknown[], number] | undefined;
  for (const [key, v] of Object.entries(value)) {
    if (!Array.isArray(v) || v.length === 0) continue;
    const size = sizeOf(v);
    if (best === undefined || size > best[2]) best = [key, v, size];
  }
  return best === undefined ? undefined : [best[0], best[1]];
}
