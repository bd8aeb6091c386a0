// Logs every request Nest routes (see logHttpRequest for what a line holds).
import type { ServerResponse } from 'node:http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { Logger } from 'pino';
import { logHttpRequest, type RequestWithId } from './http-request-log.js';
import { LOGGER } from './logger.token.js';

@Injectable()
export class RequestLoggingMiddleware implements NestMiddleware {
  private readonly logger: Logger;

  constructor(@Inject(LOGGER) logger: Logger) {
    this.logger = logger.child({ component: 'http' });
  }

  use(req: RequestWithId, res: ServerResponse, next: () => void): void {
    logHttpRequest(this.logger, req, res);
    next();
  }
}
