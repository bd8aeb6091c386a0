import { Option, type Command } from 'commander';
import {
  CreatePrincipalResponseSchema,
  ListPrincipalsResponseSchema,
  PrincipalKind,
  RevokePrincipalResponseSchema,
  type Principal,
} from '@tmcp/proto';
import { parseExpiresSeconds } from '../cli-values.js';
import { principalFields, principalsTable } from '../output/views.js';
import { printListing, withPageOptions, type ContextOf, type PageOptions } from './command-kit.js';

export function registerPrincipalsCommands(program: Command, contextOf: ContextOf): void {
  const principals = program
    .command('principals')
    .description('create, list and revoke API-key principals');

  principals
    .command('create')
    .description('create a principal and print its API key (shown only once)')
    .requiredOption('--name <name>', 'unique name: the actor recorded in operations')
    .option(
      '--role <role>',
      'admin, operator, user, readonly or a custom role (service default: operator)',
    )
    .addOption(
      new Option('--kind <kind>', 'what the principal is')
        .choices(['service', 'user'])
        .default('service'),
    )
    .option('--expires <when>', 'key lifetime: a duration (90d, 12h) or an ISO 8601 time')
    .action(
      async (
        options: { name: string; role?: string; kind: 'service' | 'user'; expires?: string },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const ttlSeconds =
          options.expires === undefined
            ? undefined
            : parseExpiresSeconds(options.expires, ctx.now());
        const res = await ctx.waiting(
          'creating',
          ctx.client().createPrincipal({
            name: options.name,
            kind: options.kind === 'user' ? PrincipalKind.USER : PrincipalKind.SERVICE,
            role: options.role ?? '',
            ...(ttlSeconds === undefined ? {} : { ttl: { seconds: BigInt(ttlSeconds), nanos: 0 } }),
          }),
        );
        ctx.print(CreatePrincipalResponseSchema, res, () =>
          res.principal === undefined
            ? `${res.apiKey}\n`
            : `${principalFields(res.principal, ctx.now(), ctx.io.columns)}\nAPI key (shown only now; store it safely):\n${res.apiKey}\n`,
        );
      },
    );

  withPageOptions(
    principals
      .command('ls')
      .description('list principals (never their keys)')
      .option('-a, --all', 'include revoked and expired principals'),
  ).action(async (options: PageOptions & { all?: boolean }, command: Command) => {
    const ctx = contextOf(command);
    await printListing<Principal, typeof ListPrincipalsResponseSchema>(ctx, options, {
      fetch: async (pageSize, pageToken) => {
        const page = await ctx
          .client()
          .listPrincipals({ pageSize, pageToken, includeRevoked: options.all === true });
        return { items: page.principals, next: page.nextPageToken };
      },
      schema: ListPrincipalsResponseSchema,
      response: (principals, nextPageToken) => ({ principals, nextPageToken }),
      table: (items) => principalsTable(items, ctx.now(), ctx.io.columns),
    });
  });

  principals
    .command('revoke')
    .description("revoke a principal's API key (refused at once on every call)")
    .argument('<principal-id>', 'the ID shown by principals ls')
    .action(async (principalId: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const res = await ctx.waiting('revoking', ctx.client().revokePrincipal({ principalId }));
      ctx.print(RevokePrincipalResponseSchema, res, () =>
        res.principal === undefined
          ? 'revoked\n'
          : `revoked principal "${res.principal.name}" (${res.principal.principalId})\n`,
      );
    });
}
