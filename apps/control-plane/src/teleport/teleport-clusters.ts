// One TeleportRunner per configured Teleport cluster (DESIGN §3.4), built on first use and kept
// for the life of the process so its concurrency cap and read coalescing apply to every caller.
// Tools take an optional `cluster` argument; `runner(undefined)` is the default cluster.
import { mkdirSync } from 'node:fs';
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { ServerConfig, TeleportClusterConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { TELEPORT_CLIENT_ENV, TeleportRunner } from '@tmcp/teleport';
import { SERVER_CONFIG } from '../config/server-config.token.js';

/** Settings not (yet) in the server configuration; see TELEPORT_CLUSTERS_OPTIONS. */
export interface TeleportClustersOptions {
  /**
   * Names of environment variables copied from this process into every tsh/tctl child
   * (HTTPS_PROXY, SSL_CERT_FILE, …). Nothing else leaks into the child environment.
   */
  readonly envAllowList: readonly string[];
  /** Where the child's allow-listed variables and PATH are read (default: process.env). */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
}

export const TELEPORT_CLUSTERS_OPTIONS = Symbol('TELEPORT_CLUSTERS_OPTIONS');

export const DEFAULT_TELEPORT_CLUSTERS_OPTIONS: TeleportClustersOptions = {
  envAllowList: TELEPORT_CLIENT_ENV,
};

@Injectable()
export class TeleportClusters {
  private readonly clusters: ReadonlyMap<string, TeleportClusterConfig>;
  private readonly defaultName: string | undefined;
  private readonly runners = new Map<string, TeleportRunner>();
  private readonly timeoutMs: number;
  private readonly maxOutputBytes: number;
  private readonly options: TeleportClustersOptions;

  constructor(
    @Inject(SERVER_CONFIG) config: ServerConfig,
    @Optional() @Inject(TELEPORT_CLUSTERS_OPTIONS) options?: TeleportClustersOptions,
  ) {
    this.clusters = new Map(config.teleport.clusters.map((c) => [c.name, c]));
    const configuredDefault = config.teleport.defaultCluster;
    this.defaultName =
      configuredDefault !== '' && this.clusters.has(configuredDefault)
        ? configuredDefault
        : config.teleport.clusters[0]?.name;
    this.timeoutMs = config.policy.commandTimeoutMs;
    this.maxOutputBytes = config.policy.maxCommandOutputBytes;
    this.options = options ?? DEFAULT_TELEPORT_CLUSTERS_OPTIONS;
  }

  /** Names of the configured clusters, in configuration order. */
  clusterNames(): string[] {
    return [...this.clusters.keys()];
  }

  /** The cluster used when a tool gets no `cluster` argument; undefined when none is configured. */
  defaultCluster(): string | undefined {
    return this.defaultName;
  }

  /** The name `runner(cluster)` would use; throws like `runner`. */
  resolveName(cluster?: string): string {
    if (this.defaultName === undefined) {
      throw new AppError(
        'precondition_failed',
        'no Teleport cluster configured: add teleport.clusters (name, proxy, identity_file) to the server configuration',
      );
    }
    if (cluster === undefined || cluster === '') return this.defaultName;
    if (!this.clusters.has(cluster)) {
      throw AppError.badParameter(
        'cluster',
        `unknown cluster "${cluster}"; configured: ${this.clusterNames().join(', ')}`,
      );
    }
    return cluster;
  }

  /** The runner of the named cluster, or of the default cluster. */
  runner(cluster?: string): TeleportRunner {
    const name = this.resolveName(cluster);
    const existing = this.runners.get(name);
    if (existing !== undefined) return existing;
    const config = this.clusters.get(name);
    if (config === undefined) throw AppError.internal(new Error(`cluster ${name} vanished`));
    const runner = this.build(config);
    this.runners.set(name, runner);
    return runner;
  }

  private build(config: TeleportClusterConfig): TeleportRunner {
    // tsh keeps profiles and keys under TELEPORT_HOME; create it private if it is missing. A
    // failure here surfaces later as tsh's own, clearer error.
    try {
      mkdirSync(config.home, { recursive: true, mode: 0o700 });
    } catch {
      // Not fatal: tctl with an identity file never writes there.
    }
    return new TeleportRunner({
      binaries: { tsh: config.tshPath, tctl: config.tctlPath },
      cluster: {
        proxy: config.proxy,
        home: config.home,
        ...(config.identityFile === undefined ? {} : { identityFile: config.identityFile }),
        ...(config.authServer === undefined ? {} : { authServer: config.authServer }),
      },
      timeoutMs: this.timeoutMs,
      maxOutputBytes: this.maxOutputBytes,
      envAllowList: this.options.envAllowList,
      ...(this.options.baseEnv === undefined ? {} : { baseEnv: this.options.baseEnv }),
    });
  }
}
