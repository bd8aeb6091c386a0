// How the admin gRPC port is protected: always TLS, because API keys travel in its metadata.
// With `grpc.tls.cert_file`/`key_file` it serves the configured certificate; without them, a
// certificate issued by the control plane's own CA (the one agents trust), whose file
// `tmcpctl --ca` takes. With `grpc.tls.ca_file` it also asks clients for a certificate — asks,
// not requires, so API keys keep working; AdminClientCertificates verifies what is presented.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { ServerConfig } from '@tmcp/config';
import type { ServerCredentialsPem } from '../agents/certificate-authority.js';
import { readConfiguredFile, type ReadFile } from '../common/configured-file.js';

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

export async function adminTransport(
  grpcConfig: ServerConfig['grpc'],
  internal: InternalCertificateSource,
  readFile: ReadFile = readFileSync,
): Promise<AdminTransport> {
  const { certFile, keyFile, caFile } = grpcConfig.tls;
  const clientCa =
    caFile === undefined ? null : readConfiguredFile('grpc.tls.ca_file', caFile, readFile);
  if (certFile !== undefined && keyFile !== undefined) {
    const cert = readConfiguredFile('grpc.tls.cert_file', certFile, readFile);
    const key = readConfiguredFile('grpc.tls.key_file', keyFile, readFile);
    return { credentials: serverCredentials(cert, key, clientCa), caFile: undefined };
  }
  const identity = await internal.issueServerCertificate([grpcConfig.host]);
  return {
    credentials: serverCredentials(
      // The chain lets a client that pins the CA verify without a separate file.
      Buffer.from(identity.certPem + internal.certificatePem),
      Buffer.from(identity.keyPem),
      clientCa,
    ),
    caFile: internal.certificateFile,
  };
}

function serverCredentials(
  certificate: Buffer,
  privateKey: Buffer,
  clientCa: Buffer | null,
): grpc.ServerCredentials {
  if (clientCa === null) {
    return grpc.ServerCredentials.createSsl(
      null,
      [{ cert_chain: certificate, private_key: privateKey }],
      false,
    );
  }
  // createSsl can only require client certificates or not ask for them; the provider form asks
  // (requestCert) without requiring (rejectUnauthorized false). grpc-js registers its watcher
  // after adding these listeners: answer asynchronously.
  const provider: grpc.experimental.CertificateProvider = {
    addCaCertificateListener: (listener) =>
      queueMicrotask(() => listener({ caCertificate: clientCa })),
    removeCaCertificateListener: () => undefined,
    addIdentityCertificateListener: (listener) =>
      queueMicrotask(() => listener({ certificate, privateKey })),
    removeIdentityCertificateListener: () => undefined,
  };
  return grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false);
}
