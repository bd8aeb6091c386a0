// Read-only Teleport inventory through tctl/tsh of the configured clusters: run the allow-listed
// command, parse Teleport's JSON into typed models. The MCP tools are thin edges over this.
import { Injectable } from '@nestjs/common';
import {
  parseApps,
  parseAuthPreference,
  parseCertAuthorities,
  parseDatabases,
  parseJsonText,
  parseMcpServerListings,
  parseNodes,
  parseProxies,
  parseRoles,
  parseTokens,
  parseUsers,
  type AuthPreference,
  type McpServerListing,
  type RunResult,
  type TctlListKind,
  type TeleportApp,
  type TeleportCertAuthority,
  type TeleportDatabase,
  type TeleportNode,
  type TeleportProxy,
  type TeleportRole,
  type TeleportToken,
  type TeleportUser,
} from '@tmcp/teleport';
import type { CommandRecord } from '../mcp/tool-definition.js';
import { TeleportClusters } from '../teleport/teleport-clusters.js';

/** Where the service reports the command it ran (ToolContext.recordCommand fits). */
export type CommandRecorder = (command: CommandRecord) => void;

export interface ClusterItems<T> {
  cluster: string;
  items: T[];
}

@Injectable()
export class InventoryService {
  constructor(private readonly clusters: TeleportClusters) {}

  nodes(cluster?: string, record?: CommandRecorder): Promise<ClusterItems<TeleportNode>> {
    return this.tctlList(cluster, 'nodes', parseNodes, record);
  }

  proxies(cluster?: string, record?: CommandRecorder): Promise<ClusterItems<TeleportProxy>> {
    return this.tctlList(cluster, 'proxies', parseProxies, record);
  }

  roles(cluster?: string, record?: CommandRecorder): Promise<ClusterItems<TeleportRole>> {
    return this.tctlList(cluster, 'roles', parseRoles, record);
  }

  users(cluster?: string, record?: CommandRecorder): Promise<ClusterItems<TeleportUser>> {
    return this.tctlList(cluster, 'users', parseUsers, record);
  }

  apps(cluster?: string, record?: CommandRecorder): Promise<ClusterItems<TeleportApp>> {
    return this.tctlList(cluster, 'apps', parseApps, record);
  }

  databases(cluster?: string, record?: CommandRecorder): Promise<ClusterItems<TeleportDatabase>> {
    return this.tctlList(cluster, 'db', parseDatabases, record);
  }

  certAuthorities(
    cluster?: string,
    record?: CommandRecorder,
  ): Promise<ClusterItems<TeleportCertAuthority>> {
    return this.tctlList(cluster, 'cert_authorities', parseCertAuthorities, record);
  }

  /** Join tokens, masked by the parser: the secret value never leaves this method. */
  async tokens(cluster?: string, record?: CommandRecorder): Promise<ClusterItems<TeleportToken>> {
    const name = this.clusters.resolveName(cluster);
    const runner = this.clusters.runner(name);
    // Raw stdout: the parser needs the real names to mask and fingerprint them. It is therefore
    // not recorded (only the exit code is).
    const result = await runner.run('tctl', runner.tctl.listTokens(), {
      read: true,
      rawStdout: true,
    });
    record?.({ exitCode: result.exitCode, stderr: result.stderr });
    return { cluster: name, items: parseTokens(parseJsonText(result.stdout, 'tctl tokens ls')) };
  }

  async authPreference(
    cluster?: string,
    record?: CommandRecorder,
  ): Promise<{ cluster: string; preference: AuthPreference }> {
    const name = this.clusters.resolveName(cluster);
    const runner = this.clusters.runner(name);
    const result = await runner.run('tctl', runner.tctl.getAll('cluster_auth_preference'), {
      read: true,
    });
    recordResult(record, result);
    const parsed = parseJsonText(result.stdout, 'tctl get cluster_auth_preference');
    // tctl prints a list of one resource.
    const one = Array.isArray(parsed) ? (parsed[0] as unknown) : parsed;
    return { cluster: name, preference: parseAuthPreference(one) };
  }

  /** MCP servers as the cluster identity sees them, with its effective allowed tools. */
  async mcpServers(
    cluster?: string,
    record?: CommandRecorder,
  ): Promise<ClusterItems<McpServerListing>> {
    const name = this.clusters.resolveName(cluster);
    const runner = this.clusters.runner(name);
    const result = await runner.run('tsh', runner.tsh.mcpList(), { read: true });
    recordResult(record, result);
    return {
      cluster: name,
      items: parseMcpServerListings(parseJsonText(result.stdout, 'tsh mcp ls')),
    };
  }

  private async tctlList<T>(
    cluster: string | undefined,
    kind: TctlListKind,
    parse: (input: unknown) => T[],
    record: CommandRecorder | undefined,
  ): Promise<ClusterItems<T>> {
    const name = this.clusters.resolveName(cluster);
    const runner = this.clusters.runner(name);
    const result = await runner.run('tctl', runner.tctl.getAll(kind), { read: true });
    recordResult(record, result);
    return { cluster: name, items: parse(parseJsonText(result.stdout, `tctl get ${kind}`)) };
  }
}

function recordResult(record: CommandRecorder | undefined, result: RunResult): void {
  record?.({ exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr });
}
