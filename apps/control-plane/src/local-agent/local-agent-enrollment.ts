// Whether the local agent must enroll (again) before it can run: decided from what its data
// dir holds (agent.json and ca.crt, as `tmcp-agent enroll` writes them) and this control
// plane's CA. Pure: the supervisor reads the files and passes their text.
import { createHash, X509Certificate } from 'node:crypto';
import { z } from 'zod';

/** The files of an enrolled agent, by the names `tmcp-agent enroll` gives them. */
export const AGENT_RECORD_FILE = 'agent.json';
export const AGENT_CA_FILE = 'ca.crt';

export interface StoredEnrollment {
  /** Text of agent.json, undefined when the file is missing. */
  readonly recordText: string | undefined;
  /** Text of ca.crt, undefined when the file is missing. */
  readonly caPem: string | undefined;
}

export type EnrollmentDecision =
  | { readonly enroll: false }
  | { readonly enroll: true; readonly reason: string; readonly replace: boolean };

/**
 * Enroll when there is no identity, when it was issued by another CA (the CA dir was replaced,
 * or the data dir belongs to another control plane), or when its certificate has expired (it
 * can no longer renew it).
 */
export function decideEnrollment(
  stored: StoredEnrollment,
  ourCaPin: string,
  now: Date,
): EnrollmentDecision {
  if (stored.recordText === undefined) {
    return { enroll: true, reason: 'not enrolled yet', replace: false };
  }
  const notAfter = recordNotAfter(stored.recordText);
  if (notAfter === undefined) {
    return { enroll: true, reason: `${AGENT_RECORD_FILE} is unreadable`, replace: true };
  }
  const storedPin = stored.caPem === undefined ? undefined : caPinOf(stored.caPem);
  if (storedPin === undefined) {
    return { enroll: true, reason: `${AGENT_CA_FILE} is missing or unreadable`, replace: true };
  }
  if (normalizePin(storedPin) !== normalizePin(ourCaPin)) {
    return { enroll: true, reason: 'enrolled with another control plane CA', replace: true };
  }
  if (notAfter.getTime() <= now.getTime()) {
    return { enroll: true, reason: 'its certificate has expired', replace: true };
  }
  return { enroll: false };
}

/** `sha256:<hex>` of a PEM certificate's DER, or undefined when it does not parse. */
export function caPinOf(pem: string): string | undefined {
  try {
    return `sha256:${createHash('sha256').update(new X509Certificate(pem).raw).digest('hex')}`;
  } catch {
    return undefined;
  }
}

function normalizePin(pin: string): string {
  return pin
    .trim()
    .replace(/^sha256:/i, '')
    .replaceAll(':', '')
    .toLowerCase();
}

const recordSchema = z.object({ not_after: z.iso.datetime({ offset: true }) });

function recordNotAfter(text: string): Date | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = recordSchema.safeParse(raw);
  return parsed.success ? new Date(parsed.data.not_after) : undefined;
}
