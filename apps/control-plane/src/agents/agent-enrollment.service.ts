// Enrollment and certificate renewal, and the check of a connecting agent's certificate.
// Order matters: the CSR is verified and signed before the token is consumed (a bad CSR must not
// burn a token); the agent row, the token consumption and the certificate record commit together.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { AGENT_CA } from './agent-ca.token.js';
import { proposedAgentName, type CertificateAuthority } from './certificate-authority.js';
import { EdgeAgentsRepository } from './edge-agents.repository.js';
import { JoinTokensService, validateLabels } from './join-tokens.service.js';

export interface EnrollInput {
  readonly joinToken: string;
  readonly csrPem: string;
  readonly hostname: string;
  readonly labels: Record<string, string>;
  readonly agentVersion: string;
}

export interface AgentCertificateGrant {
  readonly agentId: string;
  readonly certificatePem: string;
  readonly caPem: string;
  readonly notAfter: Date;
  readonly renewAfter: Date;
}

const MAX_CSR_BYTES = 16 * 1024;

@Injectable()
export class AgentEnrollmentService {
  constructor(
    @Inject(AGENT_CA) private readonly ca: CertificateAuthority,
    private readonly agents: EdgeAgentsRepository,
    private readonly tokens: JoinTokensService,
    @Inject(SERVER_CONFIG) private readonly config: Pick<ServerConfig, 'agentService'>,
  ) {}

  async enroll(input: EnrollInput, now = new Date()): Promise<AgentCertificateGrant> {
    if (input.joinToken === '') throw AppError.badParameter('join_token', 'is required');
    checkCsrSize(input.csrPem);
    const hostname = input.hostname.slice(0, 253);
    const agentLabels = validateLabels(input.labels);
    const agentId = randomUUID();
    const cert = await this.ca.signAgentCsr(
      input.csrPem,
      agentId,
      this.config.agentService.agentCertTtlSeconds,
      now,
    );
    await this.agents.transaction(async (manager) => {
      await this.agents.insert(manager, {
        agentId,
        hostname,
        version: input.agentVersion.slice(0, 64),
        labels: agentLabels,
        proposedName: proposedAgentName(input.csrPem),
      });
      const token = await this.tokens.consume(manager, input.joinToken, agentId);
      // The admin's labels (on the token) win over what the agent says about itself.
      await this.agents.setLabels(manager, agentId, { ...agentLabels, ...token.labels });
      await this.agents.recordCertificate(manager, agentId, cert);
    });
    return this.grant(agentId, cert.pem, cert.notBefore, cert.notAfter);
  }

  /**
   * A fresh certificate for an agent that proved its identity with its current one. Once the
   * new certificate is recorded, the one the agent presented (`previousFingerprint`) is revoked,
   * so a copy of the old key and certificate cannot be used to connect again.
   */
  async renew(
    agentId: string,
    csrPem: string,
    previousFingerprint?: string,
    now = new Date(),
  ): Promise<AgentCertificateGrant> {
    checkCsrSize(csrPem);
    const cert = await this.ca.signAgentCsr(
      csrPem,
      agentId,
      this.config.agentService.agentCertTtlSeconds,
      now,
    );
    await this.agents.transaction(async (manager) => {
      await this.agents.recordCertificate(manager, agentId, cert);
      if (previousFingerprint !== undefined) {
        await this.agents.revokeCertificate(manager, agentId, previousFingerprint);
      }
    });
    return this.grant(agentId, cert.pem, cert.notBefore, cert.notAfter);
  }

  /**
   * The agent id of a TLS peer certificate (DER): signed by our CA, valid now, recorded at
   * issuance for the same agent, not revoked. Anything else is refused.
   */
  async authenticate(der: Uint8Array | undefined, now = new Date()): Promise<string> {
    return (await this.authenticateCertificate(der, now)).agentId;
  }

  /** authenticate(), also answering the certificate's fingerprint (to revoke it on renewal). */
  async authenticateCertificate(
    der: Uint8Array | undefined,
    now = new Date(),
  ): Promise<{ agentId: string; fingerprint: string }> {
    if (der === undefined || der.length === 0) {
      throw new AppError(
        'unauthenticated',
        'a client certificate is required: enroll the agent first (`tmcp-agent enroll`)',
      );
    }
    const peer = await this.ca.verifyPeer(der, now);
    const record = await this.agents.findCertificate(peer.fingerprint);
    if (record?.agentId !== peer.agentId) {
      throw new AppError(
        'unauthenticated',
        'the client certificate is not known to this control plane: enroll the agent again',
      );
    }
    if (record.revokedAt !== null) {
      throw new AppError(
        'access_denied',
        'the agent certificate was revoked: enroll the agent again with a new join token',
      );
    }
    return { agentId: peer.agentId, fingerprint: peer.fingerprint };
  }

  /**
   * Throws unless the agent still holds a certificate that is neither revoked nor expired. An
   * open stream is checked with this on every heartbeat, so revoking an agent (from any replica)
   * or letting its certificate expire ends its stream. A stream opened with a certificate that
   * was since renewed stays up: the agent proved it holds the new one when it renewed.
   */
  async assertStillCertified(agentId: string): Promise<void> {
    if (!(await this.agents.hasValidCertificate(agentId))) {
      throw new AppError(
        'access_denied',
        'the agent certificate was revoked or has expired; the stream is closed: enroll the agent again with a new join token',
      );
    }
  }

  private grant(
    agentId: string,
    certificatePem: string,
    notBefore: Date,
    notAfter: Date,
  ): AgentCertificateGrant {
    // Renew at about half the lifetime, counted from issuance (not from the backdated notBefore).
    const issued = Math.min(Date.now(), notAfter.getTime());
    const renewAfter = new Date(
      issued + (notAfter.getTime() - Math.max(issued, notBefore.getTime())) / 2,
    );
    return { agentId, certificatePem, caPem: this.ca.certificatePem, notAfter, renewAfter };
  }
}

function checkCsrSize(csrPem: string): void {
  if (csrPem === '') throw AppError.badParameter('csr_pem', 'is required');
  if (csrPem.length > MAX_CSR_BYTES)
    throw AppError.badParameter('csr_pem', `must be at most ${MAX_CSR_BYTES} bytes`);
}
