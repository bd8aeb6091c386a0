// One log line per HTTP request, with a request id that is also returned to the caller.
// Only method, path, status, duration and the id are logged: never headers (Authorization)
// and never the query string, which can carry tokens.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from './logger.token.js';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js';

export type RequestWithId = IncomingMessage & { id?: string };

@Injectable()
export class RequestLoggingMiddleware implements NestMiddleware {
  private readonly logger: Logger;

  constructor(@Inject(LOGGER) logger: Logger) {
    this.logger = logger.child({ component: 'http' });
  }

  use(req: RequestWithId, res: ServerResponse, next: () => void): void {
    const startedAt = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    req.id = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.once('close', () => {
      const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      const fields = {
        req_id: requestId,
        method: req.method,
        path: pathOf(req.url),
        status: res.statusCode,
        duration_ms: Math.round(durationMs * 1000) / 1000,
        completed: res.writableFinished,
      };
      if (res.statusCode >= 500) this.logger.warn(fields, 'request');
      else this.logger.info(fields, 'request');
    });
    next();
  }
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
