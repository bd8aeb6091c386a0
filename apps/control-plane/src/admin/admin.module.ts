// The admin gRPC API (DESIGN §3.6): AdminService on its own port, for tmcpctl. Needs the global
// SERVER_CONFIG/CLOCK, LOGGER, REDIS and the TypeORM DataSource (for readiness), and the
// agents, leases and audit modules whose services the RPCs call.
import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { ReadinessService } from '../health/readiness.service.js';
import { LeasesModule } from '../leases/leases.module.js';
import { OperationsModule } from '../operations/operations.module.js';
import { PrincipalsModule } from '../principals/principals.module.js';
import { RolesModule } from '../roles/roles.module.js';
import { AdminCallGuard } from './admin-call-guard.js';
import {
  ADMIN_CERTIFICATE_AUTHENTICATOR,
  AdminCallerAuthenticator,
} from './admin-caller-authenticator.js';
import { AdminClientCertificates } from './admin-client-certificates.js';
import { AdminGrpcServer } from './admin-grpc-server.js';
import { AdminServiceHandlers } from './admin-service.handlers.js';

@Module({
  imports: [
    PrincipalsModule,
    OperationsModule,
    RolesModule,
    AuditModule,
    AgentsModule,
    LeasesModule,
  ],
  providers: [
    // HealthModule keeps its ReadinessService private; the checks are stateless, so GetStatus
    // runs its own instance.
    ReadinessService,
    AdminCallerAuthenticator,
    // Client certificates of grpc.tls.ca_file name principals (none accepted when it is unset).
    { provide: ADMIN_CERTIFICATE_AUTHENTICATOR, useClass: AdminClientCertificates },
    AdminCallGuard,
    AdminServiceHandlers,
    AdminGrpcServer,
  ],
  exports: [AdminGrpcServer],
})
export class AdminModule {}
