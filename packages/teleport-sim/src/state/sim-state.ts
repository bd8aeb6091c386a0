// The simulated cluster: Teleport resources kept as the JSON objects `tctl get` prints (key
// order included), plus the audit log. Validated loosely with zod when read from disk.
import { z } from 'zod';

export type Labels = Record<string, string | string[]>;

export interface Metadata {
  name: string;
  description?: string;
  labels?: Labels;
  expires?: string;
  revision?: string;
  [key: string]: unknown;
}

export interface Resource {
  kind: string;
  sub_kind?: string;
  version: string;
  metadata: Metadata;
  spec: Record<string, unknown>;
  [key: string]: unknown;
}

export type AuditEvent = Record<string, unknown> & { event: string; code: string; time: string };

export interface ClusterInfo {
  name: string;
  version: string;
  gitref: string;
  runtime: string;
  proxyPublicAddr: string;
  authHostId: string;
  caPin: string;
}

export const RESOURCE_COLLECTIONS = [
  'nodes',
  'proxies',
  'roles',
  'users',
  'tokens',
  'cert_authorities',
  'apps',
  'db',
  'kube_clusters',
  'access_requests',
  'locks',
] as const;

export type ResourceCollection = (typeof RESOURCE_COLLECTIONS)[number];

export type SimState = Record<ResourceCollection, Resource[]> & {
  stateVersion: 1;
  cluster: ClusterInfo;
  cluster_auth_preference: Resource;
  events: AuditEvent[];
};

export const MAX_EVENTS = 5000;

const resourceSchema = z.looseObject({
  kind: z.string(),
  version: z.string(),
  metadata: z.looseObject({ name: z.string() }),
  spec: z.record(z.string(), z.unknown()),
});

const stateSchema = z.looseObject({
  stateVersion: z.literal(1),
  cluster: z.object({
    name: z.string(),
    version: z.string(),
    gitref: z.string(),
    runtime: z.string(),
    proxyPublicAddr: z.string(),
    authHostId: z.string(),
    caPin: z.string(),
  }),
  cluster_auth_preference: resourceSchema,
  events: z.array(z.looseObject({ event: z.string(), code: z.string(), time: z.string() })),
  ...Object.fromEntries(RESOURCE_COLLECTIONS.map((c) => [c, z.array(resourceSchema)])),
});

export function parseSimState(text: string, path: string): SimState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`teleport-sim: state file ${path} is not valid JSON; delete it to reseed`, {
      cause: err,
    });
  }
  // State files written before locks existed simply have none.
  if (raw !== null && typeof raw === 'object' && !('locks' in raw))
    (raw as Record<string, unknown>).locks = [];
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `teleport-sim: state file ${path} has an unexpected shape (${parsed.error.issues[0]?.message ?? 'invalid'}); delete it to reseed`,
    );
  }
  // The schema checked the shape; the resources stay the plain objects read (order preserved).
  return raw as SimState;
}
