// From a LeaseSpec off the wire to the tsh command line, in two steps: `parseLeaseSpec`
// validates every value with @tmcp/teleport's validators (a spec is data from the network, never
// argv), `leaseArgv` builds the argv with TshArgvBuilder. Both are pure.
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { AgentClusterConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { leaseKindName, type LeaseSpec } from '@tmcp/proto';
import {
  buildMcpDbUri,
  ReadinessDetectors,
  validateClusterName,
  validateDbName,
  validateDbUser,
  validateKubeClusterName,
  validateListenAddress,
  validateNodeHost,
  validatePort,
  validateResourceName,
  validateSshLogin,
  type DbName,
  type DbUser,
  type KubeClusterName,
  type NodeHost,
  type Port,
  type ReadinessDetector,
  type ResourceName,
  type SshLogin,
  type TshArgvBuilder,
} from '@tmcp/teleport';

export type LeaseTarget =
  | { kind: 'proxy_db'; db: ResourceName; dbUser?: DbUser; dbName?: DbName }
  | { kind: 'proxy_app'; app: ResourceName; targetPort?: Port }
  | { kind: 'proxy_kube'; kubeCluster: KubeClusterName }
  | { kind: 'proxy_ssh'; node: NodeHost; login?: SshLogin }
  | { kind: 'proxy_mcp'; app: ResourceName }
  | { kind: 'mcp_db'; db: ResourceName; dbUser: DbUser; dbName: DbName }
  | { kind: 'vnet' };

export interface ParsedLease {
  leaseId: string;
  generation: number;
  target: LeaseTarget;
  cluster: AgentClusterConfig;
  /** Loopback port to listen on; undefined lets tsh pick one (the banner tells which). */
  listenPort: Port | undefined;
  /** ms since the epoch. */
  deadline: number;
  /** Equal for specs that run the same process. */
  specKey: string;
}

const LEASE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A lease id is also a directory name (its TELEPORT_HOME): a strict alphabet. */
export function validateLeaseId(value: string): string {
  if (!LEASE_ID.test(value)) {
    throw AppError.badParameter(
      'lease_id',
      'must be 1..128 letters, digits, ".", "_", "-" starting with a letter or digit',
    );
  }
  return value;
}

/** Validates a spec against the configured clusters; throws bad_parameter naming the field. */
export function parseLeaseSpec(
  spec: LeaseSpec,
  clusters: readonly AgentClusterConfig[],
): ParsedLease {
  const leaseId = validateLeaseId(spec.leaseId);
  if (spec.generation < 1) throw AppError.badParameter('generation', 'must be at least 1');
  if (spec.expiresAt === undefined) throw AppError.badParameter('expires_at', 'is required');
  const cluster = resolveCluster(spec.cluster, clusters);
  const target = parseTarget(spec);
  const listenPort =
    spec.listenAddr === '' ? undefined : validateListenAddress(spec.listenAddr, 'listen_addr').port;
  if (
    listenPort !== undefined &&
    (target.kind === 'proxy_ssh' ||
      target.kind === 'proxy_mcp' ||
      target.kind === 'mcp_db' ||
      target.kind === 'vnet')
  ) {
    throw AppError.badParameter(
      'listen_addr',
      `must be empty for ${target.kind} (it does not listen on a port)`,
    );
  }
  return {
    leaseId,
    generation: spec.generation,
    target,
    cluster,
    listenPort: listenPort === 0 ? undefined : listenPort,
    deadline: timestampMs(spec.expiresAt),
    specKey: JSON.stringify([cluster.name, target, listenPort ?? 0]),
  };
}

/**
 * The cluster a spec names, by exact name: the control plane sends the lease's cluster (its own
 * `teleport.clusters[].name`), so agent and control plane must use the same names. An empty name
 * (a control plane without clusters) means the agent's first cluster. A name the agent lacks is
 * refused — never run against another cluster, even when the agent has only one.
 */
function resolveCluster(name: string, clusters: readonly AgentClusterConfig[]): AgentClusterConfig {
  if (clusters.length === 0) {
    throw new AppError(
      'precondition_failed',
      'this agent has no Teleport cluster configured; add one under clusters: in its configuration',
    );
  }
  if (name === '') return clusters[0]!;
  const found = clusters.find((c) => c.name === name);
  if (found === undefined) {
    throw AppError.badParameter(
      'cluster',
      `this agent has no Teleport cluster named "${name}"; configured: ${clusters.map((c) => c.name).join(', ')} (name the cluster the same in the agent's clusters: and the control plane's teleport.clusters)`,
    );
  }
  return found;
}

const optional = <T>(value: string, validate: (v: string) => T): T | undefined =>
  value === '' ? undefined : validate(value);

function parseTarget(spec: LeaseSpec): LeaseTarget {
  const kind = leaseKindName(spec.kind);
  if (kind === undefined) throw AppError.badParameter('kind', 'is missing or unknown');
  const t = spec.target;
  const mismatch = (): AppError =>
    AppError.badParameter('target', `does not match the kind ${kind}`);
  switch (kind) {
    case 'proxy_db': {
      if (t.case !== 'db') throw mismatch();
      return {
        kind,
        db: validateResourceName(t.value.db, 'target.db'),
        ...withOptional(
          'dbUser',
          optional(t.value.dbUser, (v) => validateDbUser(v, 'target.db_user')),
        ),
        ...withOptional(
          'dbName',
          optional(t.value.dbName, (v) => validateDbName(v, 'target.db_name')),
        ),
      };
    }
    case 'proxy_app':
      if (t.case !== 'app') throw mismatch();
      return {
        kind,
        app: validateResourceName(t.value.app, 'target.app'),
        ...withOptional(
          'targetPort',
          t.value.port === 0 ? undefined : validatePort(t.value.port, 'target.port'),
        ),
      };
    case 'proxy_kube':
      if (t.case !== 'kube') throw mismatch();
      return {
        kind,
        kubeCluster: validateKubeClusterName(t.value.kubeCluster, 'target.kube_cluster'),
      };
    case 'proxy_ssh':
      if (t.case !== 'ssh') throw mismatch();
      return {
        kind,
        node: validateNodeHost(t.value.node, 'target.node'),
        ...withOptional(
          'login',
          optional(t.value.login, (v) => validateSshLogin(v, 'target.login')),
        ),
      };
    case 'proxy_mcp':
      if (t.case !== 'mcp') throw mismatch();
      return { kind, app: validateResourceName(t.value.app, 'target.app') };
    case 'mcp_db':
      if (t.case !== 'mcpDb') throw mismatch();
      return {
        kind,
        db: validateResourceName(t.value.db, 'target.db'),
        dbUser: validateDbUser(t.value.dbUser, 'target.db_user'),
        dbName: validateDbName(t.value.dbName, 'target.db_name'),
      };
    case 'vnet':
      if (t.case !== 'vnet' && t.case !== undefined) throw mismatch();
      return { kind };
  }
}

function withOptional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** How a lease's process is run: its argv, how readiness shows, whether stdio is bridged. */
export interface LeaseInvocation {
  argv: string[];
  readiness: ReadinessDetector;
  /** `bridge`: stdin/stdout are the MCP (or SSH) byte stream; `lines`: output is logged. */
  stdio: 'lines' | 'bridge';
}

/**
 * The tsh invocation of a lease. `teleportClusterName` is the Teleport cluster's own name (for
 * `tsh mcp db start` URIs); the agent uses the proxy host, Teleport's default cluster name.
 */
export function leaseInvocation(tsh: TshArgvBuilder, lease: ParsedLease): LeaseInvocation {
  const port = lease.listenPort;
  const t = lease.target;
  switch (t.kind) {
    case 'proxy_db':
      return {
        argv: tsh.proxyDb({
          db: t.db,
          tunnel: true,
          ...withOptional('port', port),
          ...withOptional('dbUser', t.dbUser),
          ...withOptional('dbName', t.dbName),
        }),
        readiness: ReadinessDetectors.db,
        stdio: 'lines',
      };
    case 'proxy_app':
      return {
        argv: tsh.proxyApp({
          app: t.app,
          ...withOptional('port', port),
          ...withOptional('targetPort', t.targetPort),
        }),
        readiness: ReadinessDetectors.app,
        stdio: 'lines',
      };
    case 'proxy_kube':
      return {
        argv: tsh.proxyKube({ clusters: [t.kubeCluster], ...withOptional('port', port) }),
        readiness: ReadinessDetectors.kube,
        stdio: 'lines',
      };
    case 'proxy_ssh':
      return {
        argv: tsh.proxySsh({ host: t.node, ...withOptional('login', t.login) }),
        readiness: ReadinessDetectors.stdio,
        stdio: 'bridge',
      };
    case 'proxy_mcp':
      return { argv: tsh.mcpConnect(t.app), readiness: ReadinessDetectors.stdio, stdio: 'bridge' };
    case 'mcp_db':
      return {
        argv: tsh.mcpDbStart([
          buildMcpDbUri({
            cluster: teleportClusterName(lease.cluster),
            name: t.db,
            dbName: t.dbName,
            dbUser: t.dbUser,
          }),
        ]),
        readiness: ReadinessDetectors.stdio,
        stdio: 'bridge',
      };
    case 'vnet':
      return { argv: tsh.vnet(), readiness: ReadinessDetectors.vnet, stdio: 'lines' };
  }
}

/** The Teleport cluster name assumed for a configured cluster: its proxy's host. */
export function teleportClusterName(
  cluster: AgentClusterConfig,
): ReturnType<typeof validateClusterName> {
  const host = cluster.proxy
    .replace(/^https:\/\//i, '')
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1');
  return validateClusterName(host, `clusters.${cluster.name}.proxy`);
}
