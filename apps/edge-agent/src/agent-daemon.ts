// `tmcp-agent run`: wires the configuration, the stored identity, the supervisor and the link,
// recovers leftovers before the first Hello, renews the certificate, and on SIGTERM/SIGINT
// stops every lease, reports it, persists the state and resolves (exit 0).
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createAgentServiceClient, type AgentServiceClientOptions } from '@tmcp/client';
import type { AgentConfig } from '@tmcp/config';
import { TELEPORT_CLIENT_ENV } from '@tmcp/teleport';
import { pino, type Logger } from 'pino';
import { CertificateRenewer } from './certificate-renewer.js';
import { systemClock, type Clock } from './clock.js';
import { ControlPlaneLink } from './control-plane-link.js';
import { EnrollmentStore } from './enrollment-store.js';
import { certificateCommonName } from './issued-certificate.js';
import { LeaseLogBatcher } from './lease-log-batcher.js';
import { TeleportLeaseLauncher } from './lease-process-launcher.js';
import { FileLeaseStateStore } from './lease-state-store.js';
import { LeaseSupervisor } from './lease-supervisor.js';
import { procProcessInspector } from './process-inspector.js';
import type { BackoffPolicy } from './reconnect-backoff.js';

export const AGENT_CAPABILITIES = [
  'lease.proxy_db',
  'lease.proxy_app',
  'lease.proxy_kube',
  'lease.proxy_ssh',
  'lease.proxy_mcp',
  'lease.mcp_db',
  'lease.vnet',
  'mcp.stdio_bridge',
];

export interface AgentDaemonOptions {
  config: AgentConfig;
  agentVersion: string;
  logger?: Logger;
  clock?: Clock;
  env?: Readonly<Record<string, string | undefined>>;
  backoff?: BackoffPolicy;
}

export class AgentDaemon {
  private constructor(
    private readonly supervisor: LeaseSupervisor,
    private readonly link: ControlPlaneLink,
    private readonly renewer: CertificateRenewer,
    private readonly logger: Logger,
  ) {}

  static async start(options: AgentDaemonOptions): Promise<AgentDaemon> {
    const { config } = options;
    const clock = options.clock ?? systemClock;
    const logger =
      options.logger ?? pino({ level: config.logLevel, base: { service: 'tmcp-agent' } });
    const store = new EnrollmentStore(config.dataDir);
    await store.ensureDir();
    const enrollment = await store.load();
    const agentId = certificateCommonName(enrollment.certPem) ?? enrollment.record.agent_id;
    const log = logger.child({ agent_id: agentId });
    if (agentId !== enrollment.record.agent_id) {
      log.warn(
        { recorded: enrollment.record.agent_id },
        'the certificate names another agent id than agent.json; using the certificate',
      );
    }
    const clientOptions: Omit<AgentServiceClientOptions, 'keyPem' | 'certPem'> = {
      address: config.server.address,
      caPem: enrollment.caPem,
      ...(config.server.caPin !== undefined
        ? { caPin: config.server.caPin }
        : enrollment.record.ca_pin === undefined
          ? {}
          : { caPin: enrollment.record.ca_pin }),
      ...(config.server.serverName !== undefined
        ? { serverName: config.server.serverName }
        : enrollment.record.server_name === undefined
          ? {}
          : { serverName: enrollment.record.server_name }),
    };
    if (config.server.caFile !== undefined) {
      clientOptions.caPem = await readFile(config.server.caFile);
    }
    const client = await createAgentServiceClient({
      ...clientOptions,
      keyPem: enrollment.keyPem,
      certPem: enrollment.certPem,
    });
    const renewer = new CertificateRenewer(enrollment, client, {
      store,
      clock,
      logger: log,
      clientOptions,
    });

    const linkRef: { current?: ControlPlaneLink } = {};
    const logs = new LeaseLogBatcher(
      { maxBytes: config.logBatch.maxBytes, bufferLines: config.logBatch.bufferLines },
      () => linkRef.current?.logsFull(),
    );
    const env = options.env ?? process.env;
    const reports = {
      report: (r: Parameters<ControlPlaneLink['report']>[0]) => linkRef.current?.report(r),
      mcpOutput: (id: string, gen: number, data: Buffer) =>
        linkRef.current?.mcpOutput(id, gen, data),
    };
    const supervisor = new LeaseSupervisor(
      {
        clusters: config.clusters,
        stopGraceMs: config.stopGraceSeconds * 1000,
        disconnectGraceMs: config.disconnectGraceSeconds * 1000,
        leftoverPolicy: config.leftoverPolicy,
      },
      {
        clock,
        launcher: new TeleportLeaseLauncher({
          tshPath: config.tshPath,
          teleportHomeRoot: config.teleportHomeRoot,
          inspector: procProcessInspector,
          // The same minimal list the control plane gives its own tsh. The agent's TELEPORT_*
          // (identity file, cluster, user, proxy…) must not change whom or where a lease runs
          // as: the configuration decides that, through the argv and the per-lease home.
          envAllowList: TELEPORT_CLIENT_ENV,
          baseEnv: env,
        }),
        store: new FileLeaseStateStore(config.dataDir),
        inspector: procProcessInspector,
        logs,
        reports,
        logger: log,
      },
    );
    const link = new ControlPlaneLink(
      {
        agentId,
        agentVersion: options.agentVersion,
        hostname: hostname(),
        labels: config.labels,
        capabilities: AGENT_CAPABILITIES,
        heartbeatIntervalMs: config.heartbeatIntervalSeconds * 1000,
        flushIntervalMs: config.logBatch.flushIntervalMs,
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      },
      { client: () => renewer.current(), supervisor, logs, clock, logger: log },
    );
    linkRef.current = link;
    const reaped = await supervisor.recoverLeftovers();
    link.setReaped(reaped);
    log.info(
      { server: config.server.address, leases: supervisor.size, reaped: reaped.length },
      'tmcp-agent started',
    );
    renewer.start();
    link.start();
    return new AgentDaemon(supervisor, link, renewer, log);
  }

  /** Graceful shutdown: stop every lease (reported as AGENT_SHUTDOWN), persist, close the stream. */
  async stop(signal = 'shutdown'): Promise<void> {
    this.logger.info({ signal }, 'shutting down: stopping every lease');
    this.renewer.stop();
    const stopped = await this.supervisor.shutdown();
    await this.link.close();
    this.renewer.current().close();
    this.logger.info(
      { leases_stopped: stopped },
      'tmcp-agent stopped all leases, saved its state and exits',
    );
  }
}
