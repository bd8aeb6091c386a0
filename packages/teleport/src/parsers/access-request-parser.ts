// `tsh request ls/show --format=json` (AccessRequestV3, TELEPORT.md §2.10): `state` and review
// `proposed_state` are enum numbers in the JSON, names in some other outputs; both are accepted.
import { z } from 'zod';
import { AppError } from '@tmcp/errors';
import { assertCompleteOutput } from '../output-truncation.js';
import {
  arrayOf,
  asJson,
  enumOf,
  labelValues,
  metadataSchema,
  optionalString,
  optionalTime,
  parseList,
  parseOne,
  stringList,
} from './tolerant-schemas.js';

export const ACCESS_REQUEST_STATES = ['NONE', 'PENDING', 'APPROVED', 'DENIED', 'PROMOTED'] as const;
export type AccessRequestState = (typeof ACCESS_REQUEST_STATES)[number] | 'UNKNOWN';

export interface AccessRequestReview {
  author: string;
  proposedState: AccessRequestState;
  reason?: string;
  created?: string;
  roles: string[];
}

export interface AccessRequestResourceId {
  cluster: string;
  kind: string;
  name: string;
  subResource?: string;
}

export interface AccessRequest {
  id: string;
  user: string;
  roles: string[];
  state: AccessRequestState;
  created?: string;
  /** When the request itself expires. */
  expires?: string;
  requestReason?: string;
  resolveReason?: string;
  reviews: AccessRequestReview[];
  suggestedReviewers: string[];
  resourceIds: AccessRequestResourceId[];
  thresholds: { name?: string; approve: number; deny: number }[];
  maxDuration?: string;
  sessionTtl?: string;
  assumeStartTime?: string;
  systemAnnotations: Record<string, string[]>;
}

const stateSchema = enumOf(
  { 0: 'NONE', 1: 'PENDING', 2: 'APPROVED', 3: 'DENIED', 4: 'PROMOTED' },
  'UNKNOWN',
).transform((s): AccessRequestState => {
  const upper = s.toUpperCase();
  return (ACCESS_REQUEST_STATES as readonly string[]).includes(upper)
    ? (upper as AccessRequestState)
    : 'UNKNOWN';
});

const count = z
  .unknown()
  .optional()
  .transform((v) => (typeof v === 'number' ? v : Number(v ?? 0) || 0));

const requestSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z.looseObject({
    user: z.string(),
    roles: stringList,
    state: stateSchema,
    created: optionalTime,
    expires: optionalTime,
    request_reason: optionalString,
    resolve_reason: optionalString,
    system_annotations: labelValues,
    thresholds: arrayOf(z.looseObject({ name: optionalString, approve: count, deny: count })),
    reviews: arrayOf(
      z.looseObject({
        author: z.string(),
        roles: stringList,
        proposed_state: stateSchema,
        reason: optionalString,
        created: optionalTime,
      }),
    ),
    suggested_reviewers: stringList,
    resource_ids: arrayOf(
      z.looseObject({
        cluster: z.string(),
        kind: z.string(),
        name: z.string(),
        sub_resource: optionalString,
      }),
    ),
    max_duration: optionalTime,
    session_ttl: optionalTime,
    assume_start_time: optionalTime,
  }),
});

type RawRequest = z.output<typeof requestSchema>;

function toModel(r: RawRequest): AccessRequest {
  const s = r.spec;
  const opt = <K extends keyof AccessRequest>(
    k: K,
    v: AccessRequest[K] | undefined,
  ): Partial<AccessRequest> => (v === undefined ? {} : { [k]: v });
  return {
    id: r.metadata.name,
    user: s.user,
    roles: s.roles,
    state: s.state,
    ...opt('created', s.created),
    ...opt('expires', s.expires),
    ...opt('requestReason', s.request_reason),
    ...opt('resolveReason', s.resolve_reason),
    reviews: s.reviews.map((rv) => ({
      author: rv.author,
      proposedState: rv.proposed_state,
      roles: rv.roles,
      ...(rv.reason === undefined ? {} : { reason: rv.reason }),
      ...(rv.created === undefined ? {} : { created: rv.created }),
    })),
    suggestedReviewers: s.suggested_reviewers,
    resourceIds: s.resource_ids.map((id) => ({
      cluster: id.cluster,
      kind: id.kind,
      name: id.name,
      ...(id.sub_resource === undefined ? {} : { subResource: id.sub_resource }),
    })),
    thresholds: s.thresholds.map((t) => ({
      ...(t.name === undefined ? {} : { name: t.name }),
      approve: t.approve,
      deny: t.deny,
    })),
    ...opt('maxDuration', s.max_duration),
    ...opt('sessionTtl', s.session_ttl),
    ...opt('assumeStartTime', s.assume_start_time),
    systemAnnotations: s.system_annotations,
  };
}

/** `tsh request ls --format=json` (an array; tolerant of a single object). */
export function parseAccessRequests(input: unknown): AccessRequest[] {
  return parseList(asJson(input, 'tsh request ls'), requestSchema, 'access_request').map(toModel);
}

/** `tsh request show <id> --format=json` (one object; tolerant of a one-element array). */
export function parseAccessRequest(input: unknown): AccessRequest {
  const json = asJson(input, 'tsh request show');
  const one: unknown = Array.isArray(json) ? json[0] : json;
  return toModel(parseOne(one, requestSchema, 'access_request'));
}

/** The ID from the text `tsh request create` prints (`Request ID:     0192f6c0-…`). */
export function parseCreatedRequestId(text: string): string {
  assertCompleteOutput(text, 'tsh request create');
  const m = /^\s*Request ID:\s+([A-Za-z0-9-]+)\s*$/m.exec(text);
  if (!m?.[1]) {
    throw new AppError(
      'teleport_error',
      'tsh request create did not print a request ID; check the Teleport version',
    );
  }
  return m[1];
}
