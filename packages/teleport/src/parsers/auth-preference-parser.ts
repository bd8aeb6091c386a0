// `tctl get cluster_auth_preference` (TELEPORT.md §2.6). Whether second_factors,
// require_session_mfa and signature_algorithm_suite print as strings or enum numbers is not
// verified, so both are accepted and normalised to names.
import { z } from 'zod';
import {
  asJson,
  enumOf,
  looseRecord,
  metadataSchema,
  optionalBool,
  optionalString,
  parseOne,
} from './tolerant-schemas.js';

export interface AuthPreference {
  /** `local`, `oidc`, `saml`, `github`. */
  type: string;
  /** Deprecated single setting: `off`, `otp`, `webauthn`, `on`, `optional`. */
  secondFactor?: string;
  /** `otp`, `webauthn`, `sso`. */
  secondFactors: string[];
  connectorName?: string;
  allowLocalAuth?: boolean;
  allowPasswordless?: boolean;
  allowHeadless?: boolean;
  disconnectExpiredCert?: boolean;
  /** `best_effort` | `strict`. */
  lockingMode?: string;
  /** `off`, `session`, `session_and_hardware_key`, `hardware_key_touch`, … */
  requireSessionMfa?: string;
  webauthnRpId?: string;
  defaultSessionTtl?: string;
  signatureAlgorithmSuite?: string;
  /** `teleport.dev/origin` label: `defaults`, `config-file`, `dynamic`. */
  origin?: string;
  labels: Record<string, string>;
}

const SECOND_FACTOR_TYPES: Record<number, string> = {
  0: 'unspecified',
  1: 'otp',
  2: 'webauthn',
  3: 'sso',
};
const REQUIRE_MFA_TYPES: Record<number, string> = {
  0: 'off',
  1: 'session',
  2: 'session_and_hardware_key',
  3: 'hardware_key_touch',
  4: 'hardware_key_pin',
  5: 'hardware_key_touch_and_pin',
};
const SIGNATURE_SUITES: Record<number, string> = {
  0: 'unspecified',
  1: 'legacy',
  2: 'balanced-v1',
  3: 'fips-v1',
  4: 'hsm-v1',
};

const secondFactorName = enumOf(SECOND_FACTOR_TYPES, 'unknown');

const capSchema = z.looseObject({
  metadata: metadataSchema.partial({ name: true }),
  spec: z
    .looseObject({
      type: optionalString,
      second_factor: optionalString,
      second_factors: z
        .unknown()
        .optional()
        .transform((v) =>
          (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v])
            .map((x) => secondFactorName.parse(x))
            .map((s) => s.toLowerCase().replace(/^second_factor_type_/, '')),
        ),
      connector_name: optionalString,
      allow_local_auth: optionalBool,
      allow_passwordless: optionalBool,
      allow_headless: optionalBool,
      disconnect_expired_cert: optionalBool,
      locking_mode: optionalString,
      require_session_mfa: z
        .unknown()
        .optional()
        .transform((v) =>
          v === undefined || v === null
            ? undefined
            : typeof v === 'boolean'
              ? v
                ? 'session'
                : 'off'
              : enumOf(REQUIRE_MFA_TYPES, 'unknown').parse(v),
        ),
      webauthn: looseRecord,
      default_session_ttl: optionalString,
      signature_algorithm_suite: z
        .unknown()
        .optional()
        .transform((v) =>
          v === undefined || v === null ? undefined : enumOf(SIGNATURE_SUITES, 'unknown').parse(v),
        ),
    })
    .nullish()
    .transform((s) => s ?? capSpecEmpty()),
});

function capSpecEmpty() {
  return {
    type: undefined,
    second_factor: undefined,
    second_factors: [] as string[],
    connector_name: undefined,
    allow_local_auth: undefined,
    allow_passwordless: undefined,
    allow_headless: undefined,
    disconnect_expired_cert: undefined,
    locking_mode: undefined,
    require_session_mfa: undefined,
    webauthn: {} as Record<string, unknown>,
    default_session_ttl: undefined,
    signature_algorithm_suite: undefined,
  };
}

/** Accepts the `tctl get` array (one element) or a single object. */
export function parseAuthPreference(input: unknown): AuthPreference {
  const json = asJson(input, 'tctl get cluster_auth_preference');
  const first: unknown = Array.isArray(json) ? json[0] : json;
  const c = parseOne(first ?? {}, capSchema, 'cluster_auth_preference');
  const s = c.spec;
  const rpId = s.webauthn.rp_id;
  const origin = c.metadata.labels['teleport.dev/origin'];
  const opt = <K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> =>
    (v === undefined ? {} : { [key]: v }) as Partial<Record<K, V>>;
  return {
    type: s.type ?? 'local',
    ...opt('secondFactor', s.second_factor),
    secondFactors: s.second_factors,
    ...opt('connectorName', s.connector_name),
    ...opt('allowLocalAuth', s.allow_local_auth),
    ...opt('allowPasswordless', s.allow_passwordless),
    ...opt('allowHeadless', s.allow_headless),
    ...opt('disconnectExpiredCert', s.disconnect_expired_cert),
    ...opt('lockingMode', s.locking_mode),
    ...opt('requireSessionMfa', s.require_session_mfa),
    ...opt('webauthnRpId', typeof rpId === 'string' ? rpId : undefined),
    ...opt('defaultSessionTtl', s.default_session_ttl),
    ...opt('signatureAlgorithmSuite', s.signature_algorithm_suite),
    ...opt('origin', origin),
    labels: c.metadata.labels,
  };
}
