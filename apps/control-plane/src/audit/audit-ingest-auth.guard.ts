// Who may post audit events: Teleport's event handler, presenting either the configured bearer
// token or a client certificate verified by the audit.ingest_tls listener (which completes a
// handshake only with a certificate chaining to its client CA). Never open: without a token the
// plain-HTTP endpoint answers 503 rather than accept anyone.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { StaticBearerToken } from '../common/static-bearer-token.js';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { AuditIngestService } from './audit-ingest.service.js';

export const NOT_CONFIGURED_MESSAGE =
  'audit ingest is not configured: set audit.ingest_token (TMCP_AUDIT__INGEST_TOKEN) on the server, or post over the audit.ingest_tls (mTLS) port';

@Injectable()
export class AuditIngestAuthGuard implements CanActivate {
  private readonly token: StaticBearerToken | undefined;

  constructor(
    @Inject(SERVER_CONFIG) config: ServerConfig,
    private readonly ingest: AuditIngestService,
  ) {
    const token = config.audit.ingestToken;
    this.token = token === undefined || token === '' ? undefined : new StaticBearerToken(token);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<IncomingMessage>();
    // Only the audit.ingest_tls listener is TLS in this HTTP app; it sets `authorized` for a
    // client certificate that chains to its client CA (and refuses the handshake otherwise).
    if ((req.socket as Partial<TLSSocket>).authorized === true) return true;
    if (this.token === undefined) {
      this.ingest.unauthorized(NOT_CONFIGURED_MESSAGE);
      throw new AppError('unavailable', NOT_CONFIGURED_MESSAGE);
    }
    const check = this.token.check(req.headers.authorization);
    if (check !== 'ok') {
      const message =
        check === 'missing'
          ? 'missing bearer token: send "Authorization: Bearer <audit ingest token>"'
          : 'invalid audit ingest token';
      this.ingest.unauthorized(message);
      throw new AppError('unauthenticated', message);
    }
    return true;
  }
}
