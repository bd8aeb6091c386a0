// Gathers the inventory of one cluster with tctl (each step reported as progress) and runs the
// pure health checks over it.
import { Inject, Injectable } from '@nestjs/common';
import {
  parseAuthPreference,
  parseCertAuthorities,
  parseNodes,
  parseProxies,
  parseTctlStatus,
  parseTokens,
  type AuthPreference,
  type TctlStatus,
  type TeleportCertAuthority,
  type TeleportNode,
  type TeleportProxy,
  type TeleportToken,
} from '@tmcp/teleport';
import { CLOCK, type Clock } from '../common/clock.js';
import { TeleportClusters } from '../teleport/teleport-clusters.js';
import {
  runHealthChecks,
  type HealthCheckOptions,
  type HealthFinding,
  type HealthInventory,
} from './health-checks.js';
import {
  ObservedRunner,
  type CommandObserver,
  type TeleportRunnerSource,
} from './observed-runner.js';

export interface HealthCheckReport {
  cluster: string;
  version: string;
  checkedAt: string;
  inventory: {
    nodes: number;
    tunnelNodes: number;
    proxies: number;
    certAuthorities: { type: string; rotation: string }[];
    tokens: number;
    authPreference: Pick<AuthPreference, 'type' | 'secondFactors'> & {
      secondFactor?: string;
      requireSessionMfa?: string;
    };
    agentVersions: Record<string, number>;
  };
  findings: HealthFinding[];
}

export interface HealthCheckCall {
  cluster?: string;
  observe?: CommandObserver;
  /** Called before each step (1-based) with the step count and what it does. */
  onStep?: (step: number, total: number, message: string) => Promise<void>;
  options?: Omit<HealthCheckOptions, 'now'>;
}

@Injectable()
export class HealthCheckService {
  constructor(
    @Inject(TeleportClusters) private readonly clusters: TeleportRunnerSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async run(call: HealthCheckCall = {}): Promise<HealthCheckReport> {
    const r = new ObservedRunner(this.clusters.runner(call.cluster), call.observe);
    const steps = [
      'tctl status',
      'tctl get nodes',
      'tctl get proxies',
      'tctl get cert_authorities',
      'tctl get cluster_auth_preference',
      'tctl tokens ls',
      'evaluating checks',
    ] as const;
    const step = async (i: number): Promise<void> => {
      await call.onStep?.(i + 1, steps.length, steps[i] ?? '');
    };
    await step(0);
    const status: TctlStatus = parseTctlStatus(
      (await r.run('tctl', r.tctl.status(), { read: true })).stdout,
    );
    await step(1);
    const nodes: TeleportNode[] = parseNodes(
      (await r.run('tctl', r.tctl.getAll('nodes'), { read: true })).stdout,
    );
    await step(2);
    const proxies: TeleportProxy[] = parseProxies(
      (await r.run('tctl', r.tctl.getAll('proxies'), { read: true })).stdout,
    );
    await step(3);
    const cas: TeleportCertAuthority[] = parseCertAuthorities(
      (await r.run('tctl', r.tctl.getAll('cert_authorities'), { read: true })).stdout,
    );
    await step(4);
    const authPreference = parseAuthPreference(
      (await r.run('tctl', r.tctl.getAll('cluster_auth_preference'), { read: true })).stdout,
    );
    await step(5);
    // Token names are join secrets: parsed from raw output into masked models, never recorded.
    const tokens: TeleportToken[] = parseTokens(
      (await r.run('tctl', r.tctl.listTokens(), { read: true, rawStdout: true })).stdout,
    );
    await step(6);
    const now = this.clock.now();
    const inventory: HealthInventory = { status, nodes, proxies, cas, authPreference, tokens };
    const findings = runHealthChecks(inventory, { ...call.options, now });
    const agentVersions: Record<string, number> = {};
    for (const v of [...nodes, ...proxies].map((s) => s.version ?? 'unknown')) {
      agentVersions[v] = (agentVersions[v] ?? 0) + 1;
    }
    return {
      cluster: status.cluster,
      version: status.version,
      checkedAt: now.toISOString(),
      inventory: {
        nodes: nodes.length,
        tunnelNodes: nodes.filter((n) => n.useTunnel).length,
        proxies: proxies.length,
        certAuthorities: cas.map((ca) => ({
          type: ca.type,
          rotation:
            ca.rotation?.state === 'in_progress'
              ? `in progress (${ca.rotation.phase ?? '?'})`
              : ca.rotation?.lastRotated
                ? `rotated ${ca.rotation.lastRotated}`
                : 'never rotated',
        })),
        tokens: tokens.length,
        authPreference: {
          type: authPreference.type,
          secondFactors: authPreference.secondFactors,
          ...(authPreference.secondFactor === undefined
            ? {}
            : { secondFactor: authPreference.secondFactor }),
          ...(authPreference.requireSessionMfa === undefined
            ? {}
            : { requireSessionMfa: authPreference.requireSessionMfa }),
        },
        agentVersions,
      },
      findings,
    };
  }
}
