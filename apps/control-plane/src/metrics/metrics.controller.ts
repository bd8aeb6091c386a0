// GET /metrics for Prometheus. Not anonymous: the scraper presents metrics.bearer_token
// (Prometheus: `authorization: {credentials_file: …}`). Without a configured token the endpoint
// answers 503 rather than serve anyone.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { StaticBearerToken } from '../common/static-bearer-token.js';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { MetricsService } from './metrics.service.js';

export const METRICS_NOT_CONFIGURED_MESSAGE =
  'metrics are not configured: set metrics.bearer_token (TMCP_METRICS__BEARER_TOKEN) on the server and have the scraper send it';
const CHALLENGE = 'Bearer realm="tmcp-metrics"';

@Controller()
export class MetricsController {
  private readonly token: StaticBearerToken | undefined;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(SERVER_CONFIG) config: ServerConfig,
  ) {
    const token = config.metrics.bearerToken;
    this.token = token === undefined ? undefined : new StaticBearerToken(token);
  }

  @Get('metrics')
  async render(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    if (this.token === undefined) {
      refuse(res, 503, 'unavailable', METRICS_NOT_CONFIGURED_MESSAGE);
      return;
    }
    const check = this.token.check(req.headers.authorization);
    if (check !== 'ok') {
      this.metrics.authFailuresTotal.inc({
        endpoint: 'metrics',
        reason: check === 'missing' ? 'missing_token' : 'invalid_token',
      });
      refuse(
        res,
        401,
        'unauthenticated',
        check === 'missing'
          ? 'missing bearer token: send "Authorization: Bearer <metrics token>"'
          : 'invalid metrics token',
        { 'www-authenticate': CHALLENGE },
      );
      return;
    }
    const body = await this.metrics.render();
    res.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store' });
    res.end(body);
  }
}

function refuse(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify({ error: { code, message } }));
}
