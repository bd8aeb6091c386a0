import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Option, type Command } from 'commander';
import {
  GetOperationResponseSchema,
  ListOperationsResponseSchema,
  OperationStatus,
  type Operation,
} from '@tmcp/proto';
import { parseSince } from '../cli-values.js';
import { operationFields, operationsTable } from '../output/views.js';
import { printListing, withPageOptions, type ContextOf, type PageOptions } from './command-kit.js';

const STATUSES = {
  queued: OperationStatus.QUEUED,
  running: OperationStatus.RUNNING,
  succeeded: OperationStatus.SUCCEEDED,
  failed: OperationStatus.FAILED,
  denied: OperationStatus.DENIED,
} as const;

interface OpsLsOptions extends PageOptions {
  actor?: string;
  status?: keyof typeof STATUSES;
  capability?: string;
  since?: string;
}

export function registerOpsCommands(program: Command, contextOf: ContextOf): void {
  const ops = program
    .command('ops')
    .alias('operations')
    .description('list and inspect recorded operations (tool and admin calls)');

  withPageOptions(
    ops
      .command('ls')
      .description('list operations, newest first')
      .option('--actor <name>', 'only this actor')
      .addOption(new Option('--status <status>', 'only this state').choices(Object.keys(STATUSES)))
      .option(
        '--capability <capability>',
        'only calls that needed this capability (e.g. proxy.start)',
      )
      .option('--since <when>', 'only since a duration ago (15m, 2h, 7d) or an ISO 8601 time'),
  ).action(async (options: OpsLsOptions, command: Command) => {
    const ctx = contextOf(command);
    const since = options.since === undefined ? undefined : parseSince(options.since, ctx.now());
    await printListing<Operation, typeof ListOperationsResponseSchema>(ctx, options, {
      fetch: async (pageSize, pageToken) => {
        const page = await ctx.client().listOperations({
          pageSize,
          pageToken,
          actor: options.actor ?? '',
          capability: options.capability ?? '',
          status:
            options.status === undefined ? OperationStatus.UNSPECIFIED : STATUSES[options.status],
          ...(since === undefined ? {} : { since: timestampFromDate(since) }),
        });
        return { items: page.operations, next: page.nextPageToken };
      },
      schema: ListOperationsResponseSchema,
      response: (operations, nextPageToken) => ({ operations, nextPageToken }),
      table: (items) => operationsTable(items, ctx.now(), ctx.io.columns),
    });
  });

  ops
    .command('show')
    .description('show one operation: inputs, decision, outcome')
    .argument('<op-id>', 'the ID shown by ops ls')
    .action(async (opId: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const res = await ctx.waiting('loading', ctx.client().getOperation({ opId }));
      ctx.print(GetOperationResponseSchema, res, () =>
        res.operation === undefined
          ? '\n'
          : operationFields(res.operation, ctx.now(), ctx.io.columns),
      );
    });
}
