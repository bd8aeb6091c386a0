// The federated tools of the caller's leases (DESIGN §3.2): for every active proxy_mcp / mcp_db
// lease the actor may see (lease scope own/any, as LeaseService applies it), the tools its MCP
// server lists — through `tsh mcp connect`, so Teleport's own `mcp.tools` already filtered them —
// renamed `<lease-name>__<tool>` and kept only where the role's federated tool patterns allow the
// upstream name (`evaluate(actor, 'federation.call', { tool })`). Servers that do not answer, or
// whose agent is connected to another replica, are left out of the list.
import type { Tool } from '@modelcontextprotocol/server';
import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@tmcp/errors';
import { evaluate, type RoleResolver } from '@tmcp/policy';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { LeaseCaller } from '../leases/lease.service.js';
import { LeaseService } from '../leases/lease.service.js';
import type { LeaseRecord } from '../leases/lease.repository.js';
import { LOGGER } from '../logging/logger.token.js';
import type { FederatedTool, FederatedToolSource } from '../mcp/federated-tool-source.js';
import type { ToolActor, ToolContext, ToolResult } from '../mcp/tool-definition.js';
import type { UpstreamCallResult, UpstreamTool } from './federated-mcp-client.js';
import {
  federatedToolName,
  leaseToolPrefix,
  parseFederatedToolName,
} from './federated-tool-name.js';
import { FederationHub } from './federation-hub.js';

const FEDERATED_KINDS: ReadonlySet<string> = new Set(['proxy_mcp', 'mcp_db']);
const MAX_DESCRIPTION = 2_000;
const objectSchema = z.object({ type: z.literal('object') }).loose();

@Injectable()
export class LeaseFederatedToolSource implements FederatedToolSource {
  constructor(
    private readonly leases: LeaseService,
    private readonly hub: FederationHub,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async list(actor: ToolActor, roles: RoleResolver, signal?: AbortSignal): Promise<Tool[]> {
    const leases = await this.visibleLeases(actor, roles);
    const perLease = await Promise.all(
      leases.map(async (lease) => {
        try {
          const tools = await this.hub.clientFor(lease).listTools(signal);
          return tools.flatMap((tool) => this.wireTool(actor, roles, lease, tool) ?? []);
        } catch (error) {
          this.logger.warn(
            { err: error, lease_id: lease.leaseId },
            'federated MCP server not listed',
          );
          return [];
        }
      }),
    );
    return perLease.flat();
  }

  async resolve(
    actor: ToolActor,
    roles: RoleResolver,
    name: string,
  ): Promise<FederatedTool | undefined> {
    const ref = parseFederatedToolName(name);
    if (ref === undefined) return undefined;
    const matches = (await this.visibleLeases(actor, roles)).filter(
      (lease) => leaseToolPrefix(lease.leaseId) === ref.leaseName,
    );
    const lease = matches[0];
    if (lease === undefined) return undefined;
    if (matches.length > 1) {
      throw new AppError(
        'conflict',
        `two active leases share the name ${ref.leaseName}; stop one of them to use its tools`,
      );
    }
    return {
      name,
      upstreamTool: ref.upstreamTool,
      run: (args, ctx) => this.call(lease, ref.upstreamTool, args, ctx),
    };
  }

  private async call(
    lease: LeaseRecord,
    tool: string,
    args: Record<string, unknown>,
    ctx: ToolContext,
  ): Promise<ToolResult<unknown>> {
    const result = await this.hub.clientFor(lease).callTool(tool, args, ctx.signal);
    return toToolResult(result);
  }

  /** Active federated leases in the actor's lease scope (that of its federation.call roles). */
  private async visibleLeases(actor: ToolActor, roles: RoleResolver): Promise<LeaseRecord[]> {
    // Without a tool name the decision stops at "requirement: tool", after the constraints of
    // the roles granting federation.call are combined: their lease scope is the one that counts.
    const { constraints } = evaluate(actor, 'federation.call', {}, roles);
    const caller: LeaseCaller = { actor: actor.id, leaseScope: constraints.leaseScope };
    const leases = await this.leases.list(caller, { activeOnly: true, limit: 1_000 });
    return leases.filter((l) => l.status === 'active' && FEDERATED_KINDS.has(l.kind));
  }

  private wireTool(
    actor: ToolActor,
    roles: RoleResolver,
    lease: LeaseRecord,
    tool: UpstreamTool,
  ): Tool | undefined {
    const name = federatedToolName(lease.leaseId, tool.name);
    if (name === undefined) return undefined;
    if (!evaluate(actor, 'federation.call', { tool: tool.name }, roles).allow) return undefined;
    const target = Object.values(lease.target).join('/');
    const origin = `[${lease.kind} ${target}, lease ${lease.leaseId}]`;
    const inputSchema = objectSchema.safeParse(tool.inputSchema);
    return {
      name,
      title: `${tool.title ?? tool.name} (${target})`,
      description: `${origin} ${tool.description ?? ''}`.trim().slice(0, MAX_DESCRIPTION),
      inputSchema: inputSchema.success ? inputSchema.data : { type: 'object' },
      ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
    };
  }
}

/** The upstream result as a tmcp tool result: text content joined, other content named. */
export function toToolResult(result: UpstreamCallResult): ToolResult<unknown> {
  const text = result.content
    .map((item) =>
      item.type === 'text' && typeof item.text === 'string'
        ? item.text
        : `[${String(item.type)} content${typeof item.mimeType === 'string' ? ` (${item.mimeType})` : ''} not relayed]`,
    )
    .join('\n');
  return {
    text,
    structured: result.structuredContent ?? {},
    ...(result.isError === true ? { isError: true } : {}),
  };
}
