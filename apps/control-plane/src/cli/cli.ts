// The `tmcp-server` command line. Exit codes: 0 success, 1 the command failed (one line on
// stderr, no stack), 2 the command line itself is wrong (usage on stderr). Commands are loaded
// when run, so `--help` or `config check` do not pay for loading Nest and TypeORM.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { PRINCIPAL_KINDS, type PrincipalKind } from '../principals/principal-kind.js';
import type { CliIo } from './cli-io.js';
import type { TokensCreateOptions } from './commands/tokens-create.command.js';
import { errorLine } from './error-line.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

interface GlobalOptions {
  config?: string;
}

export function buildCli(io: CliIo): Command {
  const program = new Command('tmcp-server')
    .description('Teleport MCP control plane: MCP gateway, policy, leases, edge agent hub')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('-c, --config <file>', 'configuration file (default: $TMCP_CONFIG)')
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) })
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('serve MCP, gRPC and HTTP (the default command)')
    .action(async (_options: unknown, command: Command) => {
      const { serveCommand } = await import('./commands/serve.command.js');
      await serveCommand(command.optsWithGlobals<GlobalOptions>(), io);
    });

  program
    .command('migrate')
    .description('apply pending database migrations (under an advisory lock) and exit')
    .action(async (_options: unknown, command: Command) => {
      const { migrateCommand } = await import('./commands/migrate.command.js');
      await migrateCommand(command.optsWithGlobals<GlobalOptions>(), io);
    });

  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate the configuration and print it with secrets redacted')
    .action(async (_options: unknown, command: Command) => {
      const { configCheckCommand } = await import('./commands/config-check.command.js');
      configCheckCommand(command.optsWithGlobals<GlobalOptions>(), io);
    });

  const principals = program.command('principals').description('manage API-key principals');
  principals
    .command('create')
    .description('create a principal and print its API key (shown once)')
    .requiredOption('--name <name>', 'principal name (the actor recorded in operations)')
    .option(
      '--role <role>',
      'admin, operator, user, readonly or a custom role (service default: operator)',
    )
    .addOption(
      new Option('--kind <kind>', 'principal kind').choices(PRINCIPAL_KINDS).default('service'),
    )
    .option('--expires <when>', 'expiry: ISO 8601 time or a duration from now (90d, 12h, 1h30m)')
    .option('--json', 'print {"principal_id","name","role","kind","api_key"} as JSON')
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<
        GlobalOptions & {
          name: string;
          role?: string;
          kind: PrincipalKind;
          expires?: string;
          json?: boolean;
        }
      >();
      const { principalsCreateCommand } = await import('./commands/principals-create.command.js');
      await principalsCreateCommand(options, io);
    });

  const tokens = program.command('tokens').description('manage edge-agent join tokens');
  tokens
    .command('create')
    .description('create a one-time join token for `tmcp-agent enroll` (shown once)')
    .option(
      '--ttl <duration>',
      'lifetime: 15m, 1h or seconds (default agent_service.join_token_ttl_seconds)',
    )
    .option('--labels <k=v,...>', 'labels given to the enrolling agent')
    .option('--description <text>', 'what the token is for')
    .option('--json', 'print {"token_id","token","expires_at","labels","server","ca_pin"} as JSON')
    .action(async (_options: unknown, command: Command) => {
      const { tokensCreateCommand } = await import('./commands/tokens-create.command.js');
      await tokensCreateCommand(command.optsWithGlobals<TokensCreateOptions>(), io);
    });

  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildCli(io);
  try {
    await program.parseAsync(withDefaultCommand(argv), { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) return exitCodeOf(error);
    io.stderr(`${errorLine(error)}\n`);
    return EXIT_FAILED;
  }
}

function exitCodeOf(error: CommanderError): number {
  switch (error.code) {
    case 'commander.helpDisplayed':
    case 'commander.version':
      return EXIT_OK;
    case 'commander.help':
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    default:
      // Commander already printed the problem and the usage to stderr.
      return EXIT_USAGE;
  }
}

/** `tmcp-server [--config F]` with no command means `serve`; help and version stay global. */
function withDefaultCommand(argv: readonly string[]): string[] {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-c' || arg === '--config') {
      i++;
      continue;
    }
    if (['-h', '--help', '-V', '--version'].includes(arg)) return [...argv];
    if (!arg.startsWith('-')) return [...argv];
  }
  return [...argv, 'serve'];
}

function packageVersion(): string {
  const raw: unknown = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  );
  const version = (raw as { version?: unknown }).version;
  return typeof version === 'string' ? version : '0.0.0';
}
