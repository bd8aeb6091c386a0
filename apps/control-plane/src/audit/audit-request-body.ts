// The JSON body of an ingest request. Uses what the app's JSON body parser produced when one is
// installed (server.ts does), and otherwise reads the stream itself with the same limit, so the
// endpoint behaves the same in any app it is mounted in.
import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeException } from '@nestjs/common';
import { AppError } from '@tmcp/errors';

export const MAX_AUDIT_EVENT_BYTES = 1024 * 1024;
const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

type RequestWithBody = IncomingMessage & { body?: unknown };

export async function readJsonBody(
  req: RequestWithBody,
  limitBytes = MAX_AUDIT_EVENT_BYTES,
): Promise<unknown> {
  const contentType = req.headers['content-type'] ?? '';
  if (!JSON_CONTENT_TYPE.test(contentType)) {
    throw AppError.badParameter(
      'content-type',
      'must be application/json (one JSON audit event per request)',
    );
  }
  if (req.body !== undefined) return req.body;
  if (req.readableEnded) throw AppError.badParameter('body', 'is empty: post one JSON audit event');

  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const text = await readText(req, limitBytes);
  if (text.trim() === '')
    throw AppError.badParameter('body', 'is empty: post one JSON audit event');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw AppError.badParameter('body', 'is not valid JSON');
  }
}

function readText(req: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        // Stop buffering but keep draining, so the response can still be written.
        req.resume();
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(AppError.badParameter('body', 'could not be read', { cause: error }));
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function tooLarge(limitBytes: number): PayloadTooLargeException {
  return new PayloadTooLargeException(
    `an audit event may be at most ${limitBytes} bytes; this one is larger`,
  );
}
