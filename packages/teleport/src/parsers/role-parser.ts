// `tctl get roles` (RoleV6 struct, role versions v3–v8; TELEPORT.md §2.2, §1.8).
import { z } from 'zod';
import {
  arrayOf,
  asJson,
  scalarText,
  labelValues,
  looseRecord,
  metadataSchema,
  optionalString,
  parseList,
  stringList,
  type LabelValues,
} from './tolerant-schemas.js';

export interface RoleRule {
  resources: string[];
  verbs: string[];
  where?: string;
}

export interface RoleConditions {
  logins: string[];
  nodeLabels: LabelValues;
  appLabels: LabelValues;
  dbLabels: LabelValues;
  kubernetesLabels: LabelValues;
  dbNames: string[];
  dbUsers: string[];
  kubernetesGroups: string[];
  kubernetesUsers: string[];
  rules: RoleRule[];
  impersonate?: { users: string[]; roles: string[]; where?: string };
  request?: { roles: string[]; searchAsRoles: string[] };
  reviewRequests?: { roles: string[] };
  /** `mcp.tools`: literals, globs, `^regex$`, trait templates. */
  mcpTools: string[];
}

export interface TeleportRole {
  name: string;
  /** Role resource version (`v7`, `v8`, …). */
  version?: string;
  description?: string;
  labels: Record<string, string>;
  options: {
    maxSessionTtl?: string;
    /** `require_session_mfa` as printed (bool, string or enum number). */
    requireSessionMfa?: string;
    raw: Record<string, unknown>;
  };
  allow: RoleConditions;
  deny: RoleConditions;
}

const ruleSchema = z.looseObject({
  resources: stringList,
  verbs: stringList,
  where: optionalString,
});

const conditionsSchema = z
  .looseObject({
    logins: stringList,
    node_labels: labelValues,
    app_labels: labelValues,
    db_labels: labelValues,
    kubernetes_labels: labelValues,
    db_names: stringList,
    db_users: stringList,
    kubernetes_groups: stringList,
    kubernetes_users: stringList,
    rules: arrayOf(ruleSchema),
    impersonate: z
      .looseObject({ users: stringList, roles: stringList, where: optionalString })
      .nullish(),
    request: z.looseObject({ roles: stringList, search_as_roles: stringList }).nullish(),
    review_requests: z.looseObject({ roles: stringList }).nullish(),
    mcp: z.looseObject({ tools: stringList }).nullish(),
  })
  .nullish()
  .transform((c): RoleConditions => {
    const x = c ?? conditionsSchemaEmpty();
    return {
      logins: x.logins,
      nodeLabels: x.node_labels,
      appLabels: x.app_labels,
      dbLabels: x.db_labels,
      kubernetesLabels: x.kubernetes_labels,
      dbNames: x.db_names,
      dbUsers: x.db_users,
      kubernetesGroups: x.kubernetes_groups,
      kubernetesUsers: x.kubernetes_users,
      rules: x.rules.map((r) => ({
        resources: r.resources,
        verbs: r.verbs,
        ...(r.where === undefined ? {} : { where: r.where }),
      })),
      ...(x.impersonate
        ? {
            impersonate: {
              users: x.impersonate.users,
              roles: x.impersonate.roles,
              ...(x.impersonate.where === undefined ? {} : { where: x.impersonate.where }),
            },
          }
        : {}),
      ...(x.request
        ? { request: { roles: x.request.roles, searchAsRoles: x.request.search_as_roles } }
        : {}),
      ...(x.review_requests ? { reviewRequests: { roles: x.review_requests.roles } } : {}),
      mcpTools: x.mcp?.tools ?? [],
    };
  });

function conditionsSchemaEmpty() {
  return {
    logins: [],
    node_labels: {},
    app_labels: {},
    db_labels: {},
    kubernetes_labels: {},
    db_names: [],
    db_users: [],
    kubernetes_groups: [],
    kubernetes_users: [],
    rules: [] as z.output<typeof ruleSchema>[],
    impersonate: undefined,
    request: undefined,
    review_requests: undefined,
    mcp: undefined,
  };
}

const roleSchema = z.looseObject({
  version: optionalString,
  metadata: metadataSchema,
  spec: z
    .looseObject({ options: looseRecord, allow: conditionsSchema, deny: conditionsSchema })
    .nullish()
    .transform(
      (s) =>
        s ?? { options: {}, allow: conditionsSchema.parse({}), deny: conditionsSchema.parse({}) },
    ),
});

export function parseRoles(input: unknown): TeleportRole[] {
  return parseList(asJson(input, 'tctl get roles'), roleSchema, 'role').map((r) => {
    const options = r.spec.options;
    const maxTtl = options.max_session_ttl;
    const mfa = options.require_session_mfa;
    return {
      name: r.metadata.name,
      ...(r.version === undefined ? {} : { version: r.version }),
      ...(r.metadata.description === undefined ? {} : { description: r.metadata.description }),
      labels: r.metadata.labels,
      options: {
        ...(typeof maxTtl === 'string' || typeof maxTtl === 'number'
          ? { maxSessionTtl: String(maxTtl) }
          : {}),
        ...(scalarText(mfa) === undefined ? {} : { requireSessionMfa: scalarText(mfa) ?? '' }),
        raw: options,
      },
      allow: r.spec.allow,
      deny: r.spec.deny,
    };
  });
}
