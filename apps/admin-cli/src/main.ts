// The `tmcpctl` command line: global connection flags (flags > TMCPCTL_* > tmcpctl.yaml), one
// command group per admin resource. Exit codes: 0 ok, 1 the command failed (one `error: …` line
// on stderr), 2 the command line is wrong (commander prints the problem and the usage).
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { OUTPUT_FORMATS } from '@tmcp/config';
import { isAppError } from '@tmcp/errors';
import { CliContext, type GlobalOptions } from './cli-context.js';
import { processIo, type CliIo } from './cli-io.js';
import { registerAgentsCommands } from './commands/agents.command.js';
import type { ContextOf } from './commands/command-kit.js';
import { registerLeasesCommands } from './commands/leases.command.js';
import { registerOpsCommands } from './commands/ops.command.js';
import { registerPolicyCommands } from './commands/policy.command.js';
import { registerPrincipalsCommands } from './commands/principals.command.js';
import { registerRolesCommands } from './commands/roles.command.js';
import { registerStatusCommands } from './commands/status.command.js';
import { registerTokensCommands } from './commands/tokens.command.js';

/** Exit status for a command line the program does not understand. */
export const USAGE_ERROR_EXIT_CODE = 2;
export const FAILURE_EXIT_CODE = 1;

const HELP_EPILOGUE = `
Connection: --server/--token/--ca (or --cert/--key for a client certificate), or
TMCPCTL_SERVER/TMCPCTL_TOKEN/TMCPCTL_CA/TMCPCTL_CERT/TMCPCTL_KEY, or
~/.config/tmcp/tmcpctl.yaml (server:, token:, ca:, cert:, key:, format:).
Changes need --reason.
Examples:
  tmcpctl --server cp.example.com:8443 --ca ca.pem --token "$KEY" status
  tmcpctl leases ls --active
  tmcpctl leases logs <lease-id> -f
  tmcpctl --reason "new CI pipeline" principals create --name ci-bot --role operator
See docs/admin-cli.md.`;

function packageVersion(): string {
  const raw: unknown = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  );
  if (
    typeof raw === 'object' &&
    raw !== null &&
    'version' in raw &&
    typeof raw.version === 'string'
  ) {
    return raw.version;
  }
  throw new Error('apps/admin-cli/package.json has no version field');
}

export function buildProgram(io: CliIo = processIo(), contexts: CliContext[] = []): Command {
  const program = new Command('tmcpctl')
    .description('tmcp admin CLI: manage agents, leases, roles, principals and join tokens')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .option('--server <host:port>', 'AdminService address (env TMCPCTL_SERVER)')
    .option('--token <api-key>', 'API key of a principal (env TMCPCTL_TOKEN)')
    .option('--ca <file>', 'CA certificate that signed the server certificate (env TMCPCTL_CA)')
    .option(
      '--cert <file>',
      'client certificate (PEM) whose CN names a principal, instead of --token (env TMCPCTL_CERT)',
    )
    .option('--key <file>', 'private key of --cert (PEM) (env TMCPCTL_KEY)')
    .option(
      '--insecure',
      'TLS without verifying the server certificate (development only; prefer --ca)',
    )
    .addOption(
      new Option('--format <format>', 'output format (env TMCPCTL_FORMAT)').choices(OUTPUT_FORMATS),
    )
    .option('--reason <text>', 'why you make this change (required for changes; recorded)')
    .option('--ticket <id>', 'change ticket, when your role requires one (recorded)')
    .addHelpText('after', HELP_EPILOGUE)
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError()
    .exitOverride()
    .usage('[options] <command>')
    .argument('[command]', 'the command to run (see the list below)')
    .action(function (this: Command, command: string | undefined) {
      if (command === undefined) this.help();
      this.error(`error: unknown command '${command}'`, { code: 'commander.unknownCommand' });
    });

  const contextOf: ContextOf = (command) => {
    const ctx = new CliContext(io, command.optsWithGlobals<GlobalOptions>());
    contexts.push(ctx);
    return ctx;
  };
  registerStatusCommands(program, contextOf);
  registerAgentsCommands(program, contextOf);
  registerLeasesCommands(program, contextOf);
  registerOpsCommands(program, contextOf);
  registerRolesCommands(program, contextOf);
  registerPrincipalsCommands(program, contextOf);
  registerTokensCommands(program, contextOf);
  registerPolicyCommands(program, contextOf);

  // Every subcommand reports to the same io, shows its usage after a mistake, and throws instead
  // of exiting (main decides the exit status).
  const configure = (command: Command): void => {
    for (const sub of command.commands) {
      sub
        .helpOption('-h, --help', 'show this help and exit')
        .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
        .showHelpAfterError()
        .exitOverride();
      configure(sub);
    }
  };
  configure(program);
  return program;
}

/** Runs the CLI with the arguments after the program name; resolves to the exit status. */
export async function main(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const contexts: CliContext[] = [];
  const program = buildProgram(io, contexts);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return 0;
  } catch (err: unknown) {
    if (err instanceof CommanderError) {
      // With exitOverride, help and version also arrive here, with exit code 0.
      return err.exitCode === 0 ? 0 : USAGE_ERROR_EXIT_CODE;
    }
    io.stderr(`error: ${errorText(err)}\n`);
    return FAILURE_EXIT_CODE;
  } finally {
    for (const ctx of contexts) ctx.close();
  }
}

/** One line: the server's AppError message as is; multi-line config errors joined. */
function errorText(err: unknown): string {
  const message = isAppError(err) || err instanceof Error ? err.message : String(err);
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ');
}
