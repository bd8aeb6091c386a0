// Identity files in the layout `tctl auth sign --format=file` writes (private key, SSH
// certificate, TLS certificate, trusted TLS CA, SSH CA line). The simulator's claims (user,
// cluster, expiry) ride inside the TLS certificate's base64 body, so the file looks real and
// the simulator can still read it back.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { TeleportError } from '../cli/teleport-error.js';

export interface IdentityClaims {
  user: string;
  cluster: string;
  /** Milliseconds since the epoch. */
  notAfter: number;
  /** Access requests whose roles the certificate carries (`tsh login --request-id`, drop). */
  activeRequests?: string[];
}

const MARKER = 'teleport-sim-identity:';
const claimsSchema = z.object({
  user: z.string().min(1),
  cluster: z.string(),
  notAfter: z.number(),
  activeRequests: z.array(z.string()).optional(),
});

function pemBlock(label: string, body: Buffer): string {
  const b64 = body.toString('base64').replace(/.{1,64}/g, (line) => `${line}\n`);
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

export function renderIdentityFile(claims: IdentityClaims): string {
  // A DER-ish prefix keeps the block looking like a certificate to a casual reader.
  const der = Buffer.concat([
    Buffer.from([0x30, 0x82, 0x03, 0x1a, 0x30, 0x82, 0x02, 0x02, 0xa0, 0x03, 0x02, 0x01, 0x02]),
    randomBytes(24),
    Buffer.from(MARKER + JSON.stringify(claims)),
    randomBytes(48),
  ]);
  const sshCert = Buffer.concat([
    Buffer.from('\x00\x00\x00\x1cssh-ed25519-cert-v01@openssh.com'),
    randomBytes(96),
  ]).toString('base64');
  const sshCa = Buffer.concat([
    Buffer.from('\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20'),
    randomBytes(32),
  ]).toString('base64');
  return (
    pemBlock(
      'PRIVATE KEY',
      Buffer.concat([Buffer.from([0x30, 0x2e, 0x02, 0x01, 0x00]), randomBytes(43)]),
    ) +
    `ssh-ed25519-cert-v01@openssh.com ${sshCert}\n` +
    pemBlock('CERTIFICATE', der) +
    pemBlock(
      'CERTIFICATE',
      Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0xf0]), randomBytes(120)]),
    ) +
    `@cert-authority ${claims.cluster},*.${claims.cluster} ssh-ed25519 ${sshCa} clustername=${claims.cluster}&type=host\n`
  );
}

export function writeIdentityFile(path: string, claims: IdentityClaims): void {
  writeFileSync(path, renderIdentityFile(claims), { mode: 0o600 });
}

/** Reads the claims back; errors as tsh/tctl report an unreadable identity file. */
export function readIdentityFile(path: string): IdentityClaims {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw TeleportError.notFound(`open ${path}: no such file or directory`);
    throw TeleportError.accessDenied(`open ${path}: permission denied`);
  }
  for (const match of text.matchAll(
    /-----BEGIN CERTIFICATE-----\n([\s\S]*?)-----END CERTIFICATE-----/g,
  )) {
    const body = Buffer.from((match[1] ?? '').replace(/\s+/g, ''), 'base64').toString('latin1');
    const at = body.indexOf(MARKER);
    if (at < 0) continue;
    const start = at + MARKER.length;
    const end = body.indexOf('}', start);
    const parsed = claimsSchema.safeParse(safeJson(body.slice(start, end + 1)));
    if (parsed.success) {
      const { activeRequests, ...claims } = parsed.data;
      return activeRequests?.length ? { ...claims, activeRequests } : claims;
    }
  }
  throw TeleportError.badParameter(
    `failed to parse identity file ${path}: no TLS certificate found`,
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
