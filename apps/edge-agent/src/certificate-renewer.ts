// Keeps the agent's client certificate fresh: at the renew time the control plane gave (about
// half the lifetime) it generates a new key, sends a CSR over the current mTLS identity, checks
// and stores the answer, and hands the next connection a client with the new identity. A failed
// renewal is retried every minute until the certificate expires.
import {
  createAgentServiceClient,
  generateAgentKeyAndCsr,
  type AgentServiceClient,
  type AgentServiceClientOptions,
} from '@tmcp/client';
import { toAppError } from '@tmcp/errors';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from './clock.js';
import type { Enrollment, EnrollmentStore } from './enrollment-store.js';
import { verifyIssuedCertificate } from './issued-certificate.js';

export const RENEW_RETRY_MS = 60_000;

export class CertificateRenewer {
  private timer: TimerHandle | undefined;
  private client: AgentServiceClient;
  private stopped = false;

  constructor(
    private enrollment: Enrollment,
    client: AgentServiceClient,
    private readonly deps: {
      store: EnrollmentStore;
      clock: Clock;
      logger: Logger;
      /** Client options without the identity (address, CA, pin, server name). */
      clientOptions: Omit<AgentServiceClientOptions, 'keyPem' | 'certPem'>;
    },
  ) {
    this.client = client;
  }

  /** The client with the newest identity. */
  current(): AgentServiceClient {
    return this.client;
  }

  start(): void {
    this.schedule(Date.parse(this.enrollment.record.renew_after) - this.deps.clock.now());
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** Renews now; resolves true when a new certificate was stored. */
  async renew(): Promise<boolean> {
    const { logger, store } = this.deps;
    try {
      const { keyPem, csrPem } = await generateAgentKeyAndCsr(
        this.enrollment.record.agent_id.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63),
      );
      const response = await this.client.renewCertificate({ csrPem });
      const issued = verifyIssuedCertificate(response, keyPem, this.enrollment.record.ca_pin);
      const next: Enrollment = {
        keyPem,
        certPem: issued.certPem,
        caPem: issued.caPem,
        record: {
          ...this.enrollment.record,
          not_after: issued.notAfter.toISOString(),
          renew_after: issued.renewAfter.toISOString(),
        },
      };
      await store.save(next);
      this.enrollment = next;
      // The old client stays open for the stream in flight; the link closes it when that ends.
      this.client = await createAgentServiceClient({
        ...this.deps.clientOptions,
        caPem: next.caPem,
        keyPem,
        certPem: issued.certPem,
      });
      logger.info(
        { not_after: next.record.not_after, renew_after: next.record.renew_after },
        'client certificate renewed',
      );
      this.schedule(issued.renewAfter.getTime() - this.deps.clock.now());
      return true;
    } catch (err) {
      const error = toAppError(err);
      const expiresInMs = Date.parse(this.enrollment.record.not_after) - this.deps.clock.now();
      logger.error(
        { code: error.code, err: error.message, expires_in_s: Math.round(expiresInMs / 1000) },
        expiresInMs > 0
          ? 'certificate renewal failed; retrying in a minute'
          : 'certificate renewal failed and the certificate has expired: enroll the agent again',
      );
      if (expiresInMs > 0) this.schedule(RENEW_RETRY_MS);
      return false;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = this.deps.clock.setTimer(Math.max(0, ms), () => void this.renew());
  }
}
