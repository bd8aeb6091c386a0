import type { Command } from 'commander';
import {
  CreateJoinTokenResponseSchema,
  ListJoinTokensResponseSchema,
  RevokeJoinTokenResponseSchema,
  type JoinToken,
} from '@tmcp/proto';
import { parseDurationSeconds, parseLabels } from '../cli-values.js';
import { tokensTable } from '../output/views.js';
import { printListing, withPageOptions, type ContextOf, type PageOptions } from './command-kit.js';

export function registerTokensCommands(program: Command, contextOf: ContextOf): void {
  const tokens = program.command('tokens').description('agent join tokens: create, list, remove');

  tokens
    .command('create')
    .description('create a one-time join token for an edge agent (shown only once)')
    .option(
      '--ttl <duration>',
      'how long the token stays valid (default: the server setting, 15m)',
      parseDurationSeconds,
    )
    .option('--labels <k=v,...>', 'labels given to the agent that enrolls', parseLabels)
    .action(
      async (options: { ttl?: number; labels?: Record<string, string> }, command: Command) => {
        const ctx = contextOf(command);
        const res = await ctx.waiting(
          'creating',
          ctx.client().createJoinToken({
            labels: options.labels ?? {},
            ...(options.ttl === undefined
              ? {}
              : { ttl: { seconds: BigInt(options.ttl), nanos: 0 } }),
          }),
        );
        ctx.print(
          CreateJoinTokenResponseSchema,
          res,
          () =>
            `${res.joinToken === undefined ? '' : tokensTable([res.joinToken], ctx.now(), ctx.io.columns)}\nJoin token (shown only now; give it to the agent):\n${res.token}\n`,
        );
      },
    );

  withPageOptions(
    tokens
      .command('ls')
      .description('list join tokens (never their values)')
      .option('-a, --all', 'include used, revoked and expired tokens'),
  ).action(async (options: PageOptions & { all?: boolean }, command: Command) => {
    const ctx = contextOf(command);
    await printListing<JoinToken, typeof ListJoinTokensResponseSchema>(ctx, options, {
      fetch: async (pageSize, pageToken) => {
        const page = await ctx
          .client()
          .listJoinTokens({ pageSize, pageToken, includeInactive: options.all === true });
        return { items: page.joinTokens, next: page.nextPageToken };
      },
      schema: ListJoinTokensResponseSchema,
      response: (joinTokens, nextPageToken) => ({ joinTokens, nextPageToken }),
      table: (items) => tokensTable(items, ctx.now(), ctx.io.columns),
    });
  });

  tokens
    .command('rm')
    .description('revoke an unused join token')
    .argument('<token-id>', 'the ID shown by tokens ls')
    .action(async (tokenId: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const res = await ctx.waiting('revoking', ctx.client().revokeJoinToken({ tokenId }));
      ctx.print(RevokeJoinTokenResponseSchema, res, () => `join token ${tokenId} revoked\n`);
    });
}
