// The lease target as the policy engine matches it: the resource name and its Teleport labels,
// so that a role's allowedTargets label selectors (`env=dev`) can admit a lease. start_proxy and
// the CheckPolicy dry run both derive it here. Labels are read from the cluster inventory
// (tctl get db/apps/nodes) and cached briefly per cluster and kind.
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { LeaseKind, LeaseTarget } from '@tmcp/policy';
import type { Logger } from 'pino';
import { InventoryService } from '../inventory/inventory.service.js';
import { LOGGER } from '../logging/logger.token.js';
import { TeleportClusters } from '../teleport/teleport-clusters.js';
import { leaseTargetName, parseLeaseTarget } from './lease-target.js';

export const LABELS_CACHE_TTL_MS = 15_000;

type LabelledKind = 'db' | 'app' | 'node';

/** A labelled inventory item by the name a lease target uses (nodes: also by hostname). */
type LabelIndex = ReadonlyMap<string, Readonly<Record<string, string>>>;

@Injectable()
export class LeasePolicyTargets {
  private readonly inventory: InventoryService | undefined;
  private readonly cache = new Map<string, { at: number; index: Promise<LabelIndex> }>();

  constructor(
    @Optional() clusters?: TeleportClusters,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {
    // Without Teleport (lease-only test harnesses) no labels are known: label selectors then
    // admit nothing, name globs still work.
    this.inventory = clusters === undefined ? undefined : new InventoryService(clusters);
  }

  /**
   * The policy target of a lease of `kind` on `raw` (the tool's `target` argument); undefined
   * for vnet. Throws AppError('bad_parameter') naming the field when `raw` is malformed. Labels
   * are absent when the resource is unknown or the cluster cannot be asked.
   */
  async resolve(kind: LeaseKind, raw: unknown, cluster?: string): Promise<LeaseTarget | undefined> {
    const name = leaseTargetName(kind, parseLeaseTarget(kind, raw));
    if (name === undefined) return undefined;
    const labelled = labelledKindOf(kind);
    if (labelled === undefined || this.inventory === undefined) return { name };
    try {
      const labels = (await this.index(labelled, cluster)).get(name);
      return labels === undefined ? { name } : { name, labels };
    } catch (error) {
      this.logger?.warn({ err: error, kind, target: name }, 'lease target labels not readable');
      return { name };
    }
  }

  private index(kind: LabelledKind, cluster: string | undefined): Promise<LabelIndex> {
    const key = `${cluster ?? ''}\u0000${kind}`;
    const hit = this.cache.get(key);
    if (hit !== undefined && performance.now() - hit.at < LABELS_CACHE_TTL_MS) return hit.index;
    const index = this.load(kind, cluster);
    this.cache.set(key, { at: performance.now(), index });
    // A failed read is not cached: the next lease asks again.
    index.catch(() => {
      if (this.cache.get(key)?.index === index) this.cache.delete(key);
    });
    return index;
  }

  private async load(kind: LabelledKind, cluster: string | undefined): Promise<LabelIndex> {
    const inventory = this.inventory!;
    const index = new Map<string, Readonly<Record<string, string>>>();
    switch (kind) {
      case 'db':
        for (const db of (await inventory.databases(cluster)).items) index.set(db.name, db.labels);
        break;
      case 'app':
        for (const app of (await inventory.apps(cluster)).items) index.set(app.name, app.labels);
        break;
      case 'node':
        // Teleport matches node_labels against static and command labels alike.
        for (const node of (await inventory.nodes(cluster)).items) {
          const labels = { ...node.commandLabels, ...node.labels };
          index.set(node.name, labels);
          if (!index.has(node.hostname)) index.set(node.hostname, labels);
        }
        break;
    }
    return index;
  }
}

/**
 * A target as start_proxy takes it (`{db: …}`), or a bare resource name, which names the kind's
 * resource (`orders-db` for proxy_db = `{db: 'orders-db'}`). For the CheckPolicy dry run.
 */
export function leaseTargetArgument(kind: LeaseKind, target: unknown): unknown {
  if (typeof target !== 'string') return target;
  const key = RESOURCE_FIELD[kind];
  return key === undefined ? {} : { [key]: target };
}

const RESOURCE_FIELD: Readonly<Record<LeaseKind, string | undefined>> = {
  proxy_db: 'db',
  mcp_db: 'db',
  proxy_app: 'app',
  proxy_mcp: 'app',
  proxy_kube: 'kube_cluster',
  proxy_ssh: 'node',
  vnet: undefined,
};

/** Which inventory holds the labels of a lease's target; kube clusters are not listed (yet). */
function labelledKindOf(kind: LeaseKind): LabelledKind | undefined {
  switch (kind) {
    case 'proxy_db':
    case 'mcp_db':
      return 'db';
    case 'proxy_app':
    case 'proxy_mcp':
      return 'app';
    case 'proxy_ssh':
      return 'node';
    case 'proxy_kube':
    case 'vnet':
      return undefined;
  }
}
