// The control plane's agent CA (DESIGN §3.5): an ECDSA P-256 key and a self-signed certificate
// in `agentService.caDir` (dir 0700, key 0600), created at first start. It signs the agent-port
// server certificate and the agents' short-lived client certificates, and checks that a peer
// certificate is one of its own.
//
// Replicas must share the CA: in Kubernetes mount one Secret (`ca.key`, `ca.crt`) at caDir.
// Without one, the first replica to start creates it; the key file is published with an
// exclusive hard link, so two replicas starting at once agree on one CA (the loser loads the
// winner's). The CA is not stored in Postgres: a database dump must not hold a signing key.
// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect polyfill.
import 'reflect-metadata';
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { AppError } from '@tmcp/errors';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const CA_LIFETIME_DAYS = 3650;
const SERVER_CERT_LIFETIME_DAYS = 90;
/** Tolerated clock skew between this host and agents when a certificate starts. */
const BACKDATE_MS = 5 * 60_000;
const CA_KEY_FILE = 'ca.key';
const CA_CERT_FILE = 'ca.crt';
const DAY_MS = 86_400_000;

export const AGENT_URI_PREFIX = 'spiffe://tmcp/agent/';

/** The key types accepted in an agent's CSR (what both @peculiar/x509 and OpenSSL handle). */
const ACCEPTED_CURVES = new Set(['P-256', 'P-384']);

export interface IssuedCertificate {
  readonly pem: string;
  readonly serial: string;
  /** sha256 of the DER certificate, lower-case hex. */
  readonly fingerprint: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface ServerCredentialsPem {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A client certificate this CA signed, as read from a TLS peer. */
export interface VerifiedPeer {
  readonly agentId: string;
  readonly serial: string;
  readonly fingerprint: string;
  readonly notAfter: Date;
}

export class CertificateAuthority {
  private constructor(
    private readonly cert: x509.X509Certificate,
    private readonly key: CryptoKey,
    /** The CA certificate file (what clients of the admin port trust with `tmcpctl --ca`). */
    readonly certificateFile: string,
  ) {}

  /** Loads the CA from `dir`, creating it on first start. */
  static async loadOrCreate(dir: string, now = new Date()): Promise<CertificateAuthority> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyPath = path.join(dir, CA_KEY_FILE);
    const certPath = path.join(dir, CA_CERT_FILE);
    const existing = await readIfExists(keyPath);
    if (existing === undefined) await createCa(dir, keyPath, certPath, now);
    return CertificateAuthority.load(keyPath, certPath);
  }

  private static async load(keyPath: string, certPath: string): Promise<CertificateAuthority> {
    const keyPem = await readFile(keyPath, 'utf8');
    const certPem = await waitForFile(certPath);
    try {
      const cert = new x509.X509Certificate(certPem);
      const key = await webcrypto.subtle.importKey(
        'pkcs8',
        x509.PemConverter.decodeFirst(keyPem),
        KEY_ALGORITHM,
        false,
        ['sign'],
      );
      return new CertificateAuthority(cert, key, certPath);
    } catch (error) {
      throw new AppError(
        'precondition_failed',
        `the agent CA in ${path.dirname(keyPath)} is unreadable (${CA_KEY_FILE} must be a PKCS#8 P-256 key, ${CA_CERT_FILE} its certificate): restore both files or remove both to create a new CA`,
        { cause: error },
      );
    }
  }

  get certificatePem(): string {
    return this.cert.toString('pem');
  }

  /** `sha256:<hex of the CA certificate DER>`, the pin agents check at enrollment. */
  get pin(): string {
    return `sha256:${sha256Hex(this.cert.rawData)}`;
  }

  /** A fresh key and certificate for a port of this control plane (kept in memory, re-issued each start). */
  async issueServerCertificate(
    names: readonly string[],
    now = new Date(),
  ): Promise<ServerCredentialsPem> {
    const keys = await generateKeys(true);
    const dns = new Set(['localhost', hostname()]);
    const ips = new Set(['127.0.0.1', '::1']);
    for (const name of names) {
      if (name === '' || name === '0.0.0.0' || name === '::') continue;
      if (/^[0-9.]+$/.test(name) || name.includes(':')) ips.add(name.replace(/^\[|\]$/g, ''));
      else dns.add(name);
    }
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: 'CN=tmcp agent service',
      issuer: this.cert.subject,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + SERVER_CERT_LIFETIME_DAYS * DAY_MS),
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: this.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...[...dns].map((value) => ({ type: 'dns' as const, value })),
          ...[...ips].map((value) => ({ type: 'ip' as const, value })),
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert.publicKey),
      ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    return {
      certPem: `${cert.toString('pem')}\n`,
      keyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`,
    };
  }

  /**
   * Verifies an agent's CSR (PEM PKCS#10: signature, key type) and signs a client certificate
   * for `agentId` valid `ttlSeconds`. The CSR's subject is ignored: identity is ours to assign.
   */
  async signAgentCsr(
    csrPem: string,
    agentId: string,
    ttlSeconds: number,
    now = new Date(),
  ): Promise<IssuedCertificate> {
    const csr = await parseCsr(csrPem);
    const notBefore = new Date(now.getTime() - BACKDATE_MS);
    const notAfter = new Date(now.getTime() + ttlSeconds * 1000);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `CN=${agentId}`,
      issuer: this.cert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey: csr.publicKey,
      signingKey: this.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'url', value: `${AGENT_URI_PREFIX}${agentId}` },
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert.publicKey),
      ],
    });
    return {
      pem: `${cert.toString('pem')}\n`,
      serial: cert.serialNumber.toLowerCase(),
      fingerprint: sha256Hex(cert.rawData),
      notBefore,
      notAfter,
    };
  }

  /**
   * Checks a TLS peer certificate (DER): signed by this CA, within its validity, carrying an
   * agent identity. grpc-js only hands over certificates TLS verified against our CA; this
   * re-checks (defense in depth: a CA rotation, a misconfigured trust store) and extracts the id.
   */
  async verifyPeer(der: Uint8Array, now = new Date()): Promise<VerifiedPeer> {
    let cert: x509.X509Certificate;
    try {
      cert = new x509.X509Certificate(der);
    } catch (error) {
      throw new AppError(
        'unauthenticated',
        'the client certificate is unreadable: enroll the agent again',
        { cause: error },
      );
    }
    const signedByUs =
      cert.issuer === this.cert.subject &&
      (await cert
        .verify({ publicKey: this.cert.publicKey, signatureOnly: true })
        .catch(() => false));
    if (!signedByUs) {
      throw new AppError(
        'unauthenticated',
        'the client certificate was not issued by this control plane: enroll the agent with a join token from this control plane',
      );
    }
    if (now < cert.notBefore || now > cert.notAfter) {
      throw new AppError(
        'credentials_expired',
        `the agent certificate is not valid now (valid ${cert.notBefore.toISOString()} – ${cert.notAfter.toISOString()}): enroll the agent again`,
      );
    }
    const agentId = agentIdOf(cert);
    if (agentId === undefined) {
      throw new AppError('unauthenticated', 'the client certificate carries no agent identity');
    }
    return {
      agentId,
      serial: cert.serialNumber.toLowerCase(),
      fingerprint: sha256Hex(cert.rawData),
      notAfter: cert.notAfter,
    };
  }
}

async function createCa(dir: string, keyPath: string, certPath: string, now: Date): Promise<void> {
  const keys = await generateKeys(true);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=tmcp agent CA ${randomBytes(4).toString('hex')}`,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_LIFETIME_DAYS * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmpKey = path.join(dir, `.${CA_KEY_FILE}.${suffix}`);
  const tmpCert = path.join(dir, `.${CA_CERT_FILE}.${suffix}`);
  await writeFile(tmpKey, `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  await chmod(tmpKey, 0o600);
  await writeFile(tmpCert, `${cert.toString('pem')}\n`, { mode: 0o644, flag: 'wx' });
  try {
    // link() fails with EEXIST when another replica published its key first: theirs wins.
    await link(tmpKey, keyPath);
    await rename(tmpCert, certPath);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  } finally {
    await rm(tmpKey, { force: true });
    await rm(tmpCert, { force: true });
  }
}

async function generateKeys(extractable: boolean): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, extractable, ['sign', 'verify']);
}

const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * The agent name a CSR proposes (its subject CN, `tmcp-agent enroll --name`), when it is a
 * valid name; undefined otherwise. Only a name: the identity is the id the CA assigns.
 */
export function proposedAgentName(csrPem: string): string | undefined {
  try {
    const cn = new x509.Pkcs10CertificateRequest(csrPem).subjectName.getField('CN')[0];
    return cn !== undefined && AGENT_NAME.test(cn) ? cn : undefined;
  } catch {
    return undefined;
  }
}

async function parseCsr(csrPem: string): Promise<x509.Pkcs10CertificateRequest> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw AppError.badParameter(
      'csr_pem',
      'is not a PEM-encoded PKCS#10 certificate signing request',
    );
  }
  const algorithm = csr.publicKey.algorithm as Partial<webcrypto.EcKeyAlgorithm>;
  if (
    algorithm.name !== 'ECDSA' ||
    algorithm.namedCurve === undefined ||
    !ACCEPTED_CURVES.has(algorithm.namedCurve)
  ) {
    throw AppError.badParameter('csr_pem', 'must be for an ECDSA P-256 or P-384 key');
  }
  const valid = await csr.verify().catch(() => false);
  if (!valid) throw AppError.badParameter('csr_pem', 'has an invalid signature');
  return csr;
}

function agentIdOf(cert: x509.X509Certificate): string | undefined {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const uri = san?.names.items.find(
    (name) => name.type === 'url' && name.value.startsWith(AGENT_URI_PREFIX),
  );
  const fromUri = uri?.value.slice(AGENT_URI_PREFIX.length);
  const fromCn = cert.subjectName.getField('CN')[0];
  // Both are written by signAgentCsr; a certificate where they disagree is not ours.
  return fromUri !== undefined && fromUri === fromCn ? fromUri : undefined;
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01; // positive, no leading zero byte
  return bytes.toString('hex');
}

export function sha256Hex(data: ArrayBuffer | Uint8Array): string {
  return createHash('sha256')
    .update(data instanceof Uint8Array ? data : new Uint8Array(data))
    .digest('hex');
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The certificate lands just after the key when another replica is creating the CA. */
async function waitForFile(file: string): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const text = await readIfExists(file);
    if (text !== undefined) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new AppError(
    'precondition_failed',
    `the agent CA key exists but ${file} is missing: restore the certificate, or remove ${path.dirname(file)}/${CA_KEY_FILE} to create a new CA`,
  );
}
