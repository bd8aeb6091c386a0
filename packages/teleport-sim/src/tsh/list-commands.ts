// `tsh apps ls`, `tsh db ls`, `tsh kube ls` (tool/tsh/common/tsh.go, kube.go): the resources the
// identity's roles reach, filtered by a label selector and `--search`, sorted by name. JSON is an
// array of the resources as their agents serve them (§2.13), jsoniter 2-space plus newline; the
// text tables follow the same source (columns recalled; §2.13 gives JSON only).
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { AsciiTable } from '../format/ascii-table.js';
import { goJson } from '../format/go-json.js';
import { goYaml } from '../format/go-yaml.js';
import {
  matchesLabels,
  resourceLabels,
  type AccessChecker,
  type LabelKind,
} from '../rbac/access-checker.js';
import type { Resource } from '../state/sim-state.js';
import { labelsText, stringField } from '../tctl/resource-text.js';
import { tshSession } from './tsh-session.js';

function labelSelector(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',').filter(Boolean)) {
    const [k = '', v = ''] = pair.split('=');
    out[k.trim()] = v.trim();
  }
  return out;
}

function listed(
  cmd: ParsedCommand,
  checker: AccessChecker,
  kind: LabelKind,
  items: readonly Resource[],
): Resource[] {
  const selector = labelSelector(cmd.arg('labels'));
  const keywords = (cmd.string('search') ?? '')
    .split(',')
    .map((k) => k.trim().toLowerCase())
    .filter(Boolean);
  return items
    .filter((r) => checker.canAccess(kind, r))
    .filter((r) => Object.keys(selector).length === 0 || matchesLabels(selector, resourceLabels(r)))
    .filter((r) => {
      const haystack = [r.metadata.name, r.metadata.description ?? '', labelsText(r)]
        .join(' ')
        .toLowerCase();
      return keywords.every((k) => haystack.includes(k));
    })
    .sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
    );
}

/** The resource as its agent's heartbeat carries it: no revision of its own. */
function served(resource: Resource): Resource {
  const { revision: _revision, ...metadata } = resource.metadata;
  return { ...resource, metadata };
}

/** Prints JSON or YAML and returns true, or returns false for the text table. */
function printStructured(cmd: ParsedCommand, ctx: SimContext, value: unknown): boolean {
  switch (cmd.string('format') ?? 'text') {
    case 'json':
      ctx.out(goJson(value, 2) + '\n');
      return true;
    case 'yaml':
      ctx.out(goYaml(value) + '\n');
      return true;
    default:
      return false;
  }
}

/** `types.Application.GetProtocol()`. */
function appType(app: Resource): string {
  const uri = stringField(app.spec.uri);
  if (uri.startsWith('tcp://')) return 'TCP';
  if (app.sub_kind === 'mcp' || uri.startsWith('mcp+')) return 'MCP';
  return 'HTTP';
}

export function appsLsCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const { state, checker } = tshSession(cmd, ctx);
  const apps = listed(cmd, checker, 'app_labels', state.apps);
  if (printStructured(cmd, ctx, apps.map(served))) return;
  const verbose = cmd.bool('verbose');
  const row = (a: Resource): string[] => [
    a.metadata.name,
    a.metadata.description ?? '',
    appType(a),
    stringField(a.spec.public_addr),
    ...(verbose ? [stringField(a.spec.uri)] : []),
    labelsText(a, !verbose),
  ];
  const table = verbose
    ? AsciiTable.withHeaders([
        'Application',
        'Description',
        'Type',
        'Public Address',
        'URI',
        'Labels',
      ])
    : AsciiTable.withTruncatedColumn(
        ['Application', 'Description', 'Type', 'Public Address', 'Labels'],
        apps.map(row),
        'Labels',
      );
  if (verbose) for (const a of apps) table.addRow(row(a));
  ctx.out(table.render() + '\n');
}

/** `formatUsersForDB`: Go's `%v` of the allowed users, `(none)` when there are none. */
function allowedUsers(checker: AccessChecker, db: Resource): string {
  const users = checker.databaseUsers(db);
  return users.length === 0 ? '(none)' : `[${users.join(' ')}]`;
}

export function dbLsCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const { state, checker } = tshSession(cmd, ctx);
  const databases = listed(cmd, checker, 'db_labels', state.db);
  if (printStructured(cmd, ctx, databases.map(served))) return;
  if (cmd.bool('verbose')) {
    const t = AsciiTable.withHeaders([
      'Name',
      'Description',
      'Protocol',
      'Type',
      'URI',
      'Allowed Users',
      'Labels',
      'Connect',
      'Expires',
    ]);
    for (const d of databases) {
      t.addRow([
        d.metadata.name,
        d.metadata.description ?? '',
        stringField(d.spec.protocol),
        'self-hosted',
        stringField(d.spec.uri),
        allowedUsers(checker, d),
        labelsText(d),
        '',
        '',
      ]);
    }
    ctx.out(t.render() + '\n');
    return;
  }
  const table = AsciiTable.withTruncatedColumn(
    ['Name', 'Description', 'Allowed Users', 'Labels', 'Connect'],
    databases.map((d) => [
      d.metadata.name,
      d.metadata.description ?? '',
      allowedUsers(checker, d),
      labelsText(d, true),
      '',
    ]),
    'Labels',
  );
  ctx.out(table.render() + '\n');
}

export function kubeLsCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const { state, checker } = tshSession(cmd, ctx);
  const clusters = listed(cmd, checker, 'kubernetes_labels', state.kube_clusters);
  const selected = cmd.string('kube-cluster');
  // `serializeKubeClusters`: name, labels (a map, keys sorted), whether it is the selected one.
  const json = clusters.map((k) => ({
    kube_cluster_name: k.metadata.name,
    labels: Object.fromEntries(
      Object.entries(resourceLabels(k)).sort(([a], [b]) => (a < b ? -1 : 1)),
    ),
    selected: k.metadata.name === selected,
  }));
  if (printStructured(cmd, ctx, json)) return;
  const verbose = cmd.bool('verbose');
  const rows = clusters.map((k) => [
    k.metadata.name,
    labelsText(k, !verbose),
    k.metadata.name === selected ? '*' : '',
  ]);
  const headers = ['Kube Cluster Name', 'Labels', 'Selected'];
  let table: AsciiTable;
  if (verbose) {
    table = AsciiTable.withHeaders(headers);
    for (const r of rows) table.addRow(r);
  } else {
    table = AsciiTable.withTruncatedColumn(headers, rows, 'Labels');
  }
  ctx.out(table.render() + '\n');
}
