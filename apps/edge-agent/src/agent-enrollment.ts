// `tmcp-agent enroll`: generate a key pair, send the CSR with the one-time join token, verify
// what comes back, store the identity in the data dir. The server is verified by CA pin or CA
// file; with neither the agent refuses unless --insecure-skip-verify was given explicitly.
import { hostname } from 'node:os';
import { readFile } from 'node:fs/promises';
import {
  caPinOf,
  createAgentServiceClient,
  generateAgentKeyAndCsr,
  normalizeCaPin,
} from '@tmcp/client';
import { AppError } from '@tmcp/errors';
import { EnrollmentStore } from './enrollment-store.js';
import { verifyIssuedCertificate } from './issued-certificate.js';

export interface EnrollOptions {
  server: string;
  token: string;
  caPin?: string | undefined;
  caFile?: string | undefined;
  serverName?: string | undefined;
  dataDir: string;
  labels: Record<string, string>;
  name?: string | undefined;
  insecureSkipVerify: boolean;
  force: boolean;
  agentVersion: string;
  /** Where warnings go (stderr). */
  warn: (line: string) => void;
}

export interface EnrollResult {
  agentId: string;
  notAfter: Date;
  caPin: string;
}

export async function enrollAgent(options: EnrollOptions): Promise<EnrollResult> {
  const token = options.token.trim();
  if (token === '')
    throw AppError.badParameter('token', 'is required (tmcpctl tokens create prints one)');
  const pin = options.caPin === undefined ? undefined : normalizeCaPin(options.caPin, '--ca-pin');
  const caPem = options.caFile === undefined ? undefined : await readCa(options.caFile);
  if (pin === undefined && caPem === undefined) {
    if (!options.insecureSkipVerify) {
      throw AppError.badParameter(
        '--ca-pin',
        'give the control plane CA pin (--ca-pin sha256:…) or its CA file (--ca-file); --insecure-skip-verify enrolls without verifying the server',
      );
    }
    options.warn(
      'WARNING: --insecure-skip-verify: the control plane is NOT verified; anyone on the path could impersonate it. Use --ca-pin in production.',
    );
  }
  const store = new EnrollmentStore(options.dataDir);
  if (!options.force && (await store.exists())) {
    throw new AppError(
      'already_exists',
      `this agent is already enrolled (${options.dataDir}); pass --force to enroll it again with a new identity`,
    );
  }
  const name = options.name ?? shortHostname();
  const { keyPem, csrPem } = await generateAgentKeyAndCsr(name);
  const client = await createAgentServiceClient({
    address: options.server,
    ...(caPem === undefined ? {} : { caPem }),
    ...(pin === undefined ? {} : { caPin: pin }),
    ...(options.serverName === undefined ? {} : { serverName: options.serverName }),
    insecureSkipVerify: options.insecureSkipVerify,
  });
  let response;
  try {
    response = await client.enroll({
      joinToken: token,
      csrPem,
      hostname: hostname(),
      labels: options.labels,
      agentVersion: options.agentVersion,
    });
  } catch (err) {
    throw describeEnrollFailure(err, options.server);
  } finally {
    client.close();
  }
  const issued = verifyIssuedCertificate(response, keyPem, pin);
  const issuedPin = caPinOf(issued.caPem);
  if (pin === undefined && caPem === undefined) {
    options.warn(
      `WARNING: trusting the CA the server sent (sha256:${issuedPin}); compare it with the pin tmcp-server prints.`,
    );
  }
  await store.ensureDir();
  await store.save({
    keyPem,
    certPem: issued.certPem,
    caPem: issued.caPem,
    record: {
      agent_id: issued.agentId,
      server_address: options.server,
      ...(options.serverName === undefined ? {} : { server_name: options.serverName }),
      ca_pin: issuedPin,
      enrolled_at: new Date().toISOString(),
      not_after: issued.notAfter.toISOString(),
      renew_after: issued.renewAfter.toISOString(),
    },
  });
  return { agentId: issued.agentId, notAfter: issued.notAfter, caPin: issuedPin };
}

function describeEnrollFailure(err: unknown, server: string): AppError {
  if (!(err instanceof AppError)) return AppError.internal(err);
  switch (err.code) {
    case 'unavailable':
    case 'unreachable':
    case 'timeout':
      return new AppError(
        err.code,
        `cannot reach the control plane at ${server}: ${err.message}; check the address and that the agent port is open`,
        { cause: err },
      );
    default:
      // The server's own message (bad, reused or expired token …) says what to do.
      return new AppError(err.code, `enrollment refused by the control plane: ${err.message}`, {
        cause: err,
      });
  }
}

async function readCa(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError(
      'bad_parameter',
      `cannot read the CA file ${file}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function shortHostname(): string {
  const host = hostname().split('.')[0] ?? 'agent';
  const cleaned = host
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return cleaned === '' ? 'agent' : cleaned;
}

/** `k=v,k2=v2` → record; bad_parameter for anything else. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === undefined || text.trim() === '') return labels;
  for (const part of text.split(',')) {
    const idx = part.indexOf('=');
    const key = part.slice(0, idx).trim();
    const value = part.slice(idx + 1).trim();
    if (idx <= 0 || !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/.test(key) || value.length > 255) {
      throw AppError.badParameter(
        '--labels',
        `"${part}" must be key=value (keys: letters, digits, . _ / -)`,
      );
    }
    labels[key] = value;
  }
  return labels;
}
