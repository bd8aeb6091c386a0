// Runs the AdminService on its own grpc-js server (not Nest's gRPC transport): bound when the
// application boots — so a bad TLS setup or a busy port fails start-up with one clear line —
// and shut down with the application.
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { AdminService, addGrpcService } from '@tmcp/proto';
import type { Logger } from 'pino';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { LOGGER } from '../logging/logger.token.js';
import { AdminServiceHandlers } from './admin-service.handlers.js';
import { AGENT_CA } from '../agents/agent-ca.token.js';
import type { CertificateAuthority } from '../agents/certificate-authority.js';
import { adminTransport } from './admin-transport-security.js';

/** How long open calls (watches, tails) get to end before the server cuts them. */
const SHUTDOWN_GRACE_CAP_MS = 5_000;

@Injectable()
export class AdminGrpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: grpc.Server | undefined;
  private boundAddress: string | undefined;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly handlers: AdminServiceHandlers,
    @Inject(AGENT_CA) private readonly ca: CertificateAuthority,
  ) {}

  /** `host:port` the admin API listens on (the real port when grpc.port is 0). */
  get address(): string | undefined {
    return this.boundAddress;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { host, port } = this.config.grpc;
    const transport = await adminTransport(this.config.grpc, this.ca);
    const server = new grpc.Server({
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
    });
    addGrpcService(server, AdminService, this.handlers.implementation(), {
      onError: (err, method) =>
        this.logger.error({ err, method }, 'admin gRPC call failed unexpectedly'),
    });
    const bindHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    const boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${bindHost}:${port}`, transport.credentials, (error, p) =>
        error === null
          ? resolve(p)
          : reject(
              new AppError(
                'unavailable',
                `cannot listen on ${host}:${port} for the admin gRPC API: ${error.message}`,
                { cause: error },
              ),
            ),
      );
    });
    this.server = server;
    this.boundAddress = `${bindHost}:${boundPort}`;
    this.logger.info(
      {
        grpc_addr: this.boundAddress,
        ...(transport.caFile === undefined ? {} : { ca_file: transport.caFile }),
      },
      'admin grpc listening',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const graceMs = Math.min(this.config.service.shutdownGraceMs, SHUTDOWN_GRACE_CAP_MS);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // Streams that are still open (watch, tail -f) are cancelled; their handlers see ctx.signal.
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
