import { Global, Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { LeasesModule } from '../leases/leases.module.js';
import { FEDERATED_TOOL_SOURCE } from '../mcp/federated-tool-source.js';
import { LeaseFederatedToolSource } from './lease-federated-tool-source.js';

/**
 * Federation: the tools of MCP servers behind proxy_mcp / mcp_db leases. Global so the gateway
 * (which must not depend on agents and leases) finds FEDERATED_TOOL_SOURCE when the app has it;
 * the FederationHub itself lives in AgentsModule, next to the stream handler that feeds it.
 */
@Global()
@Module({
  imports: [AgentsModule, LeasesModule],
  providers: [
    LeaseFederatedToolSource,
    { provide: FEDERATED_TOOL_SOURCE, useExisting: LeaseFederatedToolSource },
  ],
  exports: [FEDERATED_TOOL_SOURCE],
})
export class FederationModule {}
