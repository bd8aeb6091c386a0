// How the admin gRPC port is protected: always TLS, because API keys travel in its metadata.
// With `grpc.tls` it serves the configured certificate; without it, a certificate issued by the
// control plane's own CA (the one agents trust), whose file `tmcpctl --ca` takes.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import type { ServerCredentialsPem } from '../agents/certificate-authority.js';

export interface AdminTransport {
  credentials: grpc.ServerCredentials;
  /** The CA certificate file clients trust, when the certificate comes from the internal CA. */
  caFile: string | undefined;
}

/** The control plane's own CA, as far as the admin port needs it. */
export interface InternalCertificateSource {
  readonly certificatePem: string;
  /** Where the CA certificate is on disk (what `tmcpctl --ca` reads). */
  readonly certificateFile: string;
  issueServerCertificate(names: readonly string[]): Promise<ServerCredentialsPem>;
}

export type ReadFile = (path: string) => Buffer;

export async function adminTransport(
  grpcConfig: ServerConfig['grpc'],
  internal: InternalCertificateSource,
  readFile: ReadFile = readFileSync,
): Promise<AdminTransport> {
  const { certFile, keyFile, caFile } = grpcConfig.tls;
  if (certFile !== undefined && keyFile !== undefined) {
    const cert = readTlsFile('grpc.tls.cert_file', certFile, readFile);
    const key = readTlsFile('grpc.tls.key_file', keyFile, readFile);
    // ca_file is kept for client-certificate authentication (not requested yet: see the
    // certificate seam in AdminCallerAuthenticator).
    if (caFile !== undefined) readTlsFile('grpc.tls.ca_file', caFile, readFile);
    return {
      credentials: grpc.ServerCredentials.createSsl(
        null,
        [{ cert_chain: cert, private_key: key }],
        false,
      ),
      caFile: undefined,
    };
  }
  if (caFile !== undefined) {
    throw new AppError(
      'bad_parameter',
      'grpc.tls.ca_file is set without grpc.tls.cert_file and grpc.tls.key_file: the admin API needs a server certificate and key to serve TLS',
    );
  }
  const identity = await internal.issueServerCertificate([grpcConfig.host]);
  return {
    credentials: grpc.ServerCredentials.createSsl(
      null,
      [
        {
          // The chain lets a client that pins the CA verify without a separate file.
          cert_chain: Buffer.from(identity.certPem + internal.certificatePem),
          private_key: Buffer.from(identity.keyPem),
        },
      ],
      false,
    ),
    caFile: internal.certificateFile,
  };
}

function readTlsFile(key: string, file: string, readFile: ReadFile): Buffer {
  try {
    return readFile(file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new AppError(
      'bad_parameter',
      `${key}: cannot read ${file} (${typeof code === 'string' ? code : 'unreadable'})`,
      { cause: error },
    );
  }
}
