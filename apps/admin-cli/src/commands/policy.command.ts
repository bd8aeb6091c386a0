import type { JsonObject } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import YAML from 'yaml';
import { CheckPolicyResponseSchema } from '@tmcp/proto';
import { renderFields } from '../output/table.js';
import type { ContextOf } from './command-kit.js';

export function registerPolicyCommands(program: Command, contextOf: ContextOf): void {
  program
    .command('policy')
    .description('policy dry runs')
    .command('check')
    .description(
      'would this actor (or role) be allowed this capability? Shows the decision and the rule',
    )
    .option('--actor <name>', 'a principal name (its role applies)')
    .option('--role <role>', 'a role name, instead of an actor')
    .requiredOption(
      '--capability <capability>',
      'the capability, e.g. proxy.start or admin.roles.write',
    )
    .option('--kind <kind>', 'lease kind, for proxy.start (proxy_db, proxy_app, …)')
    .option(
      '--target <target>',
      'lease target: a resource name (orders-db) or key=value pairs as start_proxy takes them (db=orders-db,db_user=alice); its labels are looked up',
    )
    .option('--ttl <seconds>', 'requested lease TTL in seconds')
    .option('--cluster <name>', 'the Teleport cluster of the target (default: the default one)')
    .option('--tool <name>', 'for federation.call: the upstream tool name')
    .addHelpText(
      'after',
      '\nThe global --reason and --ticket are the reason and ticket the call would carry.',
    )
    .action(
      async (
        options: {
          actor?: string;
          role?: string;
          capability: string;
          kind?: string;
          target?: string;
          ttl?: string;
          cluster?: string;
          tool?: string;
        },
        command: Command,
      ) => {
        if ((options.actor === undefined) === (options.role === undefined)) {
          command.error('error: give exactly one of --actor <name> or --role <role>');
        }
        if (options.target !== undefined && options.kind === undefined) {
          command.error('error: --target needs --kind');
        }
        const ttl = options.ttl === undefined ? undefined : Number(options.ttl);
        if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) {
          command.error('error: --ttl must be a positive whole number of seconds');
        }
        const context: JsonObject = {
          ...(options.kind === undefined ? {} : { kind: options.kind }),
          ...(options.target === undefined
            ? {}
            : { target: targetOf(options.target, (m) => command.error(m)) }),
          ...(ttl === undefined ? {} : { ttl_seconds: ttl }),
          ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
          ...(options.tool === undefined ? {} : { tool: options.tool }),
        };
        const ctx = contextOf(command);
        const res = await ctx.waiting(
          'checking',
          ctx.client().checkPolicy({
            subject:
              options.actor === undefined
                ? { case: 'role', value: options.role ?? '' }
                : { case: 'actor', value: options.actor },
            capability: options.capability,
            reason: ctx.reason ?? '',
            ticket: ctx.ticket ?? '',
            ...(Object.keys(context).length === 0 ? {} : { context }),
          }),
        );
        ctx.print(
          CheckPolicyResponseSchema,
          res,
          () =>
            renderFields(
              [
                ['Decision', res.allow ? 'ALLOW' : 'DENY'],
                ['Rule', res.rule],
                ['Reason', res.reason],
              ],
              ctx.io.columns,
            ) +
            (res.allow
              ? `Constraints:\n${YAML.stringify(res.constraints ?? {}).replace(/^/gm, '  ')}`
              : ''),
        );
      },
    );
}

/** `orders-db` stays a name; `db=orders-db,db_user=alice` becomes `{db, db_user}`. */
function targetOf(value: string, fail: (message: string) => never): string | JsonObject {
  if (!value.includes('=')) return value;
  const target: JsonObject = {};
  for (const pair of value.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) fail(`error: --target: "${pair}" is not key=value`);
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    target[key] = /^[0-9]+$/.test(raw) ? Number(raw) : raw;
  }
  return target;
}
