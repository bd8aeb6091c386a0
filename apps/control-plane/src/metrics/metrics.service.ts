// Owns the process's Prometheus registry. Other modules register their metrics here (never in
// prom-client's global registry), so /metrics shows exactly what this server defines.
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** Why a caller was turned away before any tool ran; a closed set, so the series stay few. */
export const AUTH_FAILURE_REASONS = [
  /** No Authorization header. */
  'missing_token',
  /** A malformed header, an unknown, revoked or expired API key, a bad or expired JWT. */
  'invalid_token',
  /** A valid token that grants no tmcp role. */
  'no_role',
  /** Host or Origin header not allowed (DNS-rebinding protection). */
  'forbidden_origin',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequestsTotal: Counter<HttpLabel>;
  readonly httpRequestDuration: Histogram<HttpLabel>;
  readonly authFailuresTotal: Counter<'endpoint' | 'reason'>;

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
    this.authFailuresTotal = this.counter({
      name: 'tmcp_auth_failures_total',
      help: 'Requests refused before any work, by endpoint and reason (missing_token, invalid_token, no_role, forbidden_origin).',
      labelNames: ['endpoint', 'reason'],
    });
    // Every reason shows from the start (0), so an alert on a rate needs no "absent" clause.
    for (const reason of AUTH_FAILURE_REASONS)
      this.authFailuresTotal.inc({ endpoint: 'mcp', reason }, 0);
  }

  /**
   * Counts and times one HTTP request when its response closes. `route` must be a template
   * (`/mcp`, `/audit/events/:tag`), never the raw path; it is read at close, once routing is done.
   */
  trackHttpRequest(req: IncomingMessage, res: ServerResponse, route: () => string): void {
    const stopTimer = this.httpRequestDuration.startTimer();
    res.once('close', () => {
      const labels = {
        route: route(),
        method: req.method ?? 'UNKNOWN',
        status: res.writableFinished ? String(res.statusCode) : 'aborted',
      };
      this.httpRequestsTotal.inc(labels);
      stopTimer(labels);
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
