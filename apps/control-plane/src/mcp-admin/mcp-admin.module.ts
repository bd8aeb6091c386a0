import { Module } from '@nestjs/common';
import { McpAdminToolsProvider } from './mcp-admin-tools.provider.js';
import { McpAdminService } from './mcp-admin.service.js';

/** MCP access admin tools. Needs TeleportModule (global) and ConfigModule (SERVER_CONFIG). */
@Module({
  providers: [McpAdminService, McpAdminToolsProvider],
  exports: [McpAdminService],
})
export class McpAdminModule {}
