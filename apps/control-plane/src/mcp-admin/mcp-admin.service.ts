// Teleport MCP access administration: MCP server apps (tctl create / rm), the mcp_tools trait
// (tctl users update --set-mcp-tools), and client configurations (tsh mcp ls / tsh mcp db config).
import { Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError, isAppError } from '@tmcp/errors';
import {
  mcpTransportOf,
  parseApps,
  parseMcpConfigOutput,
  parseMcpServerListings,
  parseUsers,
  parseVersion,
  validateDbName,
  validateDbUser,
  validateMcpToolPattern,
  validateResourceName,
  validateUsername,
  type TeleportApp,
  type TeleportUser,
} from '@tmcp/teleport';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import {
  ObservedRunner,
  type CommandObserver,
  type TeleportRunnerSource,
} from '../security/observed-runner.js';
import { TeleportClusters } from '../teleport/teleport-clusters.js';
import { buildMcpAppDocument, specFromDocument, type McpServerSpec } from './mcp-app-document.js';
import {
  gatewayMcpUrl,
  renderGatewayClientConfig,
  renderTeleportClientConfig,
  renderTeleportDbClientConfig,
  type ClientFormat,
  type RenderedClientConfig,
} from './mcp-client-config.js';

interface Call {
  cluster?: string;
  observe?: CommandObserver;
}

export type McpServerPatch = Partial<Omit<McpServerSpec, 'name'>> & { name: string };

@Injectable()
export class McpAdminService {
  constructor(
    @Inject(TeleportClusters) private readonly clusters: TeleportRunnerSource,
    @Inject(SERVER_CONFIG) private readonly config: Pick<ServerConfig, 'service'>,
  ) {}

  /** Creates the app; fails with already_exists when an app of that name exists. */
  async register(call: Call & { spec: McpServerSpec }): Promise<TeleportApp> {
    const doc = buildMcpAppDocument(call.spec);
    const r = this.runner(call);
    try {
      await r.createResource(doc);
    } catch (err) {
      // The engine classifies Teleport's answer; this adds which tool to use instead.
      if (isAppError(err) && err.code === 'already_exists') {
        throw new AppError(
          'already_exists',
          `an app named "${doc.metadata.name}" already exists; use update_mcp_server to change it`,
          { cause: err },
        );
      }
      throw err;
    }
    return this.getMcpApp(r, doc.metadata.name);
  }

  /** Changes the fields given, keeps the others (and HTTP rewrite settings); the app must exist. */
  async update(call: Call & { patch: McpServerPatch }): Promise<TeleportApp> {
    const name = validateResourceName(call.patch.name, 'name');
    const r = this.runner(call);
    // Read-modify-write: the document is read raw so that the values written back are the real
    // ones, not their redaction (args like API_TOKEN=… would become API_TOKEN=***). It is only
    // parsed here; the response is read again (redacted) by getMcpApp.
    const out = await r.run('tctl', r.tctl.getOne('app', name), { read: true, rawStdout: true });
    const raw = firstObject(out.stdout);
    const existing = specFromDocument(raw);
    if (parseApps([raw])[0]?.isMcp !== true) {
      throw new AppError(
        'precondition_failed',
        `app "${name}" is not an MCP server; update_mcp_server only changes MCP apps`,
      );
    }
    const p = call.patch;
    const merged: McpServerSpec = { ...existing, name };
    for (const key of [
      'description',
      'labels',
      'uri',
      'command',
      'args',
      'runAsHostUser',
      'insecureSkipVerify',
    ] as const) {
      if (p[key] !== undefined) Object.assign(merged, { [key]: p[key] });
    }
    // Switching transport drops the fields that belong to the other one.
    if (mcpTransportOf(merged.uri ?? 'mcp+stdio://') === 'stdio') delete merged.insecureSkipVerify;
    else {
      if (p.command === undefined) delete merged.command;
      if (p.args === undefined) delete merged.args;
      if (p.runAsHostUser === undefined) delete merged.runAsHostUser;
    }
    const doc = buildMcpAppDocument(merged);
    const rewrite = (raw.spec as Record<string, unknown> | undefined)?.rewrite;
    if (rewrite !== undefined && mcpTransportOf(doc.spec.uri) !== 'stdio')
      doc.spec.rewrite = rewrite;
    await r.createResource(doc, { force: true });
    return this.getMcpApp(r, name);
  }

  async unregister(call: Call & { name: string }): Promise<{ name: string }> {
    const name = validateResourceName(call.name, 'name');
    const r = this.runner(call);
    const app = await this.getMcpApp(r, name);
    await r.run('tctl', r.tctl.rm('app', validateResourceName(app.name, 'name')));
    return { name };
  }

  /** Sets (replaces) the user's mcp_tools trait; an empty list clears it. */
  async setUserMcpTools(
    call: Call & { user: string; tools: readonly string[] },
  ): Promise<TeleportUser> {
    const user = validateUsername(call.user, 'user');
    const tools = call.tools.map((t, i) => validateMcpToolPattern(t, `tools[${i}]`));
    const r = this.runner(call);
    await r.run('tctl', r.tctl.setUserMcpTools(user, tools));
    const out = await r.run('tctl', r.tctl.getOne('user', validateResourceName(user, 'user')));
    const updated = parseUsers(out.stdout)[0];
    if (updated === undefined) throw AppError.notFound(`user "${user}"`);
    return updated;
  }

  async clientConfig(
    call: Call & {
      format: ClientFormat;
      target: 'teleport' | 'gateway';
      server?: string;
      tshPath?: string;
    },
  ): Promise<RenderedClientConfig & { servers: string[] }> {
    if (call.target === 'gateway') {
      return {
        ...renderGatewayClientConfig(call.format, gatewayMcpUrl(this.config.service)),
        servers: ['tmcp'],
      };
    }
    const r = this.runner(call);
    const listings = parseMcpServerListings(
      (await r.run('tsh', r.tsh.mcpList(), { read: true })).stdout,
    );
    let names = listings.map((l) => l.name).sort();
    if (call.server !== undefined) {
      const server = validateResourceName(call.server, 'server');
      if (!names.includes(server)) {
        throw AppError.notFound(
          `MCP server "${server}" (visible MCP servers: ${names.join(', ') || 'none'})`,
        );
      }
      names = [server];
    }
    if (names.length === 0)
      throw new AppError(
        'not_found',
        'no MCP servers found in the cluster; register one with register_mcp_server',
      );
    const proxy = await this.proxyAddress(r);
    return {
      ...renderTeleportClientConfig(call.format, names, {
        ...(call.tshPath === undefined ? {} : { tshPath: call.tshPath }),
        ...(proxy === undefined ? {} : { proxy }),
      }),
      servers: names,
    };
  }

  async dbConfig(
    call: Call & {
      db: string;
      dbUser: string;
      dbName: string;
      format: ClientFormat;
      tshPath?: string;
    },
  ): Promise<RenderedClientConfig & { uris: string[] }> {
    const db = validateResourceName(call.db, 'db');
    const dbUser = validateDbUser(call.dbUser, 'db_user');
    const dbName = validateDbName(call.dbName, 'db_name');
    const r = this.runner(call);
    const out = await r.run('tsh', r.tsh.mcpDbConfig({ db, dbUser, dbName }), { read: true });
    const uris = parseMcpConfigOutput(out.stdout).databaseUris;
    if (uris.length === 0)
      throw new AppError(
        'teleport_error',
        'tsh mcp db config printed no database URI; check the Teleport version',
      );
    return {
      ...renderTeleportDbClientConfig(
        call.format,
        uris,
        call.tshPath === undefined ? {} : { tshPath: call.tshPath },
      ),
      uris,
    };
  }

  private async getMcpApp(r: ObservedRunner, name: string): Promise<TeleportApp> {
    const out = await r.run('tctl', r.tctl.getOne('app', validateResourceName(name, 'name')), {
      read: true,
    });
    const app = parseApps(out.stdout)[0];
    if (app === undefined) throw AppError.notFound(`app "${name}"`);
    if (!app.isMcp)
      throw new AppError(
        'precondition_failed',
        `app "${name}" is not an MCP server; MCP admin tools only change MCP apps`,
      );
    return app;
  }

  private async proxyAddress(r: ObservedRunner): Promise<string | undefined> {
    try {
      const out = await r.run('tsh', r.tsh.version(), { read: true });
      return parseVersion(out.stdout).proxyPublicAddress;
    } catch {
      return undefined; // only used in a hint
    }
  }

  private runner(call: Call): ObservedRunner {
    return new ObservedRunner(this.clusters.runner(call.cluster), call.observe);
  }
}

function firstObject(stdout: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (err) {
    throw new AppError('teleport_error', 'tctl get app printed output that is not JSON', {
      cause: err,
    });
  }
  const first: unknown = Array.isArray(json) ? json[0] : json;
  if (first === null || typeof first !== 'object')
    throw new AppError('teleport_error', 'tctl get app printed no app');
  return first as Record<string, unknown>;
}
