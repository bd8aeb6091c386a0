import { Module } from '@nestjs/common';
import { EdgeAgentsRepository } from '../agents/edge-agents.repository.js';
import { LeaseDispatcher } from '../queue/lease-dispatcher.js';
import { QueueModule } from '../queue/queue.module.js';
import { LeaseCommands } from './lease-commands.js';
import { LeaseEvents } from './lease-events.js';
import { LeaseLogFollower } from './lease-log-follower.js';
import { LeaseMetrics } from './lease-metrics.js';
import { LeasePolicyTargets } from './lease-policy-targets.js';
import { LeaseReaper } from './lease-reaper.js';
import { LeaseReportService } from './lease-report.service.js';
import { LeaseWorkers } from './lease-workers.js';
import { LeaseRepository } from './lease.repository.js';
import { LeaseService } from './lease.service.js';
import { LeaseTools } from './lease.tools.js';
import { LeaseWatcher } from './lease-watcher.js';

/**
 * Leases: the service behind the MCP tools, agent reports, dispatch, expiry and the reaper.
 * EdgeAgentsRepository lives here (not in AgentsModule) because choosing an agent is part of
 * starting a lease, and AgentsModule imports this module.
 */
@Module({
  imports: [QueueModule],
  providers: [
    EdgeAgentsRepository,
    LeaseRepository,
    LeaseDispatcher,
    LeaseEvents,
    LeaseMetrics,
    LeasePolicyTargets,
    LeaseService,
    LeaseReportService,
    LeaseCommands,
    LeaseReaper,
    LeaseWorkers,
    LeaseTools,
    LeaseWatcher,
    LeaseLogFollower,
  ],
  exports: [
    EdgeAgentsRepository,
    LeaseService,
    LeaseReportService,
    LeaseCommands,
    LeaseMetrics,
    LeasePolicyTargets,
    LeaseDispatcher,
    LeaseWatcher,
    LeaseLogFollower,
  ],
})
export class LeasesModule {}
