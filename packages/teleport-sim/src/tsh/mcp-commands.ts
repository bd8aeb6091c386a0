// `tsh mcp ls`, `tsh mcp config`, `tsh mcp db config` (tool/tsh/common/mcp*.go).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import { nonEmpty, type SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { AsciiTable } from '../format/ascii-table.js';
import { goJson } from '../format/go-json.js';
import { goYaml } from '../format/go-yaml.js';
import { matchesLabels, resourceLabels, type AccessChecker } from '../rbac/access-checker.js';
import type { Resource } from '../state/sim-state.js';
import { labelsText, stringField } from '../tctl/resource-text.js';
import { tshSession } from './tsh-session.js';

export const RBAC_WARNING =
  '[!] Warning: you do not have access to any tools on the MCP server.\n' +
  'Please contact your Teleport administrator to ensure your Teleport role has\n' +
  "appropriate 'allow.mcp.tools' set. For details on MCP access RBAC, see:\n" +
  'https://goteleport.com/docs/enroll-resources/mcp-access/rbac/\n';

export function mcpTransport(app: Resource): string {
  const uri = stringField(app.spec.uri);
  if (uri.startsWith('mcp+sse+')) return 'SSE';
  if (uri.startsWith('mcp+http')) return 'Streamable HTTP';
  return 'stdio';
}

function parseLabelSelector(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',').filter(Boolean)) {
    const [k = '', v = ''] = pair.split('=');
    out[k.trim()] = v.trim();
  }
  return out;
}

/** MCP apps the user can reach, filtered by `labels` / `--search`, sorted by name. */
export function visibleMcpApps(
  apps: readonly Resource[],
  checker: AccessChecker,
  labels?: string,
  search?: string,
): Resource[] {
  const selector = parseLabelSelector(labels);
  const keywords = (search ?? '')
    .split(',')
    .map((k) => k.trim().toLowerCase())
    .filter(Boolean);
  return apps
    .filter((a) => a.sub_kind === 'mcp' && checker.canAccess('app_labels', a))
    .filter((a) => Object.keys(selector).length === 0 || matchesLabels(selector, resourceLabels(a)))
    .filter((a) => {
      const haystack = [a.metadata.name, a.metadata.description ?? '', labelsText(a)]
        .join(' ')
        .toLowerCase();
      return keywords.every((k) => haystack.includes(k));
    })
    .sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
    );
}

function allowedToolsCell(allowed: string[], denied: string[]): string {
  if (allowed.length === 0) return '(none) [!]';
  return denied.length
    ? `[${allowed.join(' ')}], except: [${denied.join(' ')}]`
    : `[${allowed.join(' ')}]`;
}

/** The app as app_server embeds it (no revision), plus the caller's tool permissions. */
export function mcpAppJson(
  app: Resource,
  allowed: readonly string[],
  denied: readonly string[],
): Record<string, unknown> {
  const { revision: _revision, expires: _expires, ...metadata } = app.metadata;
  const tools = {
    ...(allowed.length ? { allowed: [...allowed].sort() } : {}),
    ...(denied.length ? { denied: [...denied].sort() } : {}),
  };
  return { ...app, metadata, permissions: { mcp: { tools } } };
}

export interface McpRow {
  app: Resource;
  allowed: readonly string[];
  denied: readonly string[];
}

/** `tsh mcp ls` text: the (truncated or verbose) table, its blank line, the RBAC warning. */
export function mcpLsText(rows: readonly McpRow[], verbose: boolean): string {
  let warn = false;
  const cells = rows.map(({ app, allowed, denied }) => {
    if (allowed.length === 0) warn = true;
    return { app, tools: allowedToolsCell([...allowed].sort(), [...denied].sort()) };
  });
  let table: AsciiTable;
  if (verbose) {
    table = AsciiTable.withHeaders([
      'Name',
      'Description',
      'Type',
      'Labels',
      'Command',
      'Args',
      'Allowed Tools',
    ]);
    for (const { app, tools } of cells) {
      const mcp = (app.spec.mcp ?? {}) as { command?: string; args?: string[] };
      table.addRow([
        app.metadata.name,
        app.metadata.description ?? '',
        mcpTransport(app),
        labelsText(app),
        mcp.command ?? '',
        (mcp.args ?? []).join(' '),
        tools,
      ]);
    }
  } else {
    table = AsciiTable.withTruncatedColumn(
      ['Name', 'Description', 'Type', 'Allowed Tools', 'Labels'],
      cells.map(({ app, tools }) => [
        app.metadata.name,
        app.metadata.description ?? '',
        mcpTransport(app),
        tools,
        labelsText(app, true),
      ]),
      'Labels',
    );
  }
  return table.render() + '\n' + (warn ? RBAC_WARNING : '');
}

export function mcpLsCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const { state, checker } = tshSession(cmd, ctx);
  const apps = visibleMcpApps(state.apps, checker, cmd.arg('labels'), cmd.string('search'));
  const rows = apps.map((app) => ({ app, ...checker.mcpTools(app) }));
  switch (cmd.string('format') ?? 'text') {
    case 'json':
      ctx.out(
        goJson(
          rows.map((r) => mcpAppJson(r.app, r.allowed, r.denied)),
          2,
        ) + '\n',
      );
      return;
    case 'yaml':
      ctx.out(goYaml(rows.map((r) => mcpAppJson(r.app, r.allowed, r.denied))) + '\n');
      return;
    default:
      ctx.out(mcpLsText(rows, cmd.bool('verbose')));
  }
}

interface ConfigTarget {
  path: string;
  format: 'claude' | 'vscode';
}

function clientConfigTarget(value: string, env: NodeJS.ProcessEnv): ConfigTarget {
  const home = nonEmpty(env.HOME) ?? homedir();
  if (value === 'claude')
    throw new TeleportError(
      'not_implemented',
      `Claude Desktop is not supported on OS ${process.platform}`,
    );
  if (value === 'cursor') return { path: join(home, '.cursor', 'mcp.json'), format: 'claude' };
  return { path: value, format: value.includes('.vscode') ? 'vscode' : 'claude' };
}

function loadConfig(path: string): { json: Record<string, unknown>; compact: boolean } {
  if (!existsSync(path)) return { json: {}, compact: false };
  const text = readFileSync(path, 'utf8');
  try {
    const parsed: unknown = JSON.parse(text || '{}');
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not a JSON object');
    return {
      json: parsed as Record<string, unknown>,
      compact: !text.trim().includes('\n') && text.trim().length > 2,
    };
  } catch (err) {
    throw TeleportError.badParameter(
      `failed to load mcp configuration file at "${path}": ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function saveConfig(
  path: string,
  json: Record<string, unknown>,
  compact: boolean,
  jsonFormat: string,
): void {
  mkdirSync(dirname(path), { recursive: true });
  const pretty = jsonFormat === 'pretty' || (jsonFormat === 'auto' && !compact);
  const text =
    jsonFormat === 'none'
      ? JSON.stringify(json)
      : pretty
        ? JSON.stringify(json, null, 2)
        : JSON.stringify(json);
  writeFileSync(path, text + '\n', { mode: 0o644 });
}

function serverEntry(ctx: SimContext, args: string[]): Record<string, unknown> {
  const env: Record<string, string> = {};
  if (ctx.env.TELEPORT_HOME) env.TELEPORT_HOME = ctx.env.TELEPORT_HOME;
  return { command: ctx.io.executablePath, args, ...(Object.keys(env).length ? { env } : {}) };
}

function formatOf(cmd: ParsedCommand, target: ConfigTarget | undefined): 'claude' | 'vscode' {
  const flag = cmd.string('format');
  const chosen =
    flag === 'vscode' ? 'vscode' : flag === undefined ? (target?.format ?? 'claude') : 'claude';
  if (flag && target && target.format !== chosen) {
    throw TeleportError.badParameter(
      `Configuration format mismatch. --client-config=${cmd.string('client-config') ?? ''} option uses ${target.format} config format, but --format=${flag} was set. You can drop one of the flags or adjust the values to match.`,
    );
  }
  return chosen;
}

const TIP =
  '\nTip: You can use this command to update your MCP servers configuration file automatically.\n' +
  '- For Claude Desktop, use --client-config=claude to update the default configuration.\n' +
  '- For Cursor, use --client-config=cursor to update the global MCP servers configuration.\n' +
  'In addition, you can use --client-config=<path> to specify a config file location to directly update configuration of the supported clients.\n' +
  'For example, you can update a VSCode project using --client-config=<path-to-project>/.vscode/mcp.json\n';

export function mcpConfigCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const name = cmd.arg('name');
  const selectors = [
    name !== undefined,
    cmd.bool('all'),
    cmd.string('labels') !== undefined,
    cmd.string('query') !== undefined,
  ].filter(Boolean).length;
  if (selectors === 0) {
    throw TeleportError.badParameter(
      'no selector specified. Please provide the MCP server name or use one of the following flags: --all, --labels, or --query.',
    );
  }
  if (selectors > 1) {
    throw TeleportError.badParameter(
      'only one selector is allowed. Specify either the MCP server name or one of --all, --labels, or --query flags.',
    );
  }
  const headers = cmd.strings('header');
  for (const h of headers)
    if (!h.includes(':')) throw TeleportError.badParameter(`malformed header ${JSON.stringify(h)}`);
  const { state, checker } = tshSession(cmd, ctx);
  let apps = visibleMcpApps(state.apps, checker, cmd.string('labels'));
  if (name !== undefined) apps = apps.filter((a) => a.metadata.name === name);
  if (apps.length === 0) throw TeleportError.notFound('no MCP servers found');
  const autoReconnect = cmd.boolGiven('auto-reconnect');
  const entries: Record<string, unknown> = {};
  for (const app of apps) {
    const args = ['mcp', 'connect', app.metadata.name];
    if (autoReconnect !== undefined)
      args.push(autoReconnect ? '--auto-reconnect' : '--no-auto-reconnect');
    if (mcpTransport(app) === 'Streamable HTTP') for (const h of headers) args.push('-H', h);
    entries[`teleport-mcp-${app.metadata.name}`] = serverEntry(ctx, args);
  }
  const found = `Found MCP servers:\n${apps.map((a) => a.metadata.name).join('\n')}\n`;
  const clientConfig = cmd.string('client-config');
  const target = clientConfig ? clientConfigTarget(clientConfig, ctx.env) : undefined;
  const format = formatOf(cmd, target);
  const key = format === 'vscode' ? 'servers' : 'mcpServers';
  if (!target) {
    const display = format === 'vscode' ? 'VSCode' : 'Claude/Cursor';
    ctx.out(
      `${found}\nHere is a sample JSON configuration for launching Teleport MCP servers using ${display} format:\n` +
        JSON.stringify({ [key]: entries }, null, 2) +
        '\n' +
        (cmd.string('format') === undefined ? TIP : ''),
    );
    return;
  }
  const { json, compact } = loadConfig(target.path);
  json[key] = { ...(json[key] as Record<string, unknown> | undefined), ...entries };
  saveConfig(target.path, json, compact, cmd.string('json-format') ?? 'auto');
  ctx.out(
    `${found}\nUpdated client configuration at:\n${target.path}\n\n` +
      'Teleport MCP servers will be prefixed with "teleport-mcp-" in this\n' +
      'configuration. You may need to restart your client to reload these new\nconfigurations.\n',
  );
}

export function databaseUri(cluster: string, db: string, dbName: string, dbUser: string): string {
  const q = new URLSearchParams({ dbName, dbUser }).toString().replace(/\+/g, '%20');
  return `teleport://clusters/${encodeURIComponent(cluster)}/databases/${encodeURIComponent(db)}?${q}`;
}

export function mcpDbConfigCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const dbUser = cmd.string('db-user');
  const dbName = cmd.string('db-name');
  if (!dbUser || !dbName) {
    throw TeleportError.badParameter(
      'You must specify --db-user and --db-name flags used to connect to the database',
    );
  }
  const { state, checker } = tshSession(cmd, ctx);
  const name = cmd.arg('name');
  let dbs = state.db.filter((d) => checker.canAccess('db_labels', d));
  if (name !== undefined) dbs = dbs.filter((d) => d.metadata.name === name);
  const labels = cmd.string('labels');
  if (labels) dbs = dbs.filter((d) => matchesLabels(parseLabelSelector(labels), resourceLabels(d)));
  const db = dbs[0];
  if (!db)
    throw TeleportError.notFound(name ? `database "${name}" not found` : 'no databases found');
  const uri = databaseUri(state.cluster.name, db.metadata.name, dbName, dbUser);
  const clientConfig = cmd.string('client-config');
  const target = clientConfig ? clientConfigTarget(clientConfig, ctx.env) : undefined;
  const format = formatOf(cmd, target);
  const key = format === 'vscode' ? 'servers' : 'mcpServers';
  if (!target) {
    const entry = serverEntry(ctx, ['mcp', 'db', 'start', uri]);
    ctx.out(
      `Here is a sample JSON configuration for launching Teleport MCP servers using ${format === 'vscode' ? 'VSCode' : 'Claude/Cursor'} format:\n` +
        JSON.stringify({ [key]: { 'teleport-databases': entry } }, null, 2) +
        `\n\nIf you already have an entry for "teleport-databases" server, add the following database resource URI to the command arguments list:\n${uri}\n`,
    );
    return;
  }
  const { json, compact } = loadConfig(target.path);
  const servers = { ...((json[key] as Record<string, unknown> | undefined) ?? {}) };
  const existing = servers['teleport-databases'] as { args?: unknown } | undefined;
  const previous =
    Array.isArray(existing?.args) && !cmd.bool('overwrite')
      ? existing.args.slice(3).map(String)
      : [];
  const prefix = `teleport://clusters/${encodeURIComponent(state.cluster.name)}/databases/${encodeURIComponent(db.metadata.name)}?`;
  const had = previous.some((u) => u.startsWith(prefix));
  const uris = [...previous.filter((u) => !u.startsWith(prefix)), uri];
  servers['teleport-databases'] = serverEntry(ctx, ['mcp', 'db', 'start', ...uris]);
  json[key] = servers;
  saveConfig(target.path, json, compact, cmd.string('json-format') ?? 'auto');
  ctx.out(
    `${had ? 'Updated' : 'Added'} database "${db.metadata.name}" on the client configuration at:\n${target.path}\n\n` +
      'Teleport database access MCP server is named "teleport-databases" in this configuration.\n\n' +
      'You may need to restart your client to reload these new configurations.\n',
  );
}
