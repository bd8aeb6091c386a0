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
    .addHelpText(
      'after',
      '\nThe global --reason and --ticket are the reason and ticket the call would carry.',
    )
    .action(
      async (options: { actor?: string; role?: string; capability: string }, command: Command) => {
        if ((options.actor === undefined) === (options.role === undefined)) {
          command.error('error: give exactly one of --actor <name> or --role <role>');
        }
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
