// The MCP clients of federated leases on this replica (DESIGN §3.5): agent→CP McpFrames are
// routed here by the agent stream handler, CP→agent frames go out through AgentStreamRegistry.
// First version: only leases whose agent is connected to THIS replica are reachable (the stream
// is here); others get a clear `unavailable`.
import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@tmcp/errors';
import type { Logger } from 'pino';
import { AgentStreamRegistry } from '../agents/agent-stream-registry.js';
import { LOGGER } from '../logging/logger.token.js';
import { FederatedMcpClient } from './federated-mcp-client.js';
import { LeaseFrameTransport } from './lease-frame-transport.js';

/** What the hub needs to know of a lease to reach its server. */
export interface FederatedLeaseRef {
  readonly leaseId: string;
  readonly agentId: string | null;
  readonly generation: number;
}

export interface McpFrameIn {
  readonly leaseId: string;
  readonly generation: number;
  readonly data: Uint8Array;
}

interface Entry {
  readonly agentId: string;
  readonly state: { generation: number };
  readonly transport: LeaseFrameTransport;
  readonly client: FederatedMcpClient;
}

@Injectable()
export class FederationHub {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly registry: AgentStreamRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The client of a lease's server, created on first use. */
  clientFor(lease: FederatedLeaseRef): FederatedMcpClient {
    const agentId = lease.agentId;
    if (agentId === null)
      throw new AppError('unavailable', 'the lease has no agent yet; wait until it is active');
    if (!this.registry.has(agentId)) {
      throw new AppError(
        'unavailable',
        "unavailable: the lease's agent is connected to another replica; federated tools are served only by the replica that holds the agent's stream — retry, or reconnect through that replica",
      );
    }
    let entry = this.entries.get(lease.leaseId);
    if (entry !== undefined && (entry.client.isClosed || entry.agentId !== agentId)) {
      entry.client.close('replaced');
      this.entries.delete(lease.leaseId);
      entry = undefined;
    }
    if (entry === undefined) {
      const leaseId = lease.leaseId;
      const state = { generation: lease.generation };
      const transport: LeaseFrameTransport = new LeaseFrameTransport((data) => {
        const sent = this.registry.send(
          agentId,
          { case: 'mcpFrame', value: { leaseId, generation: state.generation, data } },
          '',
        );
        if (!sent) transport.close('the agent disconnected');
      });
      entry = { agentId, state, transport, client: new FederatedMcpClient(transport) };
      this.entries.set(leaseId, entry);
    }
    // extend_proxy bumps the generation; the agent accepts input for the current one only.
    entry.state.generation = Math.max(entry.state.generation, lease.generation);
    return entry.client;
  }

  /** An agent→CP frame. Frames of leases nobody asked about are dropped. */
  receive(agentId: string, frame: McpFrameIn): void {
    const entry = this.entries.get(frame.leaseId);
    if (entry?.agentId !== agentId) return;
    entry.transport.receive(frame.data);
  }

  /** The lease ended: its server is gone. */
  end(leaseId: string, reason = 'the lease ended'): void {
    const entry = this.entries.get(leaseId);
    if (entry === undefined) return;
    this.entries.delete(leaseId);
    entry.transport.close(reason);
    this.logger.debug({ lease_id: leaseId, reason }, 'federated MCP client closed');
  }

  /** The agent's stream on this replica ended: every one of its servers is unreachable. */
  agentGone(agentId: string): void {
    for (const [leaseId, entry] of this.entries) {
      if (entry.agentId === agentId) this.end(leaseId, 'the agent disconnected');
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
