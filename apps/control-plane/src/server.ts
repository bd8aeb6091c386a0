// Starts the control plane: connect PostgreSQL and Redis (failing with one clear line), bring
// the schema up to date or refuse to serve, build the Nest app, listen. Returns a handle whose
// close() is the graceful shutdown of DESIGN §6.
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import { createAuditIngestTlsServer } from './audit/audit-ingest-tls-server.js';
import { connectDataSource } from './database/data-source.js';
import { ensureSchemaUpToDate } from './database/schema-state.js';
import { GracefulHttpClose } from './http/graceful-http-close.js';
import { PinoNestLogger } from './logging/pino-nest-logger.js';
import { mountMcpEndpoint } from './mcp/mcp-endpoint-mount.js';
import { closeRedis, connectRedis } from './redis/redis-client.js';

export interface RunningServer {
  /** Where this process serves HTTP (the real port when `service.port` is 0). */
  readonly httpUrl: string;
  readonly port: number;
  /** The port of the audit ingest mTLS listener, when `audit.ingest_tls` is configured. */
  readonly auditIngestTlsPort: number | undefined;
  /** Graceful shutdown; safe to call more than once. */
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  const dataSource = await connectDataSource(config.database, logger);
  let redis: Redis | undefined;
  let app: NestExpressApplication | undefined;
  try {
    redis = await connectRedis(config.redis, logger);
    await ensureSchemaUpToDate(dataSource, config.database.migrateOnStart, logger);

    // /mcp is routed before Nest's JSON body parser: the MCP handler reads the body itself,
    // under its own size limit (RFD 0002).
    const adapter = new ExpressAdapter();
    const mcp = mountMcpEndpoint(adapter.getInstance());
    app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot({ config, logger, dataSource, redis }),
      adapter,
      { logger: new PinoNestLogger(logger), abortOnError: false, bodyParser: false },
    );
    mcp.attach(app);
    app.disable('x-powered-by');
    app.useBodyParser('json', { limit: config.service.maxBodyBytes });
    const httpServer: Server = app.getHttpServer();
    const graceful = new GracefulHttpClose(httpServer, logger);
    // Built before anything listens: a bad certificate file stops the start with one clear line.
    const ingestTls = config.audit.ingestTls;
    const ingestServer =
      ingestTls === undefined
        ? undefined
        : createAuditIngestTlsServer(ingestTls, adapter.getInstance<RequestListener>());
    const ingestGraceful =
      ingestServer === undefined ? undefined : new GracefulHttpClose(ingestServer, logger);
    await listen(app, config.service.host, config.service.port);
    let auditIngestTlsPort: number | undefined;
    if (ingestServer !== undefined && ingestTls !== undefined) {
      await listenOn(ingestServer, ingestTls.host, ingestTls.port);
      auditIngestTlsPort = (ingestServer.address() as AddressInfo).port;
      logger.info(
        {
          audit_ingest_url: `https://${urlHost(ingestTls.host)}:${auditIngestTlsPort}/audit/events`,
        },
        'audit ingest (mTLS) listening',
      );
    }

    const { port } = httpServer.address() as AddressInfo;
    const httpUrl = `http://${urlHost(config.service.host)}:${port}`;
    logger.info(
      {
        http_url: httpUrl,
        listen_addr: `${config.service.host}:${port}`,
        ...(config.service.publicUrl === undefined ? {} : { public_url: config.service.publicUrl }),
      },
      'listening',
    );

    const running = app;
    let closing: Promise<void> | undefined;
    const shutdown = async (): Promise<void> => {
      await Promise.all([
        graceful.close(config.service.shutdownGraceMs),
        ingestGraceful?.close(config.service.shutdownGraceMs),
      ]);
      // Runs the shutdown hooks: Redis quits, TypeORM destroys the data source.
      await running.close();
    };
    return {
      httpUrl,
      port,
      auditIngestTlsPort,
      close: () => (closing ??= shutdown()),
    };
  } catch (error) {
    if (app !== undefined) await app.close().catch(() => undefined);
    if (redis !== undefined) await closeRedis(redis);
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw error;
  }
}

async function listen(app: NestExpressApplication, host: string, port: number): Promise<void> {
  try {
    await app.listen(port, host);
  } catch (error) {
    throw listenFailure(error, host, port);
  }
}

async function listenOn(server: Server, host: string, port: number): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw listenFailure(error, host, port);
  }
}

function listenFailure(error: unknown, host: string, port: number): AppError {
  const code = (error as { code?: unknown }).code;
  const reason =
    code === 'EADDRINUSE'
      ? 'address already in use'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EADDRNOTAVAIL'
          ? 'address not available on this machine'
          : error instanceof Error
            ? error.message
            : 'unknown error';
  return new AppError('unavailable', `cannot listen on ${host}:${port}: ${reason}`, {
    cause: error,
  });
}

/** A host usable in a URL: wildcard addresses become loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
