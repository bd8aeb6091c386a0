// Checks of what the control plane returns from Enroll and RenewCertificate before the agent
// stores it: the certificate is for our key, issued by the CA it sent, and that CA is the pinned
// one. A server that fails them is not trusted with the agent's identity.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { caPinOf } from '@tmcp/client';
import { AppError } from '@tmcp/errors';

export interface IssuedIdentity {
  agentId: string;
  certPem: string;
  caPem: string;
  notAfter: Date;
  renewAfter: Date;
}

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

export function verifyIssuedCertificate(
  response: {
    agentId: string;
    certificatePem: string;
    caPem: string;
    notAfter?: Timestamp | undefined;
    renewAfter?: Timestamp | undefined;
  },
  keyPem: string,
  expectedCaPin: string | undefined,
): IssuedIdentity {
  const bad = (what: string): AppError =>
    new AppError('unauthenticated', `the control plane's answer was refused: ${what}`);
  if (!AGENT_ID.test(response.agentId)) throw bad('the agent id is missing or malformed');
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(response.certificatePem);
    ca = new X509Certificate(response.caPem);
  } catch (err) {
    throw new AppError(
      'unauthenticated',
      "the control plane's answer was refused: it holds no valid PEM certificate",
      { cause: err },
    );
  }
  if (!cert.checkPrivateKey(createPrivateKey(keyPem)))
    throw bad('the certificate is not for the key this agent generated');
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
    throw bad('the certificate is not signed by the CA it sent');
  if (expectedCaPin !== undefined && caPinOf(ca.raw) !== expectedCaPin)
    throw bad('its CA does not match the CA pin');
  const notAfter =
    response.notAfter === undefined ? new Date(cert.validTo) : timestampDate(response.notAfter);
  const notBefore = new Date(cert.validFrom);
  const renewAfter =
    response.renewAfter === undefined
      ? new Date(notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) / 2)
      : timestampDate(response.renewAfter);
  return {
    agentId: response.agentId,
    certPem: response.certificatePem,
    caPem: response.caPem,
    notAfter,
    renewAfter,
  };
}

/** The subject CN of a certificate (the agent id the control plane assigned). */
export function certificateCommonName(certPem: string): string | undefined {
  const subject = new X509Certificate(certPem).subject;
  return /^CN=(.+)$/m.exec(subject)?.[1];
}
