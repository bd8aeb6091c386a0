// Turns one JSON body posted by Teleport's event handler into the row we store. Tolerant by
// design (TELEPORT.md §0/§3.8): only `event` and `time` are required, unknown fields are kept,
// and optional fields of an unexpected type are ignored rather than rejected.
import { createHash } from 'node:crypto';
import { AppError } from '@tmcp/errors';
import { z } from 'zod';
import type { NormalizedAuditEvent } from './audit-event.js';
import { redactAuditEvent } from './audit-event-redaction.js';

const MAX_TEXT = 256;
const MAX_EVENT_TYPE = 128;
/** Teleport codes end in I (info), W (warning: a failed login) or E (error). */
const FAILURE_CODE = /[WE]$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** An optional text field: kept when it is a non-empty string, otherwise ignored. */
const optionalText = z.string().trim().min(1).max(MAX_TEXT).optional().catch(undefined);

const auditEventSchema = z.looseObject({
  event: z
    .string({ error: 'is required: the event type, e.g. "user.login"' })
    .trim()
    .min(1, 'must not be empty')
    .max(MAX_EVENT_TYPE, `must be at most ${MAX_EVENT_TYPE} characters`),
  time: z
    .string({ error: 'is required: an RFC 3339 timestamp' })
    .refine(
      (value) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)),
      'must be an RFC 3339 timestamp, e.g. "2025-05-23T11:11:11.111Z"',
    ),
  uid: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`)
    .optional(),
  code: optionalText,
  user: optionalText,
  cluster_name: optionalText,
  success: z.boolean().optional().catch(undefined),
});

/**
 * Validates and normalizes one posted event. Throws `bad_parameter` naming the field at fault;
 * nothing about a rejected body is stored.
 */
export function normalizeAuditEvent(body: unknown): NormalizedAuditEvent {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw AppError.badParameter('body', 'must be one JSON object (one audit event per request)');
  }
  const parsed = auditEventSchema.safeParse(body);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const path = issue?.path.map(String).join('.') ?? '';
    const field = path === '' ? 'body' : path;
    throw AppError.badParameter(field, issue?.message ?? 'is invalid');
  }
  const { event, time, uid, code, user, cluster_name: cluster, success } = parsed.data;
  const raw = redactAuditEvent(body as Record<string, unknown>);
  return {
    // Without a uid (some event sources omit it) the content identifies the event, as the event
    // handler itself does, so a re-delivery still deduplicates.
    uid: uid ?? derivedUid(raw),
    event,
    code: code ?? null,
    time: new Date(time),
    user: user ?? null,
    // Many Teleport events have no `success` field; a failure code still says it failed.
    success: success ?? (code !== undefined && FAILURE_CODE.test(code) ? false : null),
    cluster: cluster ?? null,
    raw,
  };
}

/** sha256 of the event's canonical JSON (keys sorted at every level), lower-case hex. */
export function derivedUid(event: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(event)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
