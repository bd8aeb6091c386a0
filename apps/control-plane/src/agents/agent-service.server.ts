// The AgentService gRPC server on its own port (agentService.host/port): one TLS port that
// presents its certificate with the CA (the chain a CA pin is checked against) and
// requests but does not require a client certificate, so Enroll (no certificate yet) and
// RenewCertificate / Connect (certificate checked per call against our CA and Postgres) share
// it. A grpc-js server run by a provider, with the protobuf-es adapter (not Nest's transport).
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { addGrpcService, AgentService } from '@tmcp/proto';
import type { Logger } from 'pino';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { LOGGER } from '../logging/logger.token.js';
import { AGENT_CA } from './agent-ca.token.js';
import { AgentConnectHandler } from './agent-connect.handler.js';
import { AgentEnrollmentService, type AgentCertificateGrant } from './agent-enrollment.service.js';
import { AgentStreamRegistry } from './agent-stream-registry.js';
import type { CertificateAuthority } from './certificate-authority.js';

/** Keepalive on the server side: pings idle agents, and lets agents ping every 10 s. */
export const AGENT_SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  'grpc.max_receive_message_length': 4 * 1024 * 1024,
};
const SHUTDOWN_GRACE_MS = 5_000;

@Injectable()
export class AgentServiceServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: grpc.Server | undefined;
  private boundPort = 0;

  constructor(
    @Inject(AGENT_CA) private readonly ca: CertificateAuthority,
    private readonly enrollment: AgentEnrollmentService,
    private readonly connectHandler: AgentConnectHandler,
    private readonly registry: AgentStreamRegistry,
    @Inject(SERVER_CONFIG) private readonly config: Pick<ServerConfig, 'agentService'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** `host:port` actually bound (the real port when configured with 0). */
  get address(): string {
    return `${this.config.agentService.host}:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { host, port } = this.config.agentService;
    const identity = await this.ca.issueServerCertificate([host]);
    const caPem = Buffer.from(this.ca.certificatePem);
    // Leaf and CA: an agent enrolling with only `--ca-pin` finds the pinned CA in the chain.
    const certificate = Buffer.from(`${identity.certPem}${this.ca.certificatePem}`);
    const privateKey = Buffer.from(identity.keyPem);
    // grpc-js registers its watcher after adding these listeners: answer asynchronously.
    const provider: grpc.experimental.CertificateProvider = {
      addCaCertificateListener: (listener) =>
        queueMicrotask(() => listener({ caCertificate: caPem })),
      removeCaCertificateListener: () => undefined,
      addIdentityCertificateListener: (listener) =>
        queueMicrotask(() => listener({ certificate, privateKey })),
      removeIdentityCertificateListener: () => undefined,
    };
    const server = new grpc.Server(AGENT_SERVER_OPTIONS);
    addGrpcService(
      server,
      AgentService,
      {
        enroll: async (request, ctx) => {
          const grant = await this.enrollment.enroll({
            joinToken: request.joinToken,
            csrPem: request.csrPem,
            hostname: request.hostname,
            labels: request.labels,
            agentVersion: request.agentVersion,
          });
          this.logger.info(
            { agent_id: grant.agentId, peer: ctx.peer, hostname: request.hostname },
            'agent enrolled',
          );
          return grantMessage(grant);
        },
        renewCertificate: async (request, ctx) => {
          const { agentId, fingerprint } = await this.enrollment.authenticateCertificate(
            ctx.peerCertificate?.raw,
          );
          const grant = await this.enrollment.renew(agentId, request.csrPem, fingerprint);
          this.logger.info(
            { agent_id: agentId, not_after: grant.notAfter.toISOString() },
            'agent certificate renewed',
          );
          return grantMessage(grant);
        },
        connect: (requests, ctx) => this.connectHandler.connect(requests, ctx),
      },
      {
        onError: (error, method) =>
          this.logger.error({ err: error, method }, 'agent service: unexpected error'),
      },
    );
    const credentials = grpc.experimental.createCertificateProviderServerCredentials(
      provider,
      provider,
      false,
    );
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${bindHost(host)}:${port}`, credentials, (error, bound) => {
        if (error === null) resolve(bound);
        else
          reject(
            new AppError(
              'unavailable',
              `cannot listen on ${host}:${port} for agents: ${error.message}`,
              { cause: error },
            ),
          );
      });
    });
    this.server = server;
    this.logger.info({ agent_addr: this.address, ca_pin: this.ca.pin }, 'agent service listening');
  }

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    // Streams first: agents reconnect to another replica while this one drains.
    await this.registry.closeAll();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}

function grantMessage(grant: AgentCertificateGrant) {
  return {
    agentId: grant.agentId,
    certificatePem: grant.certificatePem,
    caPem: grant.caPem,
    notAfter: timestampFromDate(grant.notAfter),
    renewAfter: timestampFromDate(grant.renewAfter),
  };
}

function bindHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
