// The client of the control plane's AdminService (tmcpctl and tests): one channel with the API
// key and the caller's reason/ticket on every call, a default deadline for unary calls, retries
// with backoff for idempotent reads, and failures as AppError (mapped once by @tmcp/proto).
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { AppError, isAppError } from '@tmcp/errors';
import { AdminService, createGrpcClient, type GrpcCallOptions, type GrpcClient } from '@tmcp/proto';
import { adminCallMetadata, type AdminCallAudit } from './admin-call-metadata.js';
import {
  DEFAULT_RETRY_POLICY,
  realSleep,
  withRetries,
  type RetryPolicy,
  type Sleep,
} from './admin-retry.js';

export type AdminClient = GrpcClient<typeof AdminService>;

export interface AdminClientOptions extends AdminCallAudit {
  /** The AdminService address, `host:port`. */
  server: string | undefined;
  /** A principal's API key, sent as `authorization: Bearer …`. */
  token?: string | undefined;
  /** The CA that signed the server's certificate: a PEM file path or the PEM itself. */
  ca?: string | Buffer | undefined;
  /**
   * A client certificate and its key (PEM file paths or the PEM itself), set together: the
   * server maps the certificate's CN to a principal when it accepts client certificates
   * (`grpc.tls.ca_file`). An API key, when also given, is what the server uses.
   */
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  /** TLS without verifying the server's certificate (development only). Excludes `ca`. */
  insecure?: boolean | undefined;
  /** Deadline of unary calls (streams have none). Default 15 s. */
  deadlineMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  /** For tests: how backoff waits. */
  sleep?: Sleep | undefined;
}

export const DEFAULT_ADMIN_DEADLINE_MS = 15_000;

/** Unary methods that change nothing: safe to retry when the server is unreachable. */
export const IDEMPOTENT_ADMIN_METHODS = [
  'listAgents',
  'getAgent',
  'listLeases',
  'getLease',
  'listOperations',
  'getOperation',
  'listRoles',
  'getRole',
  'listPrincipals',
  'listJoinTokens',
  'checkPolicy',
  'getStatus',
  'getAuditIngestStatus',
] as const satisfies readonly (keyof AdminClient)[];

const SERVER_PATTERN = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/;

export function createAdminClient(options: AdminClientOptions): AdminClient {
  const server = options.server?.trim() ?? '';
  if (server === '') {
    throw new AppError(
      'bad_parameter',
      'no server given: pass --server host:port, set TMCPCTL_SERVER, or add "server:" to ~/.config/tmcp/tmcpctl.yaml',
    );
  }
  if (!SERVER_PATTERN.test(server)) {
    throw AppError.badParameter(
      'server',
      `"${server}" is not host:port (for example cp.example.com:8443)`,
    );
  }
  const raw = createGrpcClient(AdminService, server, channelCredentials(options), {
    metadata: adminCallMetadata(options.token, options),
    defaultDeadlineMs: options.deadlineMs ?? DEFAULT_ADMIN_DEADLINE_MS,
    channelOptions: { 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000 },
  });
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const sleep = options.sleep ?? realSleep;
  const explain = (err: unknown): unknown => explainUnreachable(err, server);

  const methods: Record<string, unknown> = {};
  for (const method of AdminService.methods) {
    const name = method.localName as keyof AdminClient;
    const fn = (
      raw as unknown as Record<string, (request: unknown, options?: GrpcCallOptions) => unknown>
    )[name] as (request: unknown, options?: GrpcCallOptions) => unknown;
    if (method.methodKind === 'server_streaming') {
      methods[name] = (request: unknown, callOptions?: GrpcCallOptions) =>
        mapStreamErrors(fn(request, callOptions) as AsyncIterable<unknown>, explain);
    } else if ((IDEMPOTENT_ADMIN_METHODS as readonly string[]).includes(name)) {
      methods[name] = (request: unknown, callOptions?: GrpcCallOptions) =>
        withRetries(
          () => fn(request, callOptions) as Promise<unknown>,
          policy,
          callOptions?.signal,
          sleep,
        ).catch((err: unknown) => {
          throw explain(err);
        });
    } else {
      methods[name] = (request: unknown, callOptions?: GrpcCallOptions) =>
        (fn(request, callOptions) as Promise<unknown>).catch((err: unknown) => {
          throw explain(err);
        });
    }
  }
  return Object.assign(methods, {
    close: () => raw.close(),
    grpcClient: raw.grpcClient,
  }) as unknown as AdminClient;
}

function channelCredentials(options: AdminClientOptions): grpc.ChannelCredentials {
  const identity = clientIdentity(options);
  if (options.insecure === true) {
    if (options.ca !== undefined) {
      throw new AppError(
        'bad_parameter',
        '--insecure and --ca exclude each other: drop one of them',
      );
    }
    // Encrypted, but anyone in the middle could pose as the server: development only.
    return grpc.credentials.createSsl(null, identity.key, identity.cert, {
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
  }
  return grpc.credentials.createSsl(
    options.ca === undefined ? null : readPem('ca', options.ca),
    identity.key,
    identity.cert,
  );
}

function clientIdentity(options: AdminClientOptions): { key: Buffer | null; cert: Buffer | null } {
  if (options.cert === undefined && options.key === undefined) return { key: null, cert: null };
  if (options.cert === undefined || options.key === undefined) {
    throw AppError.badParameter(
      options.cert === undefined ? 'cert' : 'key',
      'is required with --' +
        (options.cert === undefined ? 'key' : 'cert') +
        ': a client certificate needs both',
    );
  }
  return { cert: readPem('cert', options.cert), key: readPem('key', options.key) };
}

function readPem(field: string, value: string | Buffer): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return readFileSync(value);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw AppError.badParameter(
      field,
      `cannot read ${value} (${typeof code === 'string' ? code : 'unreadable'})`,
      { cause: err },
    );
  }
}

/** grpc-js says "No connection established…"; the user needs to know which server and why. */
function explainUnreachable(err: unknown, server: string): unknown {
  if (!isAppError(err) || err.code !== 'unavailable') return err;
  if (err.message.startsWith('cannot reach')) return err;
  const transportFailure =
    /No connection established|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|Connection dropped|failed to connect|handshake|SSL|TLS/i;
  if (!transportFailure.test(err.message)) return err;
  return new AppError(
    'unavailable',
    `cannot reach the control plane at ${server}: ${err.message} (check --server, and --ca or --insecure)`,
    { cause: err },
  );
}

async function* mapStreamErrors<T>(
  source: AsyncIterable<T>,
  explain: (err: unknown) => unknown,
): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (err) {
    throw explain(err);
  }
}
