// The agent's key pair and certificate signing request: ECDSA P-256, generated locally so the
// private key never leaves the host; the control plane's CA signs the CSR (Enroll, Renew).
import 'reflect-metadata'; // @peculiar/x509 resolves its services through tsyringe
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AppError } from '@tmcp/errors';

x509.cryptoProvider.set(webcrypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface AgentKeyAndCsr {
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`); store it with mode 0600. */
  keyPem: string;
  /** PKCS#10 PEM with subject CN=<agentName>. */
  csrPem: string;
}

/** A fresh P-256 key and a CSR for it; the name only suggests a subject, the CA assigns the id. */
export async function generateAgentKeyAndCsr(agentName: string): Promise<AgentKeyAndCsr> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(agentName)) {
    throw AppError.badParameter(
      'name',
      'must be 1..63 letters, digits, ".", "_", "-" starting with a letter or digit',
    );
  }
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${agentName}`,
    keys: keys,
    signingAlgorithm: ALGORITHM,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    keyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`,
    csrPem: `${csr.toString('pem')}\n`,
  };
}
