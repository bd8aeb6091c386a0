// Maps errors of the audit HTTP endpoints to responses, once: AppError codes through the
// shared HTTP mapping, Nest's own HTTP exceptions (body parser, unknown route) as they are,
// anything else as a bare 500. The cause is never sent.
import type { ServerResponse } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { httpStatusOf, isAppError } from '@tmcp/errors';

const AUTH_CHALLENGE = 'Bearer realm="tmcp-audit-ingest"';

@Catch()
export class AuditHttpExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<ServerResponse>();
    let status = 500;
    let body: { error: { code: string; message: string } } = {
      error: { code: 'internal', message: 'internal error' },
    };
    if (isAppError(exception)) {
      status = httpStatusOf(exception.code);
      body = { error: { code: exception.code, message: exception.message } };
      if (exception.code === 'unauthenticated') res.setHeader('WWW-Authenticate', AUTH_CHALLENGE);
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      if (status < 500) {
        const code =
          status === 413 ? 'limit_exceeded' : status === 404 ? 'not_found' : 'bad_parameter';
        body = { error: { code, message: exception.message } };
      }
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(JSON.stringify(body));
  }
}
