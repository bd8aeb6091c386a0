// CA pinning for the agent port: the pin is the sha256 of the control plane CA certificate (DER),
// as `tmcp-server` prints it. Before an agent has the CA, it reads the server's TLS chain once,
// keeps the certificate whose digest equals the pin, and from then on trusts only that CA.
import { createHash, X509Certificate } from 'node:crypto';
import { connect, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import { AppError } from '@tmcp/errors';

/** Lower-case hex sha256; accepts a `sha256:` prefix and `:` separators. Throws bad_parameter. */
export function normalizeCaPin(pin: string, field = 'ca_pin'): string {
  const hex = pin
    .trim()
    .replace(/^sha256:/i, '')
    .replaceAll(':', '')
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw AppError.badParameter(
      field,
      'must be sha256:<64 hex digits> (the sha256 of the CA certificate)',
    );
  }
  return hex;
}

/** The pin of a certificate given as PEM or DER: sha256 of its DER encoding, lower-case hex. */
export function caPinOf(certificate: string | Buffer): string {
  const der = typeof certificate === 'string' ? new X509Certificate(certificate).raw : certificate;
  return createHash('sha256').update(der).digest('hex');
}

/** The certificates of a TLS peer chain, leaf first, each once (a self-signed root links to itself). */
export function peerChain(leaf: PeerCertificate | DetailedPeerCertificate): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  let current: PeerCertificate | DetailedPeerCertificate | undefined = leaf;
  while (current?.raw !== undefined) {
    const key = current.raw.toString('base64');
    if (seen.has(key)) break;
    seen.add(key);
    chain.push(current.raw);
    current = 'issuerCertificate' in current ? current.issuerCertificate : undefined;
  }
  return chain;
}

/** Whether a TLS peer chain contains the pinned certificate. */
export function chainMatchesPin(
  leaf: PeerCertificate | DetailedPeerCertificate,
  pin: string,
): boolean {
  return peerChain(leaf).some((der) => caPinOf(der) === pin);
}

export function derToPem(der: Buffer): string {
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

export interface FetchPinnedCaOptions {
  /** host:port */
  address: string;
  pin: string;
  serverName?: string;
  timeoutMs?: number;
}

/**
 * Connects once without verification, finds the pinned certificate in the server's chain and
 * returns it as PEM. The caller then verifies the server against it like any CA, so a server
 * that merely shows the pinned CA without holding a certificate it issued is still refused.
 */
export function fetchPinnedCa(options: FetchPinnedCaOptions): Promise<string> {
  const { host, port } = splitHostPort(options.address);
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      servername: options.serverName ?? (isIp(host) ? undefined : host),
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new AppError(
          'unavailable',
          `the control plane at ${options.address} did not complete a TLS handshake within ${timeoutMs / 1000} s; check the address and that the agent port is reachable.`,
        ),
      );
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const chain = peerChain(socket.getPeerCertificate(true));
      socket.end();
      const match = chain.find((der) => caPinOf(der) === options.pin);
      if (match === undefined && chain.length === 1) {
        reject(
          new AppError(
            'unauthenticated',
            `the control plane at ${options.address} sends only its own certificate, not its CA, so the CA pin cannot be checked; give its CA certificate with --ca-file instead (or have the server send its full chain)`,
          ),
        );
        return;
      }
      if (match === undefined) {
        reject(
          new AppError(
            'unauthenticated',
            `the control plane at ${options.address} presented no certificate matching the CA pin sha256:${options.pin}; check the pin (tmcp-server prints it) and that you reach the right server.`,
          ),
        );
        return;
      }
      resolve(derToPem(match));
    });
    socket.once('error', (err: Error) => {
      clearTimeout(timer);
      reject(
        new AppError(
          'unavailable',
          `cannot reach the control plane at ${options.address}: ${err.message}`,
          { cause: err },
        ),
      );
    });
  });
}

export function splitHostPort(address: string): { host: string; port: number } {
  const idx = address.lastIndexOf(':');
  const port = Number(address.slice(idx + 1));
  if (idx <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw AppError.badParameter('server', `"${address}" must have the form host:port`);
  }
  return { host: address.slice(0, idx).replace(/^\[(.*)\]$/, '$1'), port };
}

function isIp(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(':');
}
