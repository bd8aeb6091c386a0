// One log line per HTTP request, with a request id that is also returned to the caller. Shared by
// the Nest middleware and the /mcp mount (which is routed before Nest's middleware runs).
// Only method, path, status, duration, the id and the actor are logged: never headers
// (Authorization), never the body and never the query string, which can carry tokens.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js';

export type RequestWithId = IncomingMessage & { id?: string };

/** What is known about a request only once it has been handled. */
export interface RequestLogContext {
  /** The authenticated actor's id, when authentication succeeded. */
  actor?: string;
}

/**
 * Gives the request its id (echoed in X-Request-Id) and logs it when the response closes.
 * `context` is read at that moment, so the caller can fill it in while handling the request.
 */
export function logHttpRequest(
  logger: Logger,
  req: RequestWithId,
  res: ServerResponse,
  context: RequestLogContext = {},
): string {
  const startedAt = process.hrtime.bigint();
  const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
  req.id = requestId;
  if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, requestId);
  res.once('close', () => {
    const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
    const fields = {
      req_id: requestId,
      method: req.method,
      path: pathOf(req.url),
      status: res.statusCode,
      duration_ms: Math.round(durationMs * 1000) / 1000,
      completed: res.writableFinished,
      ...(context.actor === undefined ? {} : { actor: context.actor }),
    };
    if (res.statusCode >= 500) logger.warn(fields, 'request');
    else logger.info(fields, 'request');
  });
  return requestId;
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
