// Admin client certificates (mTLS), the alternative to an API key. When `grpc.tls.ca_file` is
// set, the admin port asks clients for a certificate (without requiring one, so API keys keep
// working) and this maps a presented one to a principal:
//  - it must be issued directly by a certificate of `grpc.tls.ca_file` and be valid now (TLS
//    verifies the chain and the key's possession — grpc-js shows only verified certificates —
//    and this checks issuer and dates again), and, when it carries an extended key usage,
//    allow client authentication;
//  - its subject common name is the principal's name; that principal must exist and be active
//    (not revoked, not expired), and the call acts with its role. Revoking the principal refuses
//    its certificate at once, as it does its API key.
// The CA is the operator's, never the control plane's own agent CA: an agent certificate must
// not make an admin.
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { CLOCK, type Clock } from '../common/clock.js';
import { readConfiguredFile } from '../common/configured-file.js';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { PrincipalsService } from '../principals/principals.service.js';
import type { AdminCaller, AdminCertificateAuthenticator } from './admin-caller-authenticator.js';

const CLIENT_AUTH_EKU = '1.3.6.1.5.5.7.3.2';
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

@Injectable()
export class AdminClientCertificates implements AdminCertificateAuthenticator {
  private readonly authorities: readonly X509Certificate[];

  constructor(
    @Inject(SERVER_CONFIG) config: Pick<ServerConfig, 'grpc'>,
    private readonly principals: PrincipalsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    const file = config.grpc.tls.caFile;
    this.authorities =
      file === undefined
        ? []
        : parseAuthorities(readConfiguredFile('grpc.tls.ca_file', file), file);
  }

  /** Whether client certificates are accepted at all (grpc.tls.ca_file is set). */
  get enabled(): boolean {
    return this.authorities.length > 0;
  }

  async authenticate(certificate: PeerCertificate): Promise<AdminCaller | undefined> {
    const raw = certificate.raw as Buffer | undefined;
    if (!this.enabled || raw === undefined || raw.length === 0) return undefined;
    const name = this.verify(new X509Certificate(raw));
    const [principal] = await this.principals.list({ name, limit: 1 });
    if (principal === undefined) {
      throw new AppError(
        'unauthenticated',
        `the client certificate names "${name}", which is no active principal: create it (tmcpctl principals create --name ${name}) or use its API key`,
      );
    }
    return {
      name: principal.name,
      role: principal.role,
      kind: principal.kind,
      via: 'certificate',
    };
  }

  /** The principal name of a certificate this CA issued, or an unauthenticated error. */
  private verify(leaf: X509Certificate): string {
    const issuer = this.authorities.find((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
    if (issuer === undefined) {
      throw new AppError(
        'unauthenticated',
        'the client certificate is not issued by the admin client CA (grpc.tls.ca_file)',
      );
    }
    const now = this.clock.now().getTime();
    if (now < Date.parse(leaf.validFrom) || now > Date.parse(leaf.validTo)) {
      throw new AppError(
        'unauthenticated',
        `the client certificate is not valid now (valid ${leaf.validFrom} to ${leaf.validTo})`,
      );
    }
    const usages = leaf.keyUsage as string[] | undefined;
    if (usages !== undefined && !usages.includes(CLIENT_AUTH_EKU)) {
      throw new AppError(
        'unauthenticated',
        'the client certificate does not allow client authentication (extended key usage)',
      );
    }
    const name = commonNameOf(leaf.subject);
    if (name === undefined) {
      throw new AppError(
        'unauthenticated',
        'the client certificate has no subject common name (CN) to name a principal',
      );
    }
    return name;
  }
}

function parseAuthorities(pem: Buffer, file: string): X509Certificate[] {
  const blocks = pem.toString('utf8').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new AppError('bad_parameter', `grpc.tls.ca_file: ${file} holds no PEM certificate`);
  }
  return blocks.map((block) => new X509Certificate(block));
}

/** The CN of an X509Certificate#subject (one `key=value` per line); undefined when absent. */
function commonNameOf(subject: string): string | undefined {
  const line = subject.split('\n').find((l) => l.startsWith('CN='));
  const cn = line?.slice(3).trim();
  return cn === undefined || cn === '' ? undefined : cn;
}
