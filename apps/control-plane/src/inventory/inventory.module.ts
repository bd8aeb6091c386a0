import { Module } from '@nestjs/common';
import { InventoryService } from './inventory.service.js';
import { InventoryTools } from './inventory.tools.js';

/** Inventory tools; needs the global TeleportModule. */
@Module({
  providers: [InventoryService, InventoryTools],
  exports: [InventoryService],
})
export class InventoryModule {}
