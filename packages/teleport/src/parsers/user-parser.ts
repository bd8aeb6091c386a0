// `tctl get users` (UserV2, TELEPORT.md §2.3). Traits include `mcp_tools` (§1.8).
import { z } from 'zod';
import {
  asJson,
  bool,
  labelValues,
  metadataSchema,
  optionalString,
  optionalTime,
  parseList,
  stringList,
} from './tolerant-schemas.js';

export interface TeleportUser {
  name: string;
  roles: string[];
  traits: Record<string, string[]>;
  /** The `mcp_tools` trait (what `{{internal.mcp_tools}}` expands to). */
  mcpTools: string[];
  locked: boolean;
  lockedMessage?: string;
  expires?: string;
  createdBy?: string;
  createdAt?: string;
  /** `local`, or the SSO connector kind the user came from. */
  origin: 'local' | 'oidc' | 'saml' | 'github' | 'sso';
}

const identities = z
  .unknown()
  .optional()
  .transform((v) => (Array.isArray(v) ? v.length : 0));

const userSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      oidc_identities: identities,
      saml_identities: identities,
      github_identities: identities,
      roles: stringList,
      traits: labelValues,
      status: z.looseObject({ is_locked: bool, locked_message: optionalString }).nullish(),
      expires: optionalTime,
      created_by: z
        .looseObject({
          time: optionalTime,
          user: z.looseObject({ name: optionalString }).nullish(),
          connector: z.unknown().optional(),
        })
        .nullish(),
    })
    .nullish()
    .transform((s) => s ?? userSpecEmpty()),
});

function userSpecEmpty() {
  return {
    oidc_identities: 0,
    saml_identities: 0,
    github_identities: 0,
    roles: [] as string[],
    traits: {} as Record<string, string[]>,
    status: undefined,
    expires: undefined,
    created_by: undefined,
  };
}

export function parseUsers(input: unknown): TeleportUser[] {
  return parseList(asJson(input, 'tctl get users'), userSchema, 'user').map((u) => {
    const s = u.spec;
    const origin: TeleportUser['origin'] =
      s.oidc_identities > 0
        ? 'oidc'
        : s.saml_identities > 0
          ? 'saml'
          : s.github_identities > 0
            ? 'github'
            : 'local';
    return {
      name: u.metadata.name,
      roles: s.roles,
      traits: s.traits,
      mcpTools: s.traits.mcp_tools ?? [],
      locked: s.status?.is_locked ?? false,
      ...(s.status?.locked_message === undefined ? {} : { lockedMessage: s.status.locked_message }),
      ...(s.expires === undefined ? {} : { expires: s.expires }),
      ...(s.created_by?.user?.name === undefined ? {} : { createdBy: s.created_by.user.name }),
      ...(s.created_by?.time === undefined ? {} : { createdAt: s.created_by.time }),
      origin,
    };
  });
}
