import { Module } from '@nestjs/common';
import { HealthCheckService } from './health-check.service.js';
import { McpAccessDiagnosisService } from './mcp-access-diagnosis.service.js';
import { RbacScanService } from './rbac-scan.service.js';
import { SecurityToolsProvider } from './security-tools.provider.js';

/** Health & security tools. Needs TeleportModule (global) and ConfigModule (CLOCK). */
@Module({
  providers: [
    HealthCheckService,
    RbacScanService,
    McpAccessDiagnosisService,
    SecurityToolsProvider,
  ],
  exports: [HealthCheckService, RbacScanService, McpAccessDiagnosisService],
})
export class SecurityModule {}
