import { Module } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { FederationHub } from '../federation/federation-hub.js';
import { LeasesModule } from '../leases/leases.module.js';
import { AGENT_CA } from './agent-ca.token.js';
import { AgentConnectHandler } from './agent-connect.handler.js';
import { AgentEnrollmentService } from './agent-enrollment.service.js';
import { AgentServiceServer } from './agent-service.server.js';
import { AgentStreamRegistry } from './agent-stream-registry.js';
import { AgentsService } from './agents.service.js';
import { CertificateAuthority } from './certificate-authority.js';
import { JoinTokensService } from './join-tokens.service.js';
import { newReplicaId, REPLICA_ID } from './replica-id.js';

/** Edge agents: the CA, join tokens, enrollment and the AgentService gRPC port. */
@Module({
  imports: [LeasesModule],
  providers: [
    {
      provide: AGENT_CA,
      inject: [SERVER_CONFIG],
      useFactory: (config: ServerConfig) =>
        CertificateAuthority.loadOrCreate(config.agentService.caDir),
    },
    { provide: REPLICA_ID, useFactory: newReplicaId },
    JoinTokensService,
    AgentEnrollmentService,
    AgentStreamRegistry,
    AgentConnectHandler,
    AgentServiceServer,
    AgentsService,
    FederationHub,
  ],
  exports: [
    AGENT_CA,
    REPLICA_ID,
    FederationHub,
    JoinTokensService,
    AgentServiceServer,
    AgentStreamRegistry,
    AgentsService,
  ],
})
export class AgentsModule {}
