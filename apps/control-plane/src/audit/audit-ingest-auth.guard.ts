// Who may post audit events: Teleport's event handler, presenting either the configured bearer
// token or a client certificate verified by our TLS listener. Never open: without a token (and
// without a verified certificate) the endpoint answers 503 rather than accept anyone.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { AuditIngestService } from './audit-ingest.service.js';

export const NOT_CONFIGURED_MESSAGE =
  'audit ingest is not configured: set audit.ingest_token (TMCP_AUDIT__INGEST_TOKEN) on the server';
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

@Injectable()
export class AuditIngestAuthGuard implements CanActivate {
  /** Only a digest is kept, and digests are compared: equal lengths, constant time. */
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    @Inject(SERVER_CONFIG) config: ServerConfig,
    private readonly ingest: AuditIngestService,
  ) {
    const token = config.audit.ingestToken;
    this.tokenDigest = token === undefined || token === '' ? undefined : digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<IncomingMessage>();
    // Seam for mTLS: a TLS listener with requestCert + ca sets `authorized` only for a client
    // certificate that chains to the configured CA.
    if ((req.socket as Partial<TLSSocket>).authorized === true) return true;
    if (this.tokenDigest === undefined) {
      this.ingest.unauthorized(NOT_CONFIGURED_MESSAGE);
      throw new AppError('unavailable', NOT_CONFIGURED_MESSAGE);
    }
    const header = req.headers.authorization;
    const presented = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (presented === undefined) {
      const message = 'missing bearer token: send "Authorization: Bearer <audit ingest token>"';
      this.ingest.unauthorized(message);
      throw new AppError('unauthenticated', message);
    }
    if (!timingSafeEqual(digest(presented), this.tokenDigest)) {
      const message = 'invalid audit ingest token';
      this.ingest.unauthorized(message);
      throw new AppError('unauthenticated', message);
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
