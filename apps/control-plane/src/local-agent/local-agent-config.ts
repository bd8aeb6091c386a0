// The pure parts of the built-in local agent: where it connects, what it is called, the agent
// configuration file the control plane writes for it (mirroring `teleport.clusters`) and the
// environment it may see. No I/O here, so every rule is unit-tested.
import path from 'node:path';
import type { ServerConfig } from '@tmcp/config';
import { TELEPORT_CLIENT_ENV } from '@tmcp/teleport';

/** Where the local agent keeps its identity, lease state and TELEPORT_HOMEs when none is set. */
export const DEFAULT_LOCAL_AGENT_DATA_DIR = '/var/lib/tmcp/local-agent';
/** The agent configuration file the control plane generates, inside the data dir. */
export const LOCAL_AGENT_CONFIG_FILE = 'local-agent.yaml';
/** Labels of the local agent's join token (and the agent itself). */
export const LOCAL_AGENT_LABELS: Readonly<Record<string, string>> = { local: 'true' };

/** Variables of the control plane passed to the agent as they are; TELEPORT_* are added. */
const PASSED_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'LANG',
  // What the agent hands on to tsh (its own allow-list): proxies, the CA bundle, TZ.
  ...TELEPORT_CLIENT_ENV,
];

export function localAgentDataDir(config: Pick<ServerConfig, 'localAgent'>): string {
  return config.localAgent.dataDir ?? DEFAULT_LOCAL_AGENT_DATA_DIR;
}

/**
 * The address the local agent dials: the agent port's own host, or loopback when it listens on
 * a wildcard address (the port's certificate always names 127.0.0.1 and ::1).
 */
export function localAgentServerAddress(host: string, port: number): string {
  if (host === '' || host === '0.0.0.0') return `127.0.0.1:${port}`;
  if (host === '::' || host === '[::]') return `[::1]:${port}`;
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `<short host name>-local`, cleaned the way `tmcp-agent enroll` cleans a proposed name. */
export function localAgentName(hostname: string): string {
  const short = (hostname.split('.')[0] ?? '')
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 57);
  return `${short === '' ? 'tmcp' : short}-local`;
}

/** The agent configuration file (snake_case, as `tmcp-agent run --config` reads it). */
export interface LocalAgentFileConfig {
  server: { address: string };
  data_dir: string;
  tsh_path: string;
  teleport_home_root: string;
  clusters: { name: string; proxy: string; identity_file?: string }[];
  labels: Record<string, string>;
  log_level: string;
}

/**
 * Mirrors the control plane's Teleport clusters. The agent has one `tsh_path` for all clusters:
 * it takes the first cluster's (`tsh` when none is configured); clusters naming another tsh
 * binary run the first one's (documented in the README).
 */
export function buildLocalAgentConfig(
  config: Pick<ServerConfig, 'teleport' | 'service'>,
  options: { serverAddress: string; dataDir: string },
): LocalAgentFileConfig {
  const clusters = config.teleport.clusters;
  return {
    server: { address: options.serverAddress },
    data_dir: options.dataDir,
    tsh_path: clusters[0]?.tshPath ?? 'tsh',
    teleport_home_root: path.join(options.dataDir, 'teleport'),
    clusters: clusters.map((cluster) => ({
      name: cluster.name,
      proxy: cluster.proxy,
      ...(cluster.identityFile === undefined ? {} : { identity_file: cluster.identityFile }),
    })),
    labels: { ...LOCAL_AGENT_LABELS },
    log_level: config.service.logLevel,
  };
}

/** The names of clusters whose tsh binary differs from the one the local agent runs. */
export function clustersWithOtherTsh(config: Pick<ServerConfig, 'teleport'>): string[] {
  const [first, ...rest] = config.teleport.clusters;
  if (first === undefined) return [];
  return rest.filter((c) => c.tshPath !== first.tshPath).map((c) => c.name);
}

/**
 * The agent's environment: what a process needs to run (PATH, HOME, locale, time zone), proxy
 * and CA settings, and Teleport's own TELEPORT_* client variables — never the control plane's
 * TMCP_* configuration (database and Redis passwords, session keys).
 */
export function localAgentEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (PASSED_ENV.includes(name) || name.startsWith('TELEPORT_')) {
      out[name] = value;
    }
  }
  return out;
}

/** Restart delay after the `attempt`-th consecutive failure (0-based): 1 s, 2 s, 4 s … 30 s. */
export function restartDelayMs(attempt: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5));
}
