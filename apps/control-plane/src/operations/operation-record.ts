// Pure shaping of what goes into an operations row: redaction and size caps, so the service
// only moves values to and from the database.
import { redact, redactValue } from '@tmcp/teleport';

/** stdout/stderr kept per operation (the rest is cut with a marker). */
export const MAX_STORED_OUTPUT_BYTES = 16 * 1024;
/** Redacted inputs larger than this are stored as a stub (a 1 MiB argument is not an audit record). */
export const MAX_STORED_INPUT_BYTES = 64 * 1024;
const MAX_ERROR_MESSAGE_CHARS = 4_000;

/** Redacts, then cuts to `maxBytes` of UTF-8 on a character boundary, marking the cut. */
export function storedOutput(
  text: string | undefined,
  maxBytes = MAX_STORED_OUTPUT_BYTES,
): string | null {
  if (text === undefined) return null;
  const clean = redact(text);
  const bytes = Buffer.from(clean, 'utf8');
  if (bytes.length <= maxBytes) return clean;
  // Decoding a cut buffer may end in a replacement character; drop it.
  const cut = bytes
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${cut}\n[truncated: ${bytes.length - maxBytes} more bytes]`;
}

/** Tool arguments as recorded: redacted, and bounded in size. */
export function storedInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  const clean = redactValue(inputs) as Record<string, unknown>;
  const size = Buffer.byteLength(JSON.stringify(clean), 'utf8');
  if (size <= MAX_STORED_INPUT_BYTES) return clean;
  return { _truncated: `inputs of ${size} bytes not stored (limit ${MAX_STORED_INPUT_BYTES})` };
}

export interface StoredError {
  code: string;
  message: string;
}

export function storedError(error: { code: string; message: string }): StoredError {
  const message = redact(error.message);
  return {
    code: error.code,
    message:
      message.length > MAX_ERROR_MESSAGE_CHARS
        ? `${message.slice(0, MAX_ERROR_MESSAGE_CHARS)} [truncated]`
        : message,
  };
}

/** Text of a reason or ticket as stored (redacted: people paste tokens into reasons). */
export function storedText(text: string | undefined, maxChars = 1_000): string | null {
  if (text === undefined) return null;
  const clean = redact(text);
  return clean.length > maxChars ? clean.slice(0, maxChars) : clean;
}
