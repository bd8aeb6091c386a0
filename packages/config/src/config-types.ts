// The canonical, parsed configuration of each tmcp binary (camelCase, every default filled in).
// The YAML files use the same structure with snake_case keys; see README.md for the key list.

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoadOptions {
  /** Config file path. Defaults to $TMCP_CONFIG (server, agent) or the per-user file (CLI). */
  file?: string;
  /** Environment to read overrides from; defaults to process.env. */
  env?: Record<string, string | undefined>;
}

export interface TeleportClusterConfig {
  /** `[a-z0-9][a-z0-9._-]{0,62}`; the legacy single-cluster shape is named `default`. */
  name: string;
  /** Teleport proxy address, host:port. */
  proxy: string;
  authServer?: string;
  identityFile?: string;
  tshPath: string;
  tctlPath: string;
  /** TELEPORT_HOME root for this cluster (isolated per cluster). */
  home: string;
}

export interface ServerConfig {
  service: {
    host: string;
    /** 0 = pick a free port. */
    port: number;
    logLevel: LogLevel;
    publicUrl?: string;
    allowedHosts: string[];
    allowedOrigins: string[];
    maxBodyBytes: number;
    shutdownGraceMs: number;
  };
  /** Admin gRPC (tmcpctl). */
  grpc: {
    host: string;
    port: number;
    tls: { certFile?: string; keyFile?: string; caFile?: string };
  };
  /** Agent gRPC (mTLS, certificates from the control plane's CA). */
  agentService: {
    host: string;
    port: number;
    caDir: string;
    agentCertTtlSeconds: number;
    joinTokenTtlSeconds: number;
    heartbeatIntervalSeconds: number;
    disconnectGraceSeconds: number;
  };
  database: {
    /** Secret (password). Normalized to postgresql://. */
    url: string;
    poolSize: number;
    migrateOnStart: boolean;
    statementTimeoutMs: number;
  };
  redis: {
    /** Secret (password). redis:// or rediss://. */
    url: string;
    keyPrefix: string;
  };
  teleport: {
    /** Name of a cluster in `clusters`; '' only when no cluster is configured. */
    defaultCluster: string;
    /** Empty when the file has no teleport section (valid for `migrate` and the like). */
    clusters: TeleportClusterConfig[];
  };
  policy: {
    allowTshPassthrough: boolean;
    allowTctlPassthrough: boolean;
    defaultProxyTtlSeconds: number;
    maxProxyTtlSeconds: number;
    maxConcurrentProxiesPerActor: number;
    commandTimeoutMs: number;
    /** Cap on what is captured of each stream of a tsh/tctl command. */
    maxCommandOutputBytes: number;
  };
  auth: {
    apiKeys: { enabled: boolean };
    oidc?: {
      issuer: string;
      audience: string;
      jwksUri: string;
      clockSkewSeconds: number;
      rolesClaim: string;
      roleMapping: Record<string, string>;
      defaultRole?: string;
    };
  };
  audit: {
    /** Secret: bearer token the Teleport event handler presents to the ingest endpoint. */
    ingestToken?: string;
    /** A TLS listener serving only the ingest routes, accepting client certificates (mTLS). */
    ingestTls?: {
      host: string;
      port: number;
      certFile: string;
      keyFile: string;
      /** CA bundle that client certificates must chain to. */
      clientCaFile: string;
    };
    retentionDays: number;
  };
  metrics: {
    /** Secret: what Prometheus presents as a bearer token to scrape /metrics. */
    bearerToken?: string;
  };
  rateLimit: { enabled: boolean; perActorPerMinute: number; burst: number };
  /** The MCP gateway: 2025-era session ids and result size. */
  mcp: {
    /** SECRET. HMAC key of session ids (≥ 32 characters), shared by every replica. */
    sessionKey?: string;
    sessionTtlSeconds: number;
    maxResultBytes: number;
  };
  localAgent: { enabled: boolean; dataDir?: string };
}

export const LEFTOVER_POLICIES = ['kill-expired', 'kill-all'] as const;
export type LeftoverPolicy = (typeof LEFTOVER_POLICIES)[number];

export interface AgentClusterConfig {
  name: string;
  proxy: string;
  identityFile?: string;
}

export interface AgentConfig {
  server: {
    /** Control plane agent gRPC address, host:port. */
    address: string;
    caFile?: string;
    /** sha256 of the control plane CA certificate (DER), lower-case hex. */
    caPin?: string;
    serverName?: string;
  };
  dataDir: string;
  tshPath: string;
  /** Defaults to `<dataDir>/teleport`. */
  teleportHomeRoot: string;
  clusters: AgentClusterConfig[];
  labels: Record<string, string>;
  disconnectGraceSeconds: number;
  heartbeatIntervalSeconds: number;
  stopGraceSeconds: number;
  leftoverPolicy: LeftoverPolicy;
  logLevel: LogLevel;
  logBatch: { maxBytes: number; flushIntervalMs: number; bufferLines: number };
}

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface CliConfig {
  /** Admin gRPC address, host:port. */
  server?: string;
  /** Secret: API key presented as a bearer token. */
  token?: string;
  /** CA certificate file that signs the server's certificate. */
  ca?: string;
  /** Client certificate file (PEM) whose CN names a principal; set with `key`. */
  cert?: string;
  /** The client certificate's private key file (PEM). */
  key?: string;
  insecure: boolean;
  format: OutputFormat;
}

/** Explicit tmcpctl flags; undefined means "not given on the command line". */
export interface CliFlags {
  server?: string | undefined;
  token?: string | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  insecure?: boolean | undefined;
  format?: string | undefined;
}
