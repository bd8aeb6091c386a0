import { type DynamicModule, Module } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AccessRequestsModule } from './access-requests/access-requests.module.js';
import { AdminModule } from './admin/admin.module.js';
import { AgentsModule } from './agents/agents.module.js';
import { AuditModule } from './audit/audit.module.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { FederationModule } from './federation/federation.module.js';
import { HealthModule } from './health/health.module.js';
import { InventoryModule } from './inventory/inventory.module.js';
import { LocalAgentModule } from './local-agent/local-agent.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { McpAdminModule } from './mcp-admin/mcp-admin.module.js';
import { McpModule } from './mcp/mcp.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PassthroughModule } from './passthrough/passthrough.module.js';
import { PrincipalsModule } from './principals/principals.module.js';
import { QueueModule } from './queue/queue.module.js';
import { RedisModule } from './redis/redis.module.js';
import { SecurityModule } from './security/security.module.js';
import { TeleportModule } from './teleport/teleport.module.js';

/** What the app is built from: parsed config and the connections opened (and checked) first. */
export interface AppDependencies {
  config: ServerConfig;
  logger: Logger;
  dataSource: DataSource;
  redis: Redis;
}

@Module({})
export class AppModule {
  static forRoot({ config, logger, dataSource, redis }: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Infrastructure (global providers: config, clock, logger, data source, Redis, metrics).
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot(dataSource),
        RedisModule.forRoot(redis),
        MetricsModule,
        HealthModule,
        TeleportModule,
        QueueModule,
        // Identity and the MCP gateway (auth, policy, operations, roles).
        PrincipalsModule,
        McpModule,
        // Domains offering MCP tools (discovered by the gateway through @McpToolSource()).
        InventoryModule,
        SecurityModule,
        AuditModule,
        AccessRequestsModule,
        McpAdminModule,
        PassthroughModule,
        // Edge agents and leases (agent gRPC port, BullMQ dispatch, reaper, lease tools).
        AgentsModule,
        FederationModule,
        LocalAgentModule,
        // The admin gRPC API behind tmcpctl.
        AdminModule,
      ],
    };
  }
}
