// tmcp-server's configuration file, validated with its snake_case keys exactly as written (so
// every issue carries the user's own path), then mapped to the camelCase ServerConfig.
// Accepts the earlier Python control plane's single-cluster shape (teleport.proxy + tsh.*).
import { z } from 'zod';
import type { ServerConfig, TeleportClusterConfig } from './config-types.js';
import {
  absolutePath,
  bindHost,
  clusterName,
  databaseUrl,
  executable,
  filePath,
  hostPort,
  httpUrl,
  listenPort,
  logLevel,
  nonEmptyString,
  positiveInt,
  redisUrl,
  secret,
  sectionWithRequiredKeys,
  uniqueNames,
} from './schema-fields.js';

const MiB = 1024 * 1024;

/** Name given to the one cluster of the legacy single-cluster shape. */
export const LEGACY_CLUSTER_NAME = 'default';
export const DEFAULT_TELEPORT_HOME = '/var/lib/tmcp/teleport';

const serviceSection = z.strictObject({
  host: bindHost.default('0.0.0.0'),
  port: listenPort.default(8000),
  log_level: logLevel.default('info'),
  public_url: httpUrl.optional(),
  allowed_hosts: z.array(nonEmptyString).default([]),
  allowed_origins: z.array(nonEmptyString).default([]),
  max_body_bytes: positiveInt.default(MiB),
  shutdown_grace_ms: positiveInt.default(10_000),
});

const grpcSection = z.strictObject({
  // Loopback by default: the admin API leaves the host only with TLS configured.
  host: bindHost.default('127.0.0.1'),
  port: listenPort.default(8443),
  tls: z
    .strictObject({
      cert_file: filePath.optional(),
      key_file: filePath.optional(),
      // CA of admin client certificates: when set, the admin port asks (does not require)
      // clients for a certificate issued directly by it; its subject CN names an active
      // principal whose role applies (docs/admin-cli.md). API keys keep working.
      ca_file: filePath.optional(),
    })
    .superRefine((tls, ctx) => {
      if ((tls.cert_file === undefined) !== (tls.key_file === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [tls.cert_file === undefined ? 'cert_file' : 'key_file'],
          message: 'cert_file and key_file must be set together',
        });
      }
    })
    .prefault({}),
});

const agentServiceSection = z.strictObject({
  host: bindHost.default('0.0.0.0'),
  port: listenPort.default(8444),
  ca_dir: filePath.default('/var/lib/tmcp/ca'),
  agent_cert_ttl_seconds: positiveInt.default(86_400),
  join_token_ttl_seconds: positiveInt.default(900),
  heartbeat_interval_seconds: positiveInt.default(10),
  disconnect_grace_seconds: positiveInt.default(300),
});

const databaseSection = z.strictObject({
  url: databaseUrl,
  pool_size: positiveInt.default(10),
  migrate_on_start: z.boolean().default(true),
  statement_timeout_ms: positiveInt.default(15_000),
});

const redisSection = z.strictObject({
  url: redisUrl.default('redis://127.0.0.1:6379'),
  key_prefix: z
    .string()
    .regex(
      /^[A-Za-z0-9_.:-]{1,64}$/,
      'must be 1..64 characters of letters, digits, "_", ".", ":", "-"',
    )
    .default('tmcp'),
});

const clusterEntry = z.strictObject({
  name: clusterName,
  proxy: hostPort,
  auth_server: hostPort.optional(),
  identity_file: absolutePath.optional(),
  tsh_path: executable.optional(),
  tctl_path: executable.optional(),
  home: absolutePath.optional(),
});

/** Keys of the legacy single-cluster shape that describe that one cluster. */
const LEGACY_CLUSTER_KEYS = ['proxy', 'auth_server', 'identity_file'] as const;

const teleportSection = z
  .strictObject({
    default_cluster: clusterName.optional(),
    clusters: z.array(clusterEntry).optional(),
    // Legacy single-cluster shape (earlier Python control plane).
    proxy: hostPort.optional(),
    auth_server: hostPort.optional(),
    identity_file: absolutePath.optional(),
    /** Legacy; with `clusters` it is the default tctl_path of every cluster. */
    tctl_path: executable.optional(),
  })
  .superRefine((teleport, ctx) => {
    const legacyKeys = LEGACY_CLUSTER_KEYS.filter((key) => teleport[key] !== undefined);
    if (teleport.clusters !== undefined) {
      for (const key of legacyKeys) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message:
            'cannot be combined with teleport.clusters: move it into a cluster entry ' +
            '(teleport.clusters: [{name, proxy, identity_file, …}]) or remove teleport.clusters',
        });
      }
      uniqueNames(teleport.clusters, ctx, ['clusters']);
    } else if (legacyKeys.length > 0 && teleport.proxy === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['proxy'],
        message: `is required when teleport.${legacyKeys.join(', teleport.')} is set (host:port of the Teleport proxy)`,
      });
    }
    if (teleport.default_cluster !== undefined) {
      const names =
        teleport.clusters?.map((cluster) => cluster.name) ??
        (teleport.proxy === undefined ? [] : [LEGACY_CLUSTER_NAME]);
      if (!names.includes(teleport.default_cluster)) {
        ctx.addIssue({
          code: 'custom',
          path: ['default_cluster'],
          message:
            names.length === 0
              ? 'names a cluster but no cluster is configured'
              : `must be one of the configured clusters (${names.join(', ')})`,
        });
      }
    }
  });

function isPositiveInt(value: number): boolean {
  return Number.isInteger(value) && value > 0;
}

/** Defaults for every cluster (legacy: the settings of the one cluster). */
const tshSection = z.strictObject({
  tsh_path: executable.default('tsh'),
  home: absolutePath.default(DEFAULT_TELEPORT_HOME),
});

const policySection = z
  .strictObject({
    allow_tsh_passthrough: z.boolean().default(false),
    allow_tctl_passthrough: z.boolean().default(false),
    default_proxy_ttl_seconds: positiveInt.default(3600),
    max_proxy_ttl_seconds: positiveInt.default(3600),
    max_concurrent_proxies_per_actor: positiveInt.default(10),
    command_timeout_ms: positiveInt.default(30_000),
    /** Per stream of a tsh/tctl command; output beyond it is cut and refused by the parsers. */
    max_command_output_bytes: positiveInt.default(4 * MiB),
  })
  .superRefine((policy, ctx) => {
    // Refinements also run after non-fatal issues: compare only two valid TTLs.
    const { default_proxy_ttl_seconds: ttl, max_proxy_ttl_seconds: max } = policy;
    if (isPositiveInt(ttl) && isPositiveInt(max) && ttl > max) {
      ctx.addIssue({
        code: 'custom',
        path: ['default_proxy_ttl_seconds'],
        message: `must be ≤ policy.max_proxy_ttl_seconds (${policy.max_proxy_ttl_seconds})`,
      });
    }
  });

const oidcSection = z.strictObject({
  issuer: httpUrl,
  audience: nonEmptyString,
  jwks_uri: httpUrl,
  clock_skew_seconds: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be 0 or more')
    .default(60),
  roles_claim: nonEmptyString.default('groups'),
  /** Claim value (e.g. an IdP group) → tmcp role. */
  role_mapping: z.record(z.string(), nonEmptyString).default({}),
  default_role: nonEmptyString.optional(),
});

const authSection = z
  .strictObject({
    api_keys: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
    oidc: oidcSection.optional(),
  })
  .superRefine((auth, ctx) => {
    if (!auth.api_keys.enabled && auth.oidc === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['api_keys', 'enabled'],
        message:
          'no authentication method left: keep API keys enabled or configure auth.oidc (there is no anonymous access)',
      });
    }
  });

/** A TLS listener of its own for the ingest route, requiring a client certificate (mTLS). */
const auditIngestTlsSection = z.strictObject({
  host: bindHost.default('0.0.0.0'),
  port: listenPort.default(8446),
  cert_file: filePath,
  key_file: filePath,
  /** CA bundle the client certificates (the event handler's) must chain to. */
  client_ca_file: filePath,
});

const auditSection = z.strictObject({
  ingest_token: secret(
    z.string().min(16, 'must be at least 16 characters (use a random token)'),
  ).optional(),
  ingest_tls: auditIngestTlsSection.optional(),
  retention_days: positiveInt.default(30),
});

const metricsSection = z.strictObject({
  /** What the scraper sends as `Authorization: Bearer …`; without it /metrics answers 503. */
  bearer_token: secret(
    z.string().min(16, 'must be at least 16 characters (use a random token)'),
  ).optional(),
});

const rateLimitSection = z.strictObject({
  enabled: z.boolean().default(true),
  per_actor_per_minute: positiveInt.default(120),
  burst: positiveInt.default(30),
});

const mcpSection = z.strictObject({
  // HMAC key of 2025-era session ids, identical on every replica. Without it the replicas share
  // a random key kept in Redis.
  session_key: secret(
    z.string().min(32, 'must be at least 32 characters (use a random key)'),
  ).optional(),
  session_ttl_seconds: positiveInt.default(8 * 3600),
  max_result_bytes: positiveInt.default(256 * 1024),
});

const localAgentSection = z.strictObject({
  enabled: z.boolean().default(false),
  /** Absolute: the local agent's TELEPORT_HOMEs lie under it. */
  data_dir: absolutePath.optional(),
});

export const serverFileSchema = z
  .strictObject({
    service: serviceSection.prefault({}),
    grpc: grpcSection.prefault({}),
    agent_service: agentServiceSection.prefault({}),
    database: sectionWithRequiredKeys(databaseSection),
    redis: redisSection.prefault({}),
    teleport: teleportSection.prefault({}),
    tsh: tshSection.prefault({}),
    policy: policySection.prefault({}),
    auth: authSection.prefault({}),
    audit: auditSection.prefault({}),
    metrics: metricsSection.prefault({}),
    rate_limit: rateLimitSection.prefault({}),
    mcp: mcpSection.prefault({}),
    local_agent: localAgentSection.prefault({}),
  })
  .superRefine(
    (file, ctx) => {
      // Two clusters sharing one TELEPORT_HOME would overwrite each other's tsh profiles.
      const owners = new Map<string, string>();
      teleportClusters(file).forEach((cluster, index) => {
        const owner = owners.get(cluster.home);
        if (owner === undefined) {
          owners.set(cluster.home, cluster.name);
        } else {
          ctx.addIssue({
            code: 'custom',
            path: ['teleport', 'clusters', index, 'home'],
            message: `"${cluster.home}" is already the home of cluster "${owner}"; each cluster needs its own`,
          });
        }
      });
    },
    // Only meaningful once the teleport and tsh sections are themselves valid.
    {
      when: (payload) =>
        !payload.issues.some(
          (issue) => issue.path?.[0] === 'teleport' || issue.path?.[0] === 'tsh',
        ),
    },
  );

export type ServerFileConfig = z.output<typeof serverFileSchema>;

/** The configured clusters, legacy shape included, with tsh.* defaults applied. */
function teleportClusters(
  file: Pick<ServerFileConfig, 'teleport' | 'tsh'>,
): TeleportClusterConfig[] {
  const { teleport, tsh } = file;
  const entries =
    teleport.clusters ??
    (teleport.proxy === undefined
      ? []
      : [
          {
            name: LEGACY_CLUSTER_NAME,
            proxy: teleport.proxy,
            auth_server: teleport.auth_server,
            identity_file: teleport.identity_file,
            tsh_path: undefined,
            tctl_path: undefined,
            home: undefined,
          },
        ]);
  const shared = entries.length > 1;
  return entries.map((entry) => ({
    name: entry.name,
    proxy: entry.proxy,
    ...(entry.auth_server === undefined ? {} : { authServer: entry.auth_server }),
    ...(entry.identity_file === undefined ? {} : { identityFile: entry.identity_file }),
    tshPath: entry.tsh_path ?? tsh.tsh_path,
    tctlPath: entry.tctl_path ?? teleport.tctl_path ?? 'tctl',
    home: entry.home ?? (shared ? `${tsh.home.replace(/\/+$/, '')}/${entry.name}` : tsh.home),
  }));
}

/** Maps the validated file to the canonical camelCase shape. */
export function toServerConfig(file: ServerFileConfig): ServerConfig {
  const { service, grpc, agent_service, database, redis, teleport, policy, auth, audit } = file;
  const clusters = teleportClusters(file);
  return {
    service: {
      host: service.host,
      port: service.port,
      logLevel: service.log_level,
      ...(service.public_url === undefined ? {} : { publicUrl: service.public_url }),
      allowedHosts: service.allowed_hosts,
      allowedOrigins: service.allowed_origins,
      maxBodyBytes: service.max_body_bytes,
      shutdownGraceMs: service.shutdown_grace_ms,
    },
    grpc: {
      host: grpc.host,
      port: grpc.port,
      tls: {
        ...(grpc.tls.cert_file === undefined ? {} : { certFile: grpc.tls.cert_file }),
        ...(grpc.tls.key_file === undefined ? {} : { keyFile: grpc.tls.key_file }),
        ...(grpc.tls.ca_file === undefined ? {} : { caFile: grpc.tls.ca_file }),
      },
    },
    agentService: {
      host: agent_service.host,
      port: agent_service.port,
      caDir: agent_service.ca_dir,
      agentCertTtlSeconds: agent_service.agent_cert_ttl_seconds,
      joinTokenTtlSeconds: agent_service.join_token_ttl_seconds,
      heartbeatIntervalSeconds: agent_service.heartbeat_interval_seconds,
      disconnectGraceSeconds: agent_service.disconnect_grace_seconds,
    },
    database: {
      url: database.url,
      poolSize: database.pool_size,
      migrateOnStart: database.migrate_on_start,
      statementTimeoutMs: database.statement_timeout_ms,
    },
    redis: { url: redis.url, keyPrefix: redis.key_prefix },
    teleport: {
      defaultCluster: teleport.default_cluster ?? clusters[0]?.name ?? '',
      clusters,
    },
    policy: {
      allowTshPassthrough: policy.allow_tsh_passthrough,
      allowTctlPassthrough: policy.allow_tctl_passthrough,
      defaultProxyTtlSeconds: policy.default_proxy_ttl_seconds,
      maxProxyTtlSeconds: policy.max_proxy_ttl_seconds,
      maxConcurrentProxiesPerActor: policy.max_concurrent_proxies_per_actor,
      commandTimeoutMs: policy.command_timeout_ms,
      maxCommandOutputBytes: policy.max_command_output_bytes,
    },
    auth: {
      apiKeys: { enabled: auth.api_keys.enabled },
      ...(auth.oidc === undefined
        ? {}
        : {
            oidc: {
              issuer: auth.oidc.issuer,
              audience: auth.oidc.audience,
              jwksUri: auth.oidc.jwks_uri,
              clockSkewSeconds: auth.oidc.clock_skew_seconds,
              rolesClaim: auth.oidc.roles_claim,
              roleMapping: auth.oidc.role_mapping,
              ...(auth.oidc.default_role === undefined
                ? {}
                : { defaultRole: auth.oidc.default_role }),
            },
          }),
    },
    audit: {
      ...(audit.ingest_token === undefined ? {} : { ingestToken: audit.ingest_token }),
      ...(audit.ingest_tls === undefined
        ? {}
        : {
            ingestTls: {
              host: audit.ingest_tls.host,
              port: audit.ingest_tls.port,
              certFile: audit.ingest_tls.cert_file,
              keyFile: audit.ingest_tls.key_file,
              clientCaFile: audit.ingest_tls.client_ca_file,
            },
          }),
      retentionDays: audit.retention_days,
    },
    metrics: {
      ...(file.metrics.bearer_token === undefined
        ? {}
        : { bearerToken: file.metrics.bearer_token }),
    },
    rateLimit: {
      enabled: file.rate_limit.enabled,
      perActorPerMinute: file.rate_limit.per_actor_per_minute,
      burst: file.rate_limit.burst,
    },
    mcp: {
      ...(file.mcp.session_key === undefined ? {} : { sessionKey: file.mcp.session_key }),
      sessionTtlSeconds: file.mcp.session_ttl_seconds,
      maxResultBytes: file.mcp.max_result_bytes,
    },
    localAgent: {
      enabled: file.local_agent.enabled,
      ...(file.local_agent.data_dir === undefined ? {} : { dataDir: file.local_agent.data_dir }),
    },
  };
}
