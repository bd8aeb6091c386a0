// The admin use cases of edge agents: list, show, drain and revoke. Draining is recorded in Postgres
// (so no replica places new leases on the agent) and, when this replica holds the agent's
// stream, told to the agent itself, which then refuses new leases on its own as well.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@tmcp/errors';
import type { Logger } from 'pino';
import { LOGGER } from '../logging/logger.token.js';
import { AgentStreamRegistry } from './agent-stream-registry.js';
import { EdgeAgentsRepository, type EdgeAgentDetails } from './edge-agents.repository.js';

export interface DrainResult {
  readonly agent: EdgeAgentDetails;
  /** Whether the Drain message went to the agent's stream (it is connected to this replica). */
  readonly notified: boolean;
}

@Injectable()
export class AgentsService {
  constructor(
    private readonly agents: EdgeAgentsRepository,
    private readonly registry: AgentStreamRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A page of agents by name; `afterName` is the last name of the previous page. */
  list(options: {
    onlineOnly: boolean;
    afterName?: string;
    limit: number;
  }): Promise<EdgeAgentDetails[]> {
    return this.agents.page(options);
  }

  /** An agent by id or name. */
  async get(idOrName: string): Promise<EdgeAgentDetails> {
    const agent = await this.agents.details(idOrName);
    if (agent === undefined) {
      throw new AppError(
        'not_found',
        `edge agent "${idOrName}" not found: \`tmcpctl agents ls\` lists the enrolled agents`,
      );
    }
    return agent;
  }

  /** Marks the agent draining and tells it so when it is connected here. Idempotent. */
  async drain(idOrName: string, by: { actor: string; reason: string }): Promise<DrainResult> {
    const agent = await this.get(idOrName);
    await this.agents.markDraining(agent.agentId);
    const notified = this.registry.send(
      agent.agentId,
      { case: 'drain', value: { reason: by.reason || `drained by ${by.actor}` } },
      `drain-${randomUUID()}`,
    );
    this.logger.info(
      { agent_id: agent.agentId, actor: by.actor, reason: by.reason, notified },
      'edge agent draining',
    );
    return { agent: await this.get(agent.agentId), notified };
  }

  /**
   * Revokes every certificate of the agent, so it can no longer connect or renew, and ends its
   * stream: at once when this replica holds it, otherwise at its next heartbeat on the replica
   * that does (that replica re-checks the certificate on every heartbeat). The agent must
   * enroll again with a new join token. Its running leases end on the agent by the
   * disconnect-grace rule. Idempotent.
   */
  async revoke(idOrName: string, by: { actor: string; reason: string }): Promise<DrainResult> {
    const agent = await this.get(idOrName);
    const revoked = await this.agents.revokeCertificates(agent.agentId);
    const notified = this.registry.disconnect(
      agent.agentId,
      new AppError(
        'access_denied',
        `the agent was revoked by ${by.actor}${by.reason === '' ? '' : ` (${by.reason})`}: enroll it again with a new join token`,
      ),
    );
    this.logger.info(
      { agent_id: agent.agentId, actor: by.actor, reason: by.reason, revoked, notified },
      'edge agent revoked',
    );
    return { agent: await this.get(agent.agentId), notified };
  }

  /** Agents connected to any replica (draining ones included). */
  countConnected(): Promise<number> {
    return this.agents.countConnected();
  }
}
