// Who is calling the admin API: a principal's API key in `authorization: Bearer …`, checked on
// every call (a revoked key is refused at once), or else a client certificate that the
// AdminCertificateAuthenticator (AdminClientCertificates: grpc.tls.ca_file) maps to a principal.
import type { PeerCertificate } from 'node:tls';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { AppError } from '@tmcp/errors';
import type { ActorKind } from '@tmcp/policy';
import type { GrpcCallContext } from '@tmcp/proto';
import { PrincipalsService } from '../principals/principals.service.js';

export interface AdminCaller {
  /** The actor recorded in operations (the principal's name). */
  name: string;
  role: string;
  kind: ActorKind;
  via: 'api_key' | 'certificate';
}

/**
 * Maps a presented client certificate to a caller: undefined when client certificates are not
 * accepted (or none was presented); an `unauthenticated` AppError when it is refused.
 */
export interface AdminCertificateAuthenticator {
  authenticate(certificate: PeerCertificate): Promise<AdminCaller | undefined>;
}

export const ADMIN_CERTIFICATE_AUTHENTICATOR = Symbol('ADMIN_CERTIFICATE_AUTHENTICATOR');

const BEARER = /^Bearer\s+(\S+)\s*$/i;

@Injectable()
export class AdminCallerAuthenticator {
  constructor(
    private readonly principals: PrincipalsService,
    @Optional()
    @Inject(ADMIN_CERTIFICATE_AUTHENTICATOR)
    private readonly certificates?: AdminCertificateAuthenticator,
  ) {}

  async authenticate(
    ctx: Pick<GrpcCallContext, 'metadata' | 'peerCertificate'>,
  ): Promise<AdminCaller> {
    const header = ctx.metadata.get('authorization')[0];
    if (typeof header === 'string' && header !== '') {
      const match = BEARER.exec(header);
      if (match?.[1] === undefined) {
        throw new AppError(
          'unauthenticated',
          'the authorization metadata must be "Bearer <API key>"',
        );
      }
      const principal = await this.principals.verify(match[1]);
      return { name: principal.name, role: principal.role, kind: principal.kind, via: 'api_key' };
    }
    if (ctx.peerCertificate !== undefined && this.certificates !== undefined) {
      const caller = await this.certificates.authenticate(ctx.peerCertificate);
      if (caller !== undefined) return caller;
    }
    throw new AppError(
      'unauthenticated',
      'no API key or client certificate: pass --token (or --cert and --key), set TMCPCTL_TOKEN, or add "token:" to ~/.config/tmcp/tmcpctl.yaml',
    );
  }
}
