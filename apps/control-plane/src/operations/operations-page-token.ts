// Opaque keyset cursor for operation listings: the (started_at, op_id) of the last row shown.
import { AppError } from '@tmcp/errors';
import { z } from 'zod';

export interface OperationCursor {
  startedAt: Date;
  opId: string;
}

const cursorSchema = z.strictObject({
  t: z.iso.datetime({ offset: true }),
  id: z.uuid(),
});

export function encodePageToken(cursor: OperationCursor): string {
  return Buffer.from(
    JSON.stringify({ t: cursor.startedAt.toISOString(), id: cursor.opId }),
    'utf8',
  ).toString('base64url');
}

export function decodePageToken(token: string): OperationCursor {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const parsed = cursorSchema.safeParse(raw);
  if (!parsed.success) {
    throw AppError.badParameter(
      'page_token',
      'is not a token from a previous page; start over without it',
    );
  }
  return { startedAt: new Date(parsed.data.t), opId: parsed.data.id };
}
