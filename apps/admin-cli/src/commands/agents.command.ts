import type { Command } from 'commander';
import {
  DrainAgentResponseSchema,
  GetAgentResponseSchema,
  ListAgentsResponseSchema,
  RevokeAgentResponseSchema,
  type Agent,
} from '@tmcp/proto';
import { agentFields, agentsTable } from '../output/views.js';
import { printListing, withPageOptions, type ContextOf, type PageOptions } from './command-kit.js';

export function registerAgentsCommands(program: Command, contextOf: ContextOf): void {
  const agents = program
    .command('agents')
    .description('list, inspect, drain and revoke edge agents');

  withPageOptions(
    agents
      .command('ls')
      .description('list enrolled agents')
      .option('--online', 'only agents that are connected'),
  ).action(async (options: PageOptions & { online?: boolean }, command: Command) => {
    const ctx = contextOf(command);
    await printListing<Agent, typeof ListAgentsResponseSchema>(ctx, options, {
      fetch: async (pageSize, pageToken) => {
        const page = await ctx
          .client()
          .listAgents({ pageSize, pageToken, onlineOnly: options.online === true });
        return { items: page.agents, next: page.nextPageToken };
      },
      schema: ListAgentsResponseSchema,
      response: (agents, nextPageToken) => ({ agents, nextPageToken }),
      table: (items) => agentsTable(items, ctx.now(), ctx.io.columns),
    });
  });

  agents
    .command('show')
    .description('show one agent')
    .argument('<agent-id>', 'the ID shown by agents ls')
    .action(async (agentId: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const res = await ctx.waiting('loading', ctx.client().getAgent({ agentId }));
      ctx.print(GetAgentResponseSchema, res, () =>
        res.agent === undefined ? '\n' : agentFields(res.agent, ctx.now(), ctx.io.columns),
      );
    });

  agents
    .command('drain')
    .description('stop scheduling new leases on an agent (running leases continue)')
    .argument('<agent-id>', 'the ID shown by agents ls')
    .action(async (agentId: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const res = await ctx.waiting(
        'draining',
        ctx.client().drainAgent({ agentId, reason: ctx.reason ?? '' }),
      );
      ctx.print(DrainAgentResponseSchema, res, () => `agent ${agentId} is draining\n`);
    });

  agents
    .command('revoke')
    .description(
      'revoke an agent: its certificates stop working and its stream is closed; it must enroll again with a new join token',
    )
    .argument('<agent-id>', 'the ID (or name) shown by agents ls')
    .action(async (agentId: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const res = await ctx.waiting(
        'revoking',
        ctx.client().revokeAgent({ agentId, reason: ctx.reason ?? '' }),
      );
      ctx.print(RevokeAgentResponseSchema, res, () =>
        res.agent === undefined
          ? `agent ${agentId} is revoked\n`
          : `agent ${agentId} is revoked${res.disconnected ? ' and its stream closed' : ''}\n${agentFields(res.agent, ctx.now(), ctx.io.columns)}`,
      );
    });
}
