// A TeleportRunner seen through one tool call: every tsh/tctl run is reported to an observer (the
// tool passes ctx.recordCommand) with its exit code and output, failures included, so the
// operations row shows what Teleport answered. Services use it instead of the bare runner.
import { isAppError } from '@tmcp/errors';
import type { RunOptions, RunResult, TeleportRunner, TeleportTool } from '@tmcp/teleport';
import type { TeleportClusters } from '../teleport/teleport-clusters.js';

export interface ObservedCommand {
  /** `tsh …` / `tctl …`: the validated argv, for the operations row. */
  command?: string;
  exitCode: number | null;
  stdout?: string;
  stderr?: string;
}

/** Receives each command a service ran (ToolContext.recordCommand fits). */
export type CommandObserver = (command: ObservedCommand) => void;

/** What services need from TeleportClusters (a narrow type so tests can pass a fake). */
export type TeleportRunnerSource = Pick<TeleportClusters, 'runner'>;

export class ObservedRunner {
  constructor(
    readonly runner: TeleportRunner,
    private readonly observe: CommandObserver = () => undefined,
  ) {}

  get tsh(): TeleportRunner['tsh'] {
    return this.runner.tsh;
  }

  get tctl(): TeleportRunner['tctl'] {
    return this.runner.tctl;
  }

  run(tool: TeleportTool, argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    return this.watch(
      this.runner.run(tool, argv, options),
      commandLine(tool, argv),
      options?.rawStdout === true,
    );
  }

  createResource(
    document: Parameters<TeleportRunner['createResource']>[0],
    options?: { force?: boolean },
  ): Promise<RunResult> {
    return this.watch(this.runner.createResource(document, options), 'tctl create', false);
  }

  private async watch(
    pending: Promise<RunResult>,
    command: string,
    rawStdout: boolean,
  ): Promise<RunResult> {
    try {
      const result = await pending;
      // Raw stdout is for a parser only; the operations row gets a marker instead.
      this.observe({
        command,
        exitCode: result.exitCode,
        stdout: rawStdout ? '[output parsed, not recorded]' : result.stdout,
        stderr: result.stderr,
      });
      return result;
    } catch (err) {
      if (isAppError(err)) {
        const exitCode = err.details?.exitCode;
        const stderr = err.details?.stderr;
        this.observe({
          command,
          exitCode: typeof exitCode === 'number' ? exitCode : null,
          ...(typeof stderr === 'string' ? { stderr } : { stderr: err.message }),
        });
      }
      throw err;
    }
  }
}

/** `tctl get nodes --format=json`: the argv without the leading connection flags (identity path, auth server). */
function commandLine(tool: TeleportTool, argv: readonly string[]): string {
  const first = argv.findIndex((arg) => !/^--[a-z-]+=/.test(arg));
  return [tool, ...(first < 0 ? [] : argv.slice(first))].join(' ');
}
