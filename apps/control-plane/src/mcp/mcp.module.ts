import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { ServerConfig } from '@tmcp/config';
import { AuthModule } from '../auth/auth.module.js';
import { OperationsModule } from '../operations/operations.module.js';
import { RolesModule } from '../roles/roles.module.js';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { MCP_GATEWAY_OPTIONS, mcpGatewayOptionsFrom } from './mcp-gateway-options.js';
import { McpGateway } from './mcp-gateway.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { SessionStore } from './session-store.js';
import { ToolCallPipeline } from './tool-call-pipeline.js';
import { ToolCatalogue } from './tool-catalogue.js';

/** The MCP gateway: /mcp transport, authentication, policy, operations, tool discovery. */
@Module({
  imports: [DiscoveryModule, AuthModule, OperationsModule, RolesModule],
  providers: [
    {
      provide: MCP_GATEWAY_OPTIONS,
      inject: [SERVER_CONFIG],
      useFactory: (config: ServerConfig) => mcpGatewayOptionsFrom(config.mcp),
    },
    ToolCatalogue,
    ToolCallPipeline,
    RedisRateLimiter,
    SessionStore,
    McpGateway,
  ],
  exports: [McpGateway, ToolCatalogue],
})
export class McpModule {}
