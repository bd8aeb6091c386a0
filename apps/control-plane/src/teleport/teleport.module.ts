import { Global, Module } from '@nestjs/common';
import { TeleportClusters } from './teleport-clusters.js';

/** Global: every domain that runs tsh/tctl injects TeleportClusters. */
@Global()
@Module({
  providers: [TeleportClusters],
  exports: [TeleportClusters],
})
export class TeleportModule {}
