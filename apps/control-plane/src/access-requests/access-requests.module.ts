import { Module } from '@nestjs/common';
import { AccessRequestToolsProvider } from './access-request-tools.provider.js';
import { AccessRequestsService } from './access-requests.service.js';

/** Access request tools (tsh request …). Needs TeleportModule (global). */
@Module({
  providers: [AccessRequestsService, AccessRequestToolsProvider],
  exports: [AccessRequestsService],
})
export class AccessRequestsModule {}
