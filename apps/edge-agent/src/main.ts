// The `tmcp-agent` command line: `enroll` (join the fleet with a one-time token) and `run` (hold
// the stream to the control plane and run leases). Errors are one line on stderr with exit 1;
// a command line it does not understand exits 2 with the usage.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '@tmcp/config';
import { AppError } from '@tmcp/errors';

/** Exit status for a command line the program does not understand (as in sysexits' EX_USAGE spirit). */
export const USAGE_ERROR_EXIT_CODE = 2;
/** The data dir when none is configured (the same default as @tmcp/config's data_dir). */
export const DEFAULT_DATA_DIR = '/var/lib/tmcp-agent';

/** Exit status for a command that failed (its error is printed on one line). */
export const FAILURE_EXIT_CODE = 1;

const HELP_EPILOGUE = `
The edge agent runs tsh proxies on a jumpbox or VDI for the tmcp control plane:
  tmcp-agent enroll --server cp.example.com:8444 --token <join token> --ca-pin sha256:<hex>
  tmcp-agent run --config /etc/tmcp/agent.yaml
See README.md and docs/ in the tmcp repository.`;

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
  throw new Error('apps/edge-agent/package.json has no version field');
}

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Resolves with the signal name when the process is asked to stop (SIGTERM/SIGINT). */
  stopSignal: () => Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
}

const processIo: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  stopSignal: () =>
    new Promise((resolve) => {
      const on = (signal: NodeJS.Signals): void => {
        process.off('SIGTERM', on);
        process.off('SIGINT', on);
        resolve(signal);
      };
      process.on('SIGTERM', on);
      process.on('SIGINT', on);
    }),
  env: process.env,
};

interface EnrollFlags {
  server: string;
  token?: string;
  tokenFile?: string;
  caPin?: string;
  caFile?: string;
  serverName?: string;
  dataDir: string;
  labels?: string;
  name?: string;
  insecureSkipVerify?: boolean;
  force?: boolean;
}

interface RunFlags {
  config?: string;
  dataDir?: string;
  server?: string;
}

export function buildProgram(io: CliIo = processIo): Command {
  const version = packageVersion();
  const program = new Command('tmcp-agent')
    .description('tmcp edge agent: runs Teleport tsh proxies on behalf of the tmcp control plane')
    .version(version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .addHelpText('after', HELP_EPILOGUE)
    .argument('[command]', 'the command to run (see the list below)')
    .usage('[options] [command]')
    .showHelpAfterError()
    .exitOverride()
    .action(function (this: Command, command: string | undefined) {
      if (command === undefined) this.help();
      this.error(`error: unknown command '${command}'`, { code: 'commander.unknownCommand' });
    });

  program
    .command('enroll')
    .description(
      'exchange a one-time join token for a client certificate and store it in the data dir',
    )
    .requiredOption('--server <host:port>', 'the control plane agent port')
    .option('--token <token>', 'the one-time join token (tmcpctl tokens create)')
    .option(
      '--token-file <file>',
      'read the join token from a file (keeps it out of the process list)',
    )
    .option(
      '--ca-pin <sha256:hex>',
      'sha256 of the control plane CA certificate (tmcp-server prints it)',
    )
    .option('--ca-file <file>', 'the control plane CA certificate (PEM)')
    .option('--server-name <name>', 'TLS server name to expect instead of the host of --server')
    .option('--data-dir <dir>', 'where the identity is stored', DEFAULT_DATA_DIR)
    .option('--labels <k=v,...>', 'labels reported for this agent')
    .option('--name <name>', 'the name proposed for this agent (default: the host name)')
    .addOption(
      new Option('--insecure-skip-verify', 'enroll without verifying the server (labs only)'),
    )
    .option('--force', 'enroll again, replacing an existing identity')
    .exitOverride()
    .action(async (flags: EnrollFlags) => {
      // Loaded on use: --help and --version should not pay for gRPC and crypto.
      const { enrollAgent, parseLabels } = await import('./agent-enrollment.js');
      const token =
        flags.tokenFile === undefined ? flags.token : readFileSync(flags.tokenFile, 'utf8');
      if (token === undefined)
        throw AppError.badParameter('--token', 'is required (or --token-file)');
      const result = await enrollAgent({
        server: flags.server,
        token,
        caPin: flags.caPin,
        caFile: flags.caFile,
        serverName: flags.serverName,
        dataDir: flags.dataDir,
        labels: parseLabels(flags.labels),
        name: flags.name,
        insecureSkipVerify: flags.insecureSkipVerify === true,
        force: flags.force === true,
        agentVersion: version,
        warn: io.stderr,
      });
      io.stderr(
        `enrolled; certificate valid until ${result.notAfter.toISOString()}; CA sha256:${result.caPin}`,
      );
      io.stdout(result.agentId);
    });

  program
    .command('run')
    .description('hold the stream to the control plane and run leases (the daemon)')
    .option('--config <file>', 'the agent configuration file (default: $TMCP_CONFIG)')
    .option('--data-dir <dir>', 'overrides data_dir')
    .option(
      '--server <host:port>',
      'overrides server.address (default: the address given to enroll, from the data dir)',
    )
    .exitOverride()
    .action(async (flags: RunFlags) => {
      const env = {
        ...io.env,
        ...(flags.server === undefined ? {} : { TMCP_SERVER__ADDRESS: flags.server }),
        ...(flags.dataDir === undefined ? {} : { TMCP_DATA_DIR: flags.dataDir }),
      };
      const { loadRunConfig } = await import('./run-config.js');
      const config = await loadRunConfig({
        env,
        ...(flags.config === undefined ? {} : { file: flags.config }),
      });
      const { AgentDaemon } = await import('./agent-daemon.js');
      const stopping = io.stopSignal();
      const daemon = await AgentDaemon.start({ config, agentVersion: version, env: io.env });
      await daemon.stop(await stopping);
    });

  return program;
}

/** Runs the CLI with the arguments after the program name; resolves to the exit status. */
export async function main(args: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return 0;
  } catch (err: unknown) {
    if (err instanceof CommanderError) {
      // With exitOverride, help and version also arrive here, with exit code 0.
      return err.exitCode === 0 ? 0 : USAGE_ERROR_EXIT_CODE;
    }
    io.stderr(errorLine(err));
    return FAILURE_EXIT_CODE;
  }
}

/** One line for the user: the AppError's message (never its cause), or the config problems. */
export function errorLine(err: unknown): string {
  if (err instanceof ConfigError) return `tmcp-agent: ${err.message}`;
  if (err instanceof AppError) return `tmcp-agent: ${err.message}`;
  if (
    err instanceof Error &&
    'code' in err &&
    typeof err.code === 'string' &&
    err.code.startsWith('E')
  ) {
    return `tmcp-agent: ${err.message}`;
  }
  return 'tmcp-agent: internal error (see the logs)';
}
