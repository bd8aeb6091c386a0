import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { LocalAgentSupervisor } from './local-agent.supervisor.js';

/** The built-in local agent (local_agent.enabled): a supervised `tmcp-agent` child process. */
@Module({
  imports: [AgentsModule],
  providers: [LocalAgentSupervisor],
})
export class LocalAgentModule {}
