// Lease and agent metrics on the server's registry: leases by state (from Postgres, refreshed by
// the reaper), agents connected to this replica, queue depths, lease start latency.
import { Injectable } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { LEASE_STATUSES, type LeaseStatus } from '../database/entities/index.js';
import { MetricsService } from '../metrics/metrics.service.js';

@Injectable()
export class LeaseMetrics {
  readonly leasesByState: Gauge<'state'>;
  readonly agentsConnected: Gauge;
  readonly agentsOnline: Gauge;
  readonly queueDepth: Gauge<'queue'>;
  readonly startLatency: Histogram;
  readonly logLines: Counter;
  readonly droppedLogLines: Counter;

  constructor(metrics: MetricsService) {
    this.leasesByState = metrics.gauge({
      name: 'tmcp_leases',
      help: 'Leases by state (all replicas; from PostgreSQL, refreshed by the reaper).',
      labelNames: ['state'],
    });
    this.agentsConnected = metrics.gauge({
      name: 'tmcp_agents_connected',
      help: 'Edge agents whose stream this replica holds.',
    });
    this.agentsOnline = metrics.gauge({
      name: 'tmcp_agents_online',
      help: 'Edge agents online (all replicas; from PostgreSQL, refreshed by the reaper).',
    });
    this.queueDepth = metrics.gauge({
      name: 'tmcp_queue_depth',
      help: 'BullMQ jobs waiting or delayed, by queue (agent queues summed as "agents").',
      labelNames: ['queue'],
    });
    this.startLatency = metrics.histogram({
      name: 'tmcp_lease_start_duration_seconds',
      help: 'From start_proxy to the lease being active.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    });
    this.logLines = metrics.counter({
      name: 'tmcp_lease_log_lines_total',
      help: 'Lease log lines stored from agents by this replica.',
    });
    this.droppedLogLines = metrics.counter({
      name: 'tmcp_lease_log_lines_dropped_total',
      help: 'Lease log lines agents dropped (buffer full while disconnected), as reported to this replica.',
    });
  }

  setLeaseCounts(counts: ReadonlyMap<LeaseStatus, number>): void {
    for (const state of LEASE_STATUSES) this.leasesByState.set({ state }, counts.get(state) ?? 0);
  }
}
