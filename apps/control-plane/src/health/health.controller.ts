import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import type { ReadinessReport } from './readiness.js';
import { ReadinessService } from './readiness.service.js';

@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  /** Liveness: answers while the process can serve HTTP at all. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: 200 when every dependency is usable, 503 naming the checks that failed. */
  @Get('readyz')
  async readyz(): Promise<ReadinessReport> {
    const report = await this.readiness.check();
    if (report.status !== 'ready') throw new ServiceUnavailableException(report);
    return report;
  }
}
