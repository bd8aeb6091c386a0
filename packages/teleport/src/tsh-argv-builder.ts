// The allow-list of tsh commands tmcp runs, as argv arrays (after the binary). Global flags come
// first, as in `tsh -i identity --proxy=proxy.example.com:443 ls` (TELEPORT.md §4.1, §4.4); flag
// spellings follow TELEPORT.md §1–§3. Every variable part is a branded, validated value.
import { AppError } from '@tmcp/errors';
import { validateClusterConnection, type ClusterConnection } from './cluster-connection.js';
import type {
  AccessRequestId,
  ClusterName,
  DbName,
  DbUser,
  KubeClusterName,
  LabelSelector,
  McpDbUri,
  NodeHost,
  Port,
  Reason,
  RequestResourceId,
  ResourceName,
  SshLogin,
  Username,
} from './validators.js';

export type McpConfigSelector =
  { readonly name: ResourceName } | { readonly all: true } | { readonly labels: LabelSelector };

export type McpClientConfigFormat = 'claude' | 'vscode' | 'cursor';

export interface ProxyDbOptions {
  db: ResourceName;
  port?: Port;
  /** Authenticated tunnel: clients need no certificates (the default for leases). */
  tunnel?: boolean;
  dbUser?: DbUser;
  dbName?: DbName;
  dbRoles?: readonly ResourceName[];
}

export interface ProxySshOptions {
  host: NodeHost;
  login?: SshLogin;
  /** Node port in the `[user@]host:port` target; Teleport nodes listen on 3022. */
  port?: Port;
  cluster?: ClusterName;
}

export class TshArgvBuilder {
  private readonly globals: readonly string[];

  /**
   * The cluster's global flags (identity, proxy / auth server) that precede every subcommand;
   * for callers that assemble an allow-listed subcommand themselves (passthrough).
   */
  globalFlags(): string[] {
    return [...this.globals];
  }

  constructor(connection: ClusterConnection) {
    const c = validateClusterConnection(connection);
    this.globals = [
      `--proxy=${c.proxy}`,
      ...(c.identityFile === undefined ? [] : [`--identity=${c.identityFile}`]),
    ];
  }

  // ---- access requests (TELEPORT.md §2.10) ----

  /** `tsh request ls --format=json` */
  requestList(options: { reviewable?: boolean; myRequests?: boolean } = {}): string[] {
    return [
      ...this.globals,
      'request',
      'ls',
      '--format=json',
      ...(options.reviewable ? ['--reviewable'] : []),
      ...(options.myRequests ? ['--my-requests'] : []),
    ];
  }

  /** `tsh request show <id> --format=json` */
  requestShow(id: AccessRequestId): string[] {
    return [...this.globals, 'request', 'show', id, '--format=json'];
  }

  /**
   * `tsh request create --roles=… --resource=… --reason=… --nowait`: `--nowait` because without it
   * tsh blocks until the request is reviewed. Prints the request block (parse the ID from it).
   */
  requestCreate(options: {
    roles?: readonly ResourceName[];
    resources?: readonly RequestResourceId[];
    reason: Reason;
    reviewers?: readonly Username[];
  }): string[] {
    const roles = options.roles ?? [];
    const resources = options.resources ?? [];
    if (roles.length === 0 && resources.length === 0) {
      throw AppError.badParameter('roles', 'at least one role or resource must be requested');
    }
    return [
      ...this.globals,
      'request',
      'create',
      ...(roles.length > 0 ? [`--roles=${roles.join(',')}`] : []),
      ...resources.map((r) => `--resource=${r}`),
      `--reason=${options.reason}`,
      ...(options.reviewers && options.reviewers.length > 0
        ? [`--reviewers=${options.reviewers.join(',')}`]
        : []),
      '--nowait',
    ];
  }

  /** `tsh request review <id> --approve|--deny [--reason=…]` */
  requestReview(
    id: AccessRequestId,
    options: { decision: 'approve' | 'deny'; reason?: Reason },
  ): string[] {
    return [
      ...this.globals,
      'request',
      'review',
      id,
      options.decision === 'approve' ? '--approve' : '--deny',
      ...(options.reason === undefined ? [] : [`--reason=${options.reason}`]),
    ];
  }

  /** `tsh request drop <id>…` (at least one id: a bare `drop` drops every active request). */
  requestDrop(ids: readonly AccessRequestId[]): string[] {
    if (ids.length === 0)
      throw AppError.badParameter('request_id', 'at least one request ID is required');
    return [...this.globals, 'request', 'drop', ...ids];
  }

  // ---- MCP access (TELEPORT.md §1) ----

  /** `tsh mcp ls [<labels>] --format=json` */
  mcpList(options: { labels?: LabelSelector } = {}): string[] {
    return [
      ...this.globals,
      'mcp',
      'ls',
      ...(options.labels === undefined ? [] : [options.labels]),
      '--format=json',
    ];
  }

  /** `tsh mcp config <name> | --all | --labels=…` (prints a sample client configuration). */
  mcpConfig(
    selector: McpConfigSelector,
    options: { format?: McpClientConfigFormat } = {},
  ): string[] {
    const sel =
      'name' in selector
        ? [selector.name]
        : 'all' in selector
          ? ['--all']
          : [`--labels=${selector.labels}`];
    return [...this.globals, 'mcp', 'config', ...sel, ...formatFlag(options.format)];
  }

  /** `tsh mcp db config <name> --db-user=… --db-name=…` (both required by tsh). */
  mcpDbConfig(options: {
    db: ResourceName;
    dbUser: DbUser;
    dbName: DbName;
    format?: McpClientConfigFormat;
  }): string[] {
    return [
      ...this.globals,
      'mcp',
      'db',
      'config',
      options.db,
      `--db-user=${options.dbUser}`,
      `--db-name=${options.dbName}`,
      ...formatFlag(options.format),
    ];
  }

  /** `tsh mcp connect <app>`: a stdio MCP server (long-running). */
  mcpConnect(app: ResourceName): string[] {
    return [...this.globals, 'mcp', 'connect', app];
  }

  /** `tsh mcp db start <uri>…`: a stdio MCP server over one or more databases (long-running). */
  mcpDbStart(uris: readonly McpDbUri[]): string[] {
    if (uris.length === 0)
      throw AppError.badParameter('uri', 'at least one database URI is required');
    return [...this.globals, 'mcp', 'db', 'start', ...uris];
  }

  // ---- local proxies and VNet (TELEPORT.md §3) ----

  /** `tsh proxy db <db> [--tunnel] [--port=N] [--db-user=…] [--db-name=…] [--db-roles=…]` */
  proxyDb(o: ProxyDbOptions): string[] {
    return [
      ...this.globals,
      'proxy',
      'db',
      o.db,
      ...(o.tunnel ? ['--tunnel'] : []),
      ...portFlag(o.port),
      ...(o.dbUser === undefined ? [] : [`--db-user=${o.dbUser}`]),
      ...(o.dbName === undefined ? [] : [`--db-name=${o.dbName}`]),
      ...(o.dbRoles && o.dbRoles.length > 0 ? [`--db-roles=${o.dbRoles.join(',')}`] : []),
    ];
  }

  /**
   * `tsh proxy app <app> [--port=LOCAL[:TARGET]]`. A target port (multi-port TCP apps) goes in
   * tsh's `LOCAL:TARGET` mapping; local port 0 keeps the listener on a random port.
   */
  proxyApp(o: { app: ResourceName; port?: Port; targetPort?: Port }): string[] {
    const flag =
      o.targetPort === undefined ? portFlag(o.port) : [`--port=${o.port ?? 0}:${o.targetPort}`];
    return [...this.globals, 'proxy', 'app', o.app, ...flag];
  }

  /** `tsh proxy kube <cluster>… [--port=N]` */
  proxyKube(o: { clusters: readonly KubeClusterName[]; port?: Port }): string[] {
    return [...this.globals, 'proxy', 'kube', ...o.clusters, ...portFlag(o.port)];
  }

  /** `tsh proxy mcp <app> [--port=N]` (Streamable-HTTP MCP apps, newer tsh). */
  proxyMcp(o: { app: ResourceName; port?: Port }): string[] {
    return [...this.globals, 'proxy', 'mcp', o.app, ...portFlag(o.port)];
  }

  /** `tsh proxy ssh [--cluster=…] [login@]host:port` (an SSH byte stream on stdio). */
  proxySsh(o: ProxySshOptions): string[] {
    const target = `${o.login === undefined ? '' : `${o.login}@`}${o.host}:${o.port ?? 3022}`;
    return [
      ...this.globals,
      'proxy',
      'ssh',
      ...(o.cluster === undefined ? [] : [`--cluster=${o.cluster}`]),
      target,
    ];
  }

  /** `tsh vnet` */
  vnet(): string[] {
    return [...this.globals, 'vnet'];
  }

  // ---- client info (TELEPORT.md §2.11, §2.12) ----

  /** `tsh version --format=json` (`client: true` skips the proxy ping). */
  version(options: { client?: boolean } = {}): string[] {
    return [...this.globals, 'version', '--format=json', ...(options.client ? ['--client'] : [])];
  }

  /** `tsh status --format=json` */
  status(): string[] {
    return [...this.globals, 'status', '--format=json'];
  }
}

function portFlag(port: Port | undefined): string[] {
  return port === undefined ? [] : [`--port=${port}`];
}

function formatFlag(format: McpClientConfigFormat | undefined): string[] {
  return format === undefined ? [] : [`--format=${format}`];
}
