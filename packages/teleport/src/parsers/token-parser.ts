// `tctl tokens ls --format=json` / `tctl get tokens` (ProvisionTokenV2, TELEPORT.md §2.4). The
// token name IS the join secret for the `token` join method, so the model never holds it: only a
// masked form and a short SHA-256 fingerprint to tell tokens apart.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  asJson,
  labelMap,
  metadataSchema,
  optionalString,
  parseList,
  stringList,
} from './tolerant-schemas.js';

export interface TeleportToken {
  /** `****` + the last 4 characters. */
  masked: string;
  /** `sha256:` + the first 16 hex digits of the SHA-256 of the token name. */
  fingerprint: string;
  /** System roles: `Node`, `App`, `Db`, `Kube`, `Bot`, … */
  roles: string[];
  joinMethod: string;
  expires?: string;
  botName?: string;
  suggestedLabels: Record<string, string>;
}

const tokenSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      roles: stringList,
      join_method: optionalString,
      bot_name: optionalString,
      suggested_labels: labelMap,
    })
    .nullish()
    .transform(
      (s) =>
        s ?? {
          roles: [] as string[],
          join_method: undefined,
          bot_name: undefined,
          suggested_labels: {},
        },
    ),
});

export function maskToken(secret: string): { masked: string; fingerprint: string } {
  const digest = createHash('sha256').update(secret).digest('hex');
  return {
    masked: `****${secret.length > 12 ? secret.slice(-4) : ''}`,
    fingerprint: `sha256:${digest.slice(0, 16)}`,
  };
}

export function parseTokens(input: unknown): TeleportToken[] {
  return parseList(asJson(input, 'tctl tokens ls'), tokenSchema, 'token').map((t) => ({
    ...maskToken(t.metadata.name),
    roles: t.spec.roles,
    joinMethod: t.spec.join_method ?? 'token',
    ...(t.metadata.expires === undefined ? {} : { expires: t.metadata.expires }),
    ...(t.spec.bot_name === undefined ? {} : { botName: t.spec.bot_name }),
    suggestedLabels: t.spec.suggested_labels,
  }));
}
