// `tctl get`, `tctl create [-f]` and `tctl rm`: authorize against the caller's roles, then read
// or change the state, printing exactly what tctl prints.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { goJson } from '../format/go-json.js';
import { rfc3339Nano } from '../format/go-time.js';
import { goYamlDocuments } from '../format/go-yaml.js';
import type { AccessChecker } from '../rbac/access-checker.js';
import {
  COLLECTION_OF,
  DISPLAY_NAME,
  isDerivedKind,
  normalizeResource,
  notFound,
  parseKind,
  parseResourceRef,
  type ResourceKind,
} from '../state/resource-kinds.js';
import type { Resource, SimState } from '../state/sim-state.js';
import { appServers, databaseServers } from './agent-servers.js';
import { resourcesText } from './resource-text.js';
import { tctlChecker } from './tctl-session.js';

const HEARTBEAT_TTL_MS = 10 * 60_000;
const HEARTBEAT_KINDS = new Set(['node', 'proxy', 'app_server', 'db_server']);

function collection(state: SimState, kind: ResourceKind, now: Date): Resource[] {
  if (kind === 'cluster_auth_preference') return [state.cluster_auth_preference];
  if (kind === 'app_server') return appServers(state, now);
  if (kind === 'db_server') return databaseServers(state, now);
  return state[COLLECTION_OF[kind]];
}

/** Nodes, apps, databases and Kubernetes clusters are further filtered by label RBAC. */
function visible(checker: AccessChecker, kind: ResourceKind, items: Resource[]): Resource[] {
  switch (kind) {
    case 'node':
      return items.filter((r) => checker.canAccess('node_labels', r));
    case 'app':
      return items.filter((r) => checker.canAccess('app_labels', r));
    case 'db':
      return items.filter((r) => checker.canAccess('db_labels', r));
    case 'kube_cluster':
      return items.filter((r) => checker.canAccess('kubernetes_labels', r));
    case 'app_server':
      return items.filter((r) => checker.canAccess('app_labels', r.spec.app as Resource));
    case 'db_server':
      return items.filter((r) => checker.canAccess('db_labels', r.spec.database as Resource));
    default:
      return items;
  }
}

export function getCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const state = ctx.read();
  const checker = tctlChecker(cmd, ctx, state);
  const ref = parseResourceRef(cmd.arg('resource') ?? '');
  // App and database servers are listed the way tsh lists them: filtered by the labels of the
  // app/database they serve rather than by a verb rule (users hold none for these kinds).
  if (!isDerivedKind(ref.kind)) {
    if (ref.name === undefined) checker.checkAction(ref.kind, 'list', 'read');
    else checker.checkAction(ref.kind, 'read');
  }
  let items = visible(checker, ref.kind, collection(state, ref.kind, ctx.now()));
  if (ref.subKind !== undefined) items = items.filter((r) => r.sub_kind === ref.subKind);
  if (ref.name !== undefined) {
    items = items.filter((r) => r.metadata.name === ref.name);
    if (items.length === 0) throw notFound(ref.kind, ref.name);
  }
  // Agents heartbeat every few minutes: a live server always expires ~10 minutes from now.
  const expires = rfc3339Nano(new Date(ctx.now().getTime() + HEARTBEAT_TTL_MS));
  items = items.map((r) =>
    HEARTBEAT_KINDS.has(r.kind) && r.metadata.expires !== undefined
      ? { ...r, metadata: { ...r.metadata, expires } }
      : r,
  );
  const plant = ctx.faults.secretPlant;
  if (plant && items[0]) {
    const first = items[0];
    items = [
      {
        ...first,
        metadata: {
          ...first.metadata,
          description: `${first.metadata.description ?? ''} ${plant}`.trim(),
        },
      },
      ...items.slice(1),
    ];
  }
  switch (cmd.string('format') ?? 'yaml') {
    case 'json':
      ctx.out(goJson(items, 4) + '\n');
      break;
    case 'text':
      ctx.out(resourcesText(ref.kind, items, ctx.now()));
      break;
    default:
      ctx.out(goYamlDocuments(items));
  }
}

const createdSchema = z.looseObject({
  kind: z.string({ error: 'missing resource kind' }),
  version: z.string().optional(),
  metadata: z.looseObject({ name: z.string().min(1, 'missing resource name') }),
  spec: z.record(z.string(), z.unknown()).optional(),
});

const DEFAULT_VERSION: Record<ResourceKind, string> = {
  role: 'v7',
  node: 'v2',
  proxy: 'v2',
  user: 'v2',
  cert_authority: 'v2',
  token: 'v2',
  cluster_auth_preference: 'v2',
  app: 'v3',
  db: 'v3',
  kube_cluster: 'v3',
  app_server: 'v3',
  db_server: 'v3',
  lock: 'v2',
};

const CREATE_EVENTS: Partial<
  Record<
    ResourceKind,
    { created: [string, string]; updated: [string, string]; deleted: [string, string] }
  >
> = {
  role: {
    created: ['role.created', 'T9000I'],
    updated: ['role.updated', 'T9002I'],
    deleted: ['role.deleted', 'T9001I'],
  },
  user: {
    created: ['user.create', 'T1002I'],
    updated: ['user.update', 'T1003I'],
    deleted: ['user.delete', 'T1004I'],
  },
  app: {
    created: ['app.create', 'TAP03I'],
    updated: ['app.update', 'TAP04I'],
    deleted: ['app.delete', 'TAP05I'],
  },
  db: {
    created: ['db.create', 'TDB03I'],
    updated: ['db.update', 'TDB04I'],
    deleted: ['db.delete', 'TDB05I'],
  },
  token: {
    created: ['join_token.create', 'TJT00I'],
    updated: ['join_token.create', 'TJT00I'],
    deleted: ['join_token.delete', 'TJT01I'],
  },
};

export function resourceEvent(
  ctx: SimContext,
  kind: ResourceKind,
  action: 'created' | 'updated' | 'deleted',
  name: string,
  user: string,
): void {
  const spec = CREATE_EVENTS[kind]?.[action];
  if (!spec) return;
  ctx.audit.emit({ event: spec[0], code: spec[1], user, expires: '0001-01-01T00:00:00Z', name });
}

export function createCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const file = cmd.arg('filename') ?? '';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw TeleportError.badParameter(`open ${file}: no such file or directory`);
  }
  const docs = parseAllDocuments(text);
  const resources: Resource[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0)
      throw TeleportError.badParameter(`failed to parse ${file}: ${doc.errors[0]?.message ?? ''}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const parsed = createdSchema.safeParse(value);
    if (!parsed.success)
      throw TeleportError.badParameter(parsed.error.issues[0]?.message ?? 'invalid resource');
    resources.push({
      ...parsed.data,
      version: parsed.data.version ?? '',
      spec: parsed.data.spec ?? {},
    });
  }
  if (resources.length === 0)
    throw TeleportError.badParameter(`no resources found in ${file}, emtpy input?`);
  const force = cmd.bool('force');
  const now = rfc3339Nano(ctx.now());
  const messages = ctx.update((state) => {
    const checker = tctlChecker(cmd, ctx, state);
    const out: string[] = [];
    for (const raw of resources) {
      const kind = parseKind(raw.kind);
      if (!kind || kind === 'cert_authority' || kind === 'proxy' || isDerivedKind(kind)) {
        throw TeleportError.badParameter(
          `creating resources of type "${raw.kind}" is not supported`,
        );
      }
      raw.version = raw.version || DEFAULT_VERSION[kind];
      const resource = normalizeResource(kind, raw, checker.username, now);
      const name = resource.metadata.name;
      if (kind === 'cluster_auth_preference') {
        checker.checkAction(kind, 'create', 'update');
        state.cluster_auth_preference = resource;
        out.push('cluster auth preference has been updated');
        ctx.audit.emit({
          event: 'auth_preference.update',
          code: 'TCAUTH001I',
          user: checker.username,
        });
        continue;
      }
      const items = state[COLLECTION_OF[kind]];
      const index = items.findIndex((r) => r.metadata.name === name);
      const exists = index >= 0;
      checker.checkAction(kind, 'create');
      if (exists && !force)
        throw new TeleportError('already_exists', `${DISPLAY_NAME[kind]} "${name}" already exists`);
      if (exists) checker.checkAction(kind, 'update');
      if (exists) items[index] = resource;
      else items.push(resource);
      const verb = exists ? 'updated' : 'created';
      out.push(
        kind === 'node'
          ? `node "${name}" has been upserted`
          : `${DISPLAY_NAME[kind]} "${name}" has been ${verb}`,
      );
      resourceEvent(ctx, kind, verb, name, checker.username);
    }
    return out;
  });
  for (const message of messages) ctx.out(message + '\n');
}

export function rmCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const ref = parseResourceRef(cmd.arg('resource') ?? '');
  if (ref.name === undefined) {
    throw TeleportError.badParameter(
      `please specify a resource name, for example: tctl rm ${ref.kind}/<name>`,
    );
  }
  const name = ref.name;
  if (
    ref.kind === 'cluster_auth_preference' ||
    ref.kind === 'cert_authority' ||
    ref.kind === 'proxy' ||
    isDerivedKind(ref.kind)
  ) {
    throw TeleportError.badParameter(`deleting resources of type "${ref.kind}" is not supported`);
  }
  const kind = ref.kind;
  ctx.update((state) => {
    const checker = tctlChecker(cmd, ctx, state);
    checker.checkAction(kind, 'delete');
    const items = state[COLLECTION_OF[kind]];
    const index = items.findIndex((r) => r.metadata.name === name);
    if (index < 0) throw notFound(kind, name);
    items.splice(index, 1);
    resourceEvent(ctx, kind, 'deleted', name, checker.username);
  });
  const message: Record<string, string> = {
    user: `User "${name}" has been deleted`,
    token: `Token ${name} has been deleted`,
    node: `node ${name} has been deleted`,
  };
  ctx.out((message[kind] ?? `${DISPLAY_NAME[kind]} "${name}" has been deleted`) + '\n');
}
