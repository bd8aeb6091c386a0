// `tctl get cert_authorities` (CertAuthorityV2, TELEPORT.md §2.5). Only what a rotation/health
// report needs; key material is counted, never copied into the model.
import { z } from 'zod';
import {
  asJson,
  scalarText,
  looseRecord,
  metadataSchema,
  optionalString,
  optionalTime,
  parseList,
} from './tolerant-schemas.js';

export interface CaRotation {
  /** `standby`, `in_progress`, … (empty when never rotated). */
  state?: string;
  /** `standby`, `init`, `update_clients`, `update_servers`, `rollback`. */
  phase?: string;
  /** `auto` | `manual`. */
  mode?: string;
  currentId?: string;
  started?: string;
  gracePeriod?: string;
  lastRotated?: string;
}

export interface TeleportCertAuthority {
  /** `host`, `user`, `db`, `db_client`, `openssh`, `jwt`, `saml_idp`, `oidc_idp`, `spiffe`, `okta`, … */
  type: string;
  clusterName: string;
  rotation?: CaRotation;
  signingAlg?: string;
  activeKeys: { ssh: number; tls: number; jwt: number };
  additionalTrustedKeys: { ssh: number; tls: number; jwt: number };
  /** Whether the export included private keys (`--with-secrets`). */
  hasPrivateKeys: boolean;
}

const keySet = z
  .unknown()
  .optional()
  .transform((v) => {
    const o = v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
    const list = (k: string): Record<string, unknown>[] =>
      Array.isArray(o[k])
        ? (o[k] as unknown[]).filter(
            (x): x is Record<string, unknown> => x !== null && typeof x === 'object',
          )
        : [];
    const ssh = list('ssh');
    const tls = list('tls');
    const jwt = list('jwt');
    const hasPrivate =
      [...ssh, ...jwt].some((k) => typeof k.private_key === 'string' && k.private_key.length > 0) ||
      tls.some((k) => typeof k.key === 'string' && k.key.length > 0);
    return { ssh: ssh.length, tls: tls.length, jwt: jwt.length, hasPrivate };
  });

const caSchema = z.looseObject({
  sub_kind: optionalString,
  metadata: metadataSchema,
  spec: z
    .looseObject({
      type: optionalString,
      cluster_name: optionalString,
      rotation: z
        .looseObject({
          state: optionalString,
          phase: optionalString,
          mode: optionalString,
          current_id: optionalString,
          started: optionalTime,
          grace_period: z.unknown().optional(),
          last_rotated: optionalTime,
          schedule: looseRecord,
        })
        .nullish(),
      signing_alg: z.unknown().optional(),
      active_keys: keySet,
      additional_trusted_keys: keySet,
    })
    .nullish()
    .transform((s) => s ?? caSchemaEmpty()),
});

function caSchemaEmpty() {
  const none = { ssh: 0, tls: 0, jwt: 0, hasPrivate: false };
  return {
    type: undefined,
    cluster_name: undefined,
    rotation: undefined,
    signing_alg: undefined,
    active_keys: none,
    additional_trusted_keys: none,
  };
}

export function parseCertAuthorities(input: unknown): TeleportCertAuthority[] {
  return parseList(asJson(input, 'tctl get cert_authorities'), caSchema, 'cert_authority').map(
    (ca) => {
      const s = ca.spec;
      const r = s.rotation;
      const grace = r?.grace_period;
      const rotation: CaRotation | undefined = r
        ? {
            ...(r.state === undefined ? {} : { state: r.state }),
            ...(r.phase === undefined ? {} : { phase: r.phase }),
            ...(r.mode === undefined ? {} : { mode: r.mode }),
            ...(r.current_id === undefined ? {} : { currentId: r.current_id }),
            ...(r.started === undefined ? {} : { started: r.started }),
            ...(typeof grace === 'string' || typeof grace === 'number'
              ? { gracePeriod: String(grace) }
              : {}),
            ...(r.last_rotated === undefined ? {} : { lastRotated: r.last_rotated }),
          }
        : undefined;
      const { hasPrivate: activePrivate, ...activeKeys } = s.active_keys;
      const { hasPrivate: trustedPrivate, ...additionalTrustedKeys } = s.additional_trusted_keys;
      return {
        type: s.type ?? ca.sub_kind ?? 'unknown',
        clusterName: s.cluster_name ?? ca.metadata.name,
        ...(rotation === undefined ? {} : { rotation }),
        ...(scalarText(s.signing_alg) === undefined
          ? {}
          : { signingAlg: scalarText(s.signing_alg) ?? '' }),
        activeKeys,
        additionalTrustedKeys,
        hasPrivateKeys: activePrivate || trustedPrivate,
      };
    },
  );
}
