// Test support: a throwaway certificate authority that issues server certificates and signs
// agent CSRs, so tests can run real gRPC over mutual TLS without openssl or fixtures.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { caPinOf } from '../ca-pin.js';

x509.cryptoProvider.set(webcrypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface IssuedCertificate {
  keyPem: string;
  certPem: string;
}

export class TestPki {
  private constructor(
    private readonly caKeys: webcrypto.CryptoKeyPair,
    private readonly caCert: x509.X509Certificate,
  ) {}

  static async create(commonName = 'tmcp-test-ca'): Promise<TestPki> {
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=${commonName}`,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 24 * 3600_000),
      keys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new TestPki(keys, cert);
  }

  get caPem(): string {
    return `${this.caCert.toString('pem')}\n`;
  }

  /** sha256 of the CA certificate, lower-case hex. */
  get caPin(): string {
    return caPinOf(this.caPem);
  }

  /** A server certificate for 127.0.0.1 and localhost; certPem holds the leaf then the CA. */
  async issueServerCert(): Promise<IssuedCertificate> {
    const keys = await newKeys();
    const cert = await this.issue(keys.publicKey, 'CN=localhost', 3600, [
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ]);
    return {
      keyPem: await keyPem(keys.privateKey),
      certPem: `${cert.toString('pem')}\n${this.caPem}`,
    };
  }

  /** A client certificate with the given subject CN. */
  async issueClientCert(commonName: string, ttlSeconds = 3600): Promise<IssuedCertificate> {
    const keys = await newKeys();
    const cert = await this.issue(keys.publicKey, `CN=${commonName}`, ttlSeconds, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ]);
    return { keyPem: await keyPem(keys.privateKey), certPem: `${cert.toString('pem')}\n` };
  }

  /** Signs a PKCS#10 CSR as a client certificate for `commonName` (the CSR's subject is ignored). */
  async signCsr(
    csrPem: string,
    commonName: string,
    ttlSeconds = 3600,
  ): Promise<{ certPem: string; notBefore: Date; notAfter: Date }> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!(await csr.verify())) throw new Error('CSR signature does not verify');
    const publicKey = await webcrypto.subtle.importKey(
      'spki',
      csr.publicKey.rawData,
      ALGORITHM,
      true,
      ['verify'],
    );
    const cert = await this.issue(publicKey, `CN=${commonName}`, ttlSeconds, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ]);
    return {
      certPem: `${cert.toString('pem')}\n`,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
    };
  }

  private async issue(
    publicKey: webcrypto.CryptoKey,
    subject: string,
    ttlSeconds: number,
    extensions: x509.Extension[],
  ): Promise<x509.X509Certificate> {
    const notBefore = new Date(Date.now() - 60_000);
    return x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: this.caCert.subject,
      notBefore,
      notAfter: new Date(Date.now() + ttlSeconds * 1000),
      publicKey,
      signingKey: this.caKeys.privateKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.AuthorityKeyIdentifierExtension.create(this.caKeys.publicKey),
        ...extensions,
      ],
    });
  }
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  return `${x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY')}\n`;
}

function serial(): string {
  // Positive (first bit clear) 16-byte serial.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}
