import { Module } from '@nestjs/common';
import { PassthroughToolsProvider } from './passthrough-tools.provider.js';
import { PassthroughService } from './passthrough.service.js';

/** tsh/tctl passthrough tools (present only when enabled in policy config). */
@Module({
  providers: [PassthroughService, PassthroughToolsProvider],
})
export class PassthroughModule {}
