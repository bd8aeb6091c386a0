// Owns the process's Prometheus registry. Other modules register their metrics here (never in
// prom-client's global registry), so /metrics shows exactly what this server defines.
import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';

export type HttpLabel = 'route' | 'method' | 'status';

@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequestsTotal: Counter<HttpLabel>;
  readonly httpRequestDuration: Histogram<HttpLabel>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpRequestsTotal = this.counter({
      name: 'tmcp_http_requests_total',
      help: 'HTTP requests served, by route template, method and status code.',
      labelNames: ['route', 'method', 'status'],
    });
    this.httpRequestDuration = this.histogram({
      name: 'tmcp_http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by route template, method and status code.',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
  }

  counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  gauge<L extends string>(config: GaugeConfiguration<L>): Gauge<L> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<L extends string>(config: HistogramConfiguration<L>): Histogram<L> {
    return new Histogram({ ...config, registers: [this.registry] });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
