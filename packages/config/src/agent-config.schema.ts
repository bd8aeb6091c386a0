// tmcp-agent's configuration file (snake_case keys as written), mapped to the camelCase AgentConfig.
import { z } from 'zod';
import { LEFTOVER_POLICIES, type AgentConfig } from './config-types.js';
import {
  clusterName,
  absolutePath,
  executable,
  filePath,
  hostPort,
  logLevel,
  nonEmptyString,
  positiveInt,
  sectionWithRequiredKeys,
  uniqueNames,
} from './schema-fields.js';

export const DEFAULT_AGENT_DATA_DIR = '/var/lib/tmcp-agent';

/** sha256 of the CA certificate: 64 hex digits; `sha256:` prefix and `:` separators accepted. */
const caPin = z.string().transform((value, ctx) => {
  const hex = value
    .trim()
    .replace(/^sha256:/i, '')
    .replaceAll(':', '')
    .toLowerCase();
  if (/^[0-9a-f]{64}$/.test(hex)) return hex;
  ctx.addIssue({
    code: 'custom',
    message: 'must be the sha256 of the CA certificate: 64 hex digits',
  });
  return z.NEVER;
});

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;

export const agentFileSchema = z.strictObject({
  server: sectionWithRequiredKeys(
    z.strictObject({
      address: hostPort,
      ca_file: filePath.optional(),
      ca_pin: caPin.optional(),
      server_name: nonEmptyString.optional(),
    }),
  ),
  /** Absolute: the default teleport_home_root (TELEPORT_HOME of each lease) lies under it. */
  data_dir: absolutePath.default(DEFAULT_AGENT_DATA_DIR),
  tsh_path: executable.default('tsh'),
  teleport_home_root: absolutePath.optional(),
  clusters: z
    .array(
      z.strictObject({
        name: clusterName,
        proxy: hostPort,
        identity_file: absolutePath.optional(),
      }),
    )
    .superRefine((clusters, ctx) => uniqueNames(clusters, ctx, []))
    .default([]),
  labels: z
    .record(
      z.string().regex(LABEL_KEY, 'label names are 1..63 letters, digits, ".", "_", "/", "-"'),
      z.string().max(255, 'label values are at most 255 characters'),
    )
    .default({}),
  disconnect_grace_seconds: positiveInt.default(300),
  heartbeat_interval_seconds: positiveInt.default(10),
  stop_grace_seconds: positiveInt.default(5),
  leftover_policy: z.enum(LEFTOVER_POLICIES).default('kill-expired'),
  log_level: logLevel.default('info'),
  log_batch: z
    .strictObject({
      max_bytes: positiveInt.default(65_536),
      flush_interval_ms: positiveInt.default(1000),
      buffer_lines: positiveInt.default(10_000),
    })
    .prefault({}),
});

export type AgentFileConfig = z.output<typeof agentFileSchema>;

export function toAgentConfig(file: AgentFileConfig): AgentConfig {
  const { server } = file;
  return {
    server: {
      address: server.address,
      ...(server.ca_file === undefined ? {} : { caFile: server.ca_file }),
      ...(server.ca_pin === undefined ? {} : { caPin: server.ca_pin }),
      ...(server.server_name === undefined ? {} : { serverName: server.server_name }),
    },
    dataDir: file.data_dir,
    tshPath: file.tsh_path,
    teleportHomeRoot: file.teleport_home_root ?? `${file.data_dir.replace(/\/+$/, '')}/teleport`,
    clusters: file.clusters.map((cluster) => ({
      name: cluster.name,
      proxy: cluster.proxy,
      ...(cluster.identity_file === undefined ? {} : { identityFile: cluster.identity_file }),
    })),
    labels: file.labels,
    disconnectGraceSeconds: file.disconnect_grace_seconds,
    heartbeatIntervalSeconds: file.heartbeat_interval_seconds,
    stopGraceSeconds: file.stop_grace_seconds,
    leftoverPolicy: file.leftover_policy,
    logLevel: file.log_level,
    logBatch: {
      maxBytes: file.log_batch.max_bytes,
      flushIntervalMs: file.log_batch.flush_interval_ms,
      bufferLines: file.log_batch.buffer_lines,
    },
  };
}
