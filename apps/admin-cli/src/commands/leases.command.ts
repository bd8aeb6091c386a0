import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Option, type Command } from 'commander';
import {
  ExtendLeaseResponseSchema,
  GetLeaseResponseSchema,
  LEASE_STATUS_BY_NAME,
  LeaseStatus,
  ListLeasesResponseSchema,
  StopLeaseResponseSchema,
  TailLeaseLogsResponseSchema,
  WatchLeasesResponseSchema,
  type Lease,
  type LeaseStatusName,
} from '@tmcp/proto';
import { parseDurationSeconds, parseNonNegativeInt } from '../cli-values.js';
import { formatWhen } from '../output/time-format.js';
import { leaseEventLine, leaseFields, leasesTable, logLine } from '../output/views.js';
import { printListing, withPageOptions, type ContextOf, type PageOptions } from './command-kit.js';

interface LeasesLsOptions extends PageOptions {
  active?: boolean;
  actor?: string;
  agent?: string;
  status?: LeaseStatusName;
}

export function registerLeasesCommands(program: Command, contextOf: ContextOf): void {
  const leases = program
    .command('leases')
    .description('list, stop, extend, watch leases and tail their logs');

  withPageOptions(
    leases
      .command('ls')
      .description('list leases, newest first')
      .option('--active', 'only leases that have not ended')
      .option('--actor <name>', 'only leases of this actor')
      .option('--agent <agent-id>', 'only leases on this agent')
      .addOption(
        new Option('--status <status>', 'only leases in this state').choices(
          Object.keys(LEASE_STATUS_BY_NAME),
        ),
      ),
  ).action(async (options: LeasesLsOptions, command: Command) => {
    const ctx = contextOf(command);
    await printListing<Lease, typeof ListLeasesResponseSchema>(ctx, options, {
      fetch: async (pageSize, pageToken) => {
        const page = await ctx.client().listLeases({
          pageSize,
          pageToken,
          activeOnly: options.active === true,
          actor: options.actor ?? '',
          agentId: options.agent ?? '',
          status:
            options.status === undefined
              ? LeaseStatus.UNSPECIFIED
              : LEASE_STATUS_BY_NAME[options.status],
        });
        return { items: page.leases, next: page.nextPageToken };
      },
      schema: ListLeasesResponseSchema,
      response: (leases, nextPageToken) => ({ leases, nextPageToken }),
      table: (items) => leasesTable(items, ctx.now(), ctx.io.columns),
    });
  });

  leases
    .command('show')
    .description('show one lease')
    .argument('<lease-id>', 'the ID shown by leases ls')
    .action(async (leaseId: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const res = await ctx.waiting('loading', ctx.client().getLease({ leaseId }));
      ctx.print(GetLeaseResponseSchema, res, () =>
        res.lease === undefined ? '\n' : leaseFields(res.lease, ctx.now(), ctx.io.columns),
      );
    });

  leases
    .command('stop')
    .description('stop a lease')
    .argument('<lease-id>', 'the ID shown by leases ls')
    .action(async (leaseId: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const res = await ctx.waiting(
        'stopping',
        ctx.client().stopLease({ leaseId, reason: ctx.reason ?? '' }),
      );
      ctx.print(
        StopLeaseResponseSchema,
        res,
        () =>
          `lease ${leaseId} is ${res.lease === undefined ? 'stopping' : (LeaseStatus[res.lease.status] ?? '').toLowerCase()}\n`,
      );
    });

  leases
    .command('extend')
    .description("set a lease's remaining lifetime (bounded by the actor's policy)")
    .argument('<lease-id>', 'the ID shown by leases ls')
    .requiredOption(
      '--ttl <duration>',
      'new remaining lifetime from now (30m, 1h)',
      parseDurationSeconds,
    )
    .action(async (leaseId: string, options: { ttl: number }, command: Command) => {
      const ctx = contextOf(command);
      const res = await ctx.waiting(
        'extending',
        ctx.client().extendLease({
          leaseId,
          ttl: { seconds: BigInt(options.ttl), nanos: 0 },
          reason: ctx.reason ?? '',
        }),
      );
      ctx.print(ExtendLeaseResponseSchema, res, () => {
        const expires = res.lease?.expiresAt;
        return `lease ${leaseId} now expires ${formatWhen(expires === undefined ? undefined : timestampDate(expires), ctx.now())}\n`;
      });
    });

  leases
    .command('logs')
    .description("print a lease's log; with -f keep following until Ctrl-C or the lease ends")
    .argument('<lease-id>', 'the ID shown by leases ls')
    .option('-f, --follow', 'keep printing new lines')
    .option(
      '--tail <n>',
      'how many recent lines to print first (default 100)',
      parseNonNegativeInt,
      100,
    )
    .action(
      async (leaseId: string, options: { follow?: boolean; tail: number }, command: Command) => {
        const ctx = contextOf(command);
        await ctx.follow(async (signal) => {
          const stream = ctx
            .client()
            .tailLeaseLogs(
              { leaseId, tail: options.tail, follow: options.follow === true },
              { signal },
            );
          for await (const batch of stream) {
            ctx.printStreamItem(
              TailLeaseLogsResponseSchema,
              batch,
              () =>
                (batch.dropped > 0n ? `… ${batch.dropped} line(s) dropped by the agent\n` : '') +
                batch.lines.map(logLine).join(''),
            );
          }
        });
      },
    );

  leases
    .command('watch')
    .description('print the current leases, then every change, until Ctrl-C')
    .option('--active', 'start with only the leases that have not ended')
    .option('--actor <name>', 'only leases of this actor')
    .option('--agent <agent-id>', 'only leases on this agent')
    .action(
      async (options: { active?: boolean; actor?: string; agent?: string }, command: Command) => {
        const ctx = contextOf(command);
        await ctx.follow(async (signal) => {
          const stream = ctx.client().watchLeases(
            {
              activeOnly: options.active === true,
              actor: options.actor ?? '',
              agentId: options.agent ?? '',
            },
            { signal },
          );
          for await (const event of stream) {
            ctx.printStreamItem(WatchLeasesResponseSchema, event, () =>
              leaseEventLine(
                event.type,
                event.lease,
                event.time === undefined ? undefined : timestampDate(event.time),
                ctx.io.columns,
              ),
            );
          }
        });
      },
    );
}
