// `tsh status --format=json` (TELEPORT.md §2.12).
import { z } from 'zod';
import {
  arrayOf,
  asJson,
  bool,
  labelValues,
  optionalString,
  optionalTime,
  parseOne,
  stringList,
} from './tolerant-schemas.js';

export interface TshProfile {
  profileUrl: string;
  username: string;
  cluster: string;
  roles: string[];
  traits: Record<string, string[]>;
  logins: string[];
  kubernetesEnabled: boolean;
  validUntil?: string;
  activeRequests: string[];
  extensions: string[];
}

export interface TshStatus {
  active?: TshProfile;
  profiles: TshProfile[];
}

const profileSchema = z.looseObject({
  profile_url: optionalString,
  username: optionalString,
  cluster: optionalString,
  roles: stringList,
  traits: labelValues,
  logins: stringList,
  kubernetes_enabled: bool,
  valid_until: optionalTime,
  active_requests: stringList,
  extensions: stringList,
});

const statusSchema = z.looseObject({
  active: profileSchema.nullish(),
  profiles: arrayOf(profileSchema),
});

function toProfile(p: z.output<typeof profileSchema>): TshProfile {
  return {
    profileUrl: p.profile_url ?? '',
    username: p.username ?? '',
    cluster: p.cluster ?? '',
    roles: p.roles,
    traits: p.traits,
    logins: p.logins,
    kubernetesEnabled: p.kubernetes_enabled,
    ...(p.valid_until === undefined ? {} : { validUntil: p.valid_until }),
    activeRequests: p.active_requests,
    extensions: p.extensions,
  };
}

export function parseTshStatus(input: unknown): TshStatus {
  const s = parseOne(asJson(input, 'tsh status') ?? {}, statusSchema, 'status');
  return {
    ...(s.active ? { active: toProfile(s.active) } : {}),
    profiles: s.profiles.map(toProfile),
  };
}
