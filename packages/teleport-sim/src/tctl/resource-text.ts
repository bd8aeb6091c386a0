// `tctl get <kind> --format=text`: the table tctl prints for each kind.
import { AsciiTable } from '../format/ascii-table.js';
import { goDuration, rfc822 } from '../format/go-time.js';
import { resourceLabels } from '../rbac/access-checker.js';
import type { ResourceKind } from '../state/resource-kinds.js';
import type { Resource } from '../state/sim-state.js';

export function labelsText(resource: Resource, hideInternal = false): string {
  return Object.entries(resourceLabels(resource))
    .filter(([k]) => !hideInternal || !k.startsWith('teleport.internal/'))
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
}

export function stringField(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => String(v)) : [];
}

export function nodesTable(nodes: Resource[]): string {
  const t = AsciiTable.withHeaders(['Host', 'UUID', 'Public Address', 'Labels', 'Version']);
  for (const n of nodes) {
    const addr = n.spec.use_tunnel === true ? '⟵ Tunnel' : str(n.spec.addr);
    t.addRow([str(n.spec.hostname), n.metadata.name, addr, labelsText(n), str(n.spec.version)]);
  }
  return t.render();
}

export function tokensTable(tokens: Resource[], now: Date, withSecrets: boolean): string {
  const t = AsciiTable.withHeaders(['Token', 'Type', 'Labels', 'Expiry Time (UTC)']);
  for (const tok of tokens) {
    const name = withSecrets ? tok.metadata.name : '*'.repeat(tok.metadata.name.length);
    const expires = tok.metadata.expires ? new Date(tok.metadata.expires) : undefined;
    const expiry = expires
      ? `${rfc822(expires)} (${goDuration(Math.max(0, expires.getTime() - now.getTime()))})`
      : 'never';
    t.addRow([name, list(tok.spec.roles).join(','), labelsText(tok), expiry]);
  }
  return t.render();
}

export function resourcesText(kind: ResourceKind, items: Resource[], now: Date): string {
  switch (kind) {
    case 'node':
      return nodesTable(items);
    case 'token':
      return tokensTable(items, now, true);
    case 'role': {
      const t = AsciiTable.withHeaders([
        'Role',
        'Allowed to login as',
        'Node Labels',
        'Access to resources',
      ]);
      for (const r of items) {
        const allow = (r.spec.allow ?? {}) as Record<string, unknown>;
        const nodeLabels = Object.entries((allow.node_labels ?? {}) as Record<string, unknown>)
          .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
          .join(',');
        const rules = ((allow.rules ?? []) as { resources?: string[]; verbs?: string[] }[])
          .map((rule) => `${(rule.resources ?? []).join(',')}:${(rule.verbs ?? []).join(',')}`)
          .join(',');
        t.addRow([r.metadata.name, list(allow.logins).join(','), nodeLabels, rules]);
      }
      return t.render();
    }
    case 'user': {
      const t = AsciiTable.withHeaders(['User', 'Roles']);
      for (const u of items) t.addRow([u.metadata.name, list(u.spec.roles).join(',')]);
      return t.render();
    }
    case 'app': {
      const t = AsciiTable.withHeaders(['Name', 'Description', 'URI', 'Public Address', 'Labels']);
      for (const a of items) {
        t.addRow([
          a.metadata.name,
          a.metadata.description ?? '',
          str(a.spec.uri),
          str(a.spec.public_addr),
          labelsText(a),
        ]);
      }
      return t.render();
    }
    case 'db': {
      const t = AsciiTable.withHeaders(['Name', 'Description', 'Protocol', 'URI', 'Labels']);
      for (const d of items) {
        t.addRow([
          d.metadata.name,
          d.metadata.description ?? '',
          str(d.spec.protocol),
          str(d.spec.uri),
          labelsText(d),
        ]);
      }
      return t.render();
    }
    case 'proxy': {
      const t = AsciiTable.withHeaders(['Host', 'UUID', 'Address', 'Public Address', 'Version']);
      for (const p of items) {
        t.addRow([
          str(p.spec.hostname),
          p.metadata.name,
          str(p.spec.addr),
          list(p.spec.public_addrs).join(','),
          str(p.spec.version),
        ]);
      }
      return t.render();
    }
    case 'cert_authority': {
      const t = AsciiTable.withHeaders(['Cluster Name', 'CA Type', 'Fingerprint', 'Role Map']);
      for (const c of items) t.addRow([str(c.spec.cluster_name), str(c.spec.type), '', 'None']);
      return t.render();
    }
    case 'cluster_auth_preference': {
      const t = AsciiTable.withHeaders(['Type', 'Second Factors']);
      for (const c of items) t.addRow([str(c.spec.type), list(c.spec.second_factors).join(', ')]);
      return t.render();
    }
    case 'kube_cluster': {
      const t = AsciiTable.withHeaders(['Name', 'Labels']);
      for (const k of items) t.addRow([k.metadata.name, labelsText(k)]);
      return t.render();
    }
    // Columns of tool/tctl/common/collection.go (recalled, not in TELEPORT.md).
    case 'app_server':
      return AsciiTable.withTruncatedColumn(
        ['Host', 'Name', 'Public Address', 'URI', 'Labels', 'Version'],
        items.map((s) => {
          const app = s.spec.app as Resource;
          return [
            str(s.spec.hostname),
            app.metadata.name,
            str(app.spec.public_addr),
            str(app.spec.uri),
            labelsText(app),
            str(s.spec.version),
          ];
        }),
        'Labels',
      ).render();
    case 'db_server':
      return AsciiTable.withTruncatedColumn(
        ['Host', 'Name', 'Protocol', 'URI', 'Labels', 'Version'],
        items.map((s) => {
          const db = s.spec.database as Resource;
          return [
            str(s.spec.hostname),
            db.metadata.name,
            str(db.spec.protocol),
            str(db.spec.uri),
            labelsText(db),
            str(s.spec.version),
          ];
        }),
        'Labels',
      ).render();
    case 'lock': {
      const t = AsciiTable.withHeaders(['ID', 'Target', 'Message', 'Expires']);
      for (const l of items) {
        const target = Object.entries((l.spec.target ?? {}) as Record<string, unknown>)
          .map(([k, v]) => `${k}:${String(v)}`)
          .join(', ');
        const expires =
          typeof l.spec.expires === 'string' ? rfc822(new Date(l.spec.expires)) : 'never';
        t.addRow([l.metadata.name, target, str(l.spec.message), expires]);
      }
      return t.render();
    }
  }
}
