// The agent's side of AgentService: a typed grpc-js client over TLS, optionally mutual (the
// agent's certificate once enrolled), trusting the control plane CA given as a file, as PEM or
// by pin, with keepalive so a dead path is noticed within seconds and a default deadline for
// the unary calls (Enroll, RenewCertificate).
import { readFile } from 'node:fs/promises';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { AppError } from '@tmcp/errors';
import { AgentService, createGrpcClient, type GrpcClient } from '@tmcp/proto';
import { chainMatchesPin, fetchPinnedCa, normalizeCaPin } from './ca-pin.js';

export type AgentServiceClient = GrpcClient<typeof AgentService>;

export interface AgentServiceClientOptions {
  /** The control plane's agent port, host:port. */
  address: string;
  /** A file holding the CA certificate(s) that sign the server certificate. */
  caFile?: string;
  /** The same as PEM (wins over caFile). */
  caPem?: string | Buffer;
  /**
   * sha256 of the CA certificate (`sha256:` prefix accepted). With a CA it is checked as well;
   * without one the CA is taken from the server's chain when it matches.
   */
  caPin?: string;
  /** TLS server name to expect instead of the host of `address`. */
  serverName?: string;
  /** The agent's private key and certificate (PEM) for mutual TLS; omitted for Enroll. */
  keyPem?: string | Buffer;
  certPem?: string | Buffer;
  /** Accept any server certificate. Only for a first enrollment in a lab; never the default. */
  insecureSkipVerify?: boolean;
  /** Deadline of unary calls; default 15 s. */
  defaultDeadlineMs?: number;
  /** Keepalive ping interval; default 20 s. */
  keepaliveTimeMs?: number;
  /** How long to wait for a ping answer before the connection is declared dead; default 10 s. */
  keepaliveTimeoutMs?: number;
}

export const AGENT_CLIENT_DEFAULTS = {
  defaultDeadlineMs: 15_000,
  keepaliveTimeMs: 20_000,
  keepaliveTimeoutMs: 10_000,
} as const;

/** Creates the client; with a pin and no CA it first reads the server's chain (one TLS handshake). */
export async function createAgentServiceClient(
  options: AgentServiceClientOptions,
): Promise<AgentServiceClient> {
  const credentials = await agentChannelCredentials(options);
  return createGrpcClient(AgentService, options.address, credentials, {
    defaultDeadlineMs: options.defaultDeadlineMs ?? AGENT_CLIENT_DEFAULTS.defaultDeadlineMs,
    channelOptions: agentChannelOptions(options),
  });
}

/** grpc-js channel options: keepalive (the server must permit pings this often) and SNI. */
export function agentChannelOptions(
  options: Pick<AgentServiceClientOptions, 'serverName' | 'keepaliveTimeMs' | 'keepaliveTimeoutMs'>,
): grpc.ChannelOptions {
  return {
    'grpc.keepalive_time_ms': options.keepaliveTimeMs ?? AGENT_CLIENT_DEFAULTS.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms':
      options.keepaliveTimeoutMs ?? AGENT_CLIENT_DEFAULTS.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.max_pings_without_data': 0,
    // The agent runs its own reconnect loop with jitter; grpc-js should not add long waits.
    'grpc.initial_reconnect_backoff_ms': 1_000,
    'grpc.max_reconnect_backoff_ms': 5_000,
    ...(options.serverName === undefined
      ? {}
      : {
          'grpc.ssl_target_name_override': options.serverName,
          'grpc.default_authority': options.serverName,
        }),
  };
}

/** The TLS credentials described by the options; throws bad_parameter when nothing is trusted. */
export async function agentChannelCredentials(
  options: AgentServiceClientOptions,
): Promise<grpc.ChannelCredentials> {
  if ((options.keyPem === undefined) !== (options.certPem === undefined)) {
    throw AppError.badParameter('certPem', 'the key and the certificate go together');
  }
  const key = options.keyPem === undefined ? null : Buffer.from(options.keyPem);
  const cert = options.certPem === undefined ? null : Buffer.from(options.certPem);
  const pin = options.caPin === undefined ? undefined : normalizeCaPin(options.caPin);

  let ca: Buffer | undefined;
  if (options.caPem !== undefined) ca = Buffer.from(options.caPem);
  else if (options.caFile !== undefined) ca = await readCaFile(options.caFile);
  else if (pin !== undefined) {
    ca = Buffer.from(
      await fetchPinnedCa({
        address: options.address,
        pin,
        ...(options.serverName === undefined ? {} : { serverName: options.serverName }),
      }),
    );
  }

  if (ca === undefined) {
    if (options.insecureSkipVerify !== true) {
      throw AppError.badParameter(
        'ca',
        'no way to verify the control plane: give its CA pin (sha256:…) or CA file; --insecure-skip-verify accepts any server and is only for labs',
      );
    }
    return grpc.credentials.createSsl(null, key, cert, {
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
  }
  return grpc.credentials.createSsl(ca, key, cert, {
    checkServerIdentity: (host: string, peer: PeerCertificate) => {
      const hostError = checkServerIdentity(host, peer);
      if (hostError !== undefined) return hostError;
      if (pin !== undefined && !chainMatchesPin(peer, pin)) {
        return new Error(`the server chain does not contain the pinned CA sha256:${pin}`);
      }
      return undefined;
    },
  });
}

async function readCaFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new AppError(
      'bad_parameter',
      `cannot read the CA file ${file}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}
