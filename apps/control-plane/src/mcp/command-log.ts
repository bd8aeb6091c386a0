// The Teleport commands one tool call ran, folded into the single exit code, stdout and stderr of
// its operations row. A tool such as run_health_check runs several; each keeps its section
// (`$ tctl get nodes … → exit 0`), so the row shows every command, not only the last one.
import { MAX_STORED_OUTPUT_BYTES } from '../operations/operation-record.js';
import type { CommandRecord } from './tool-definition.js';
import { capText } from './tool-result-shaper.js';

export interface CommandSummary {
  /** The first failing command's exit code; otherwise the last command's (null: none known). */
  exitCode: number | null;
  stdout?: string;
  stderr?: string;
}

export class CommandLog {
  private readonly commands: CommandRecord[] = [];

  add(command: CommandRecord): void {
    this.commands.push(command);
  }

  get size(): number {
    return this.commands.length;
  }

  /**
   * One command: its output as it is. Several: a section per command, each cut to an equal share
   * of the stored-output cap so the last ones are not crowded out by the first.
   */
  summary(maxBytes = MAX_STORED_OUTPUT_BYTES): CommandSummary | undefined {
    const all = this.commands;
    const last = all.at(-1);
    if (last === undefined) return undefined;
    const failed = all.find((c) => c.exitCode !== null && c.exitCode !== 0);
    const exitCode = (failed ?? last).exitCode;
    if (all.length === 1) {
      return {
        exitCode,
        ...(last.stdout === undefined ? {} : { stdout: last.stdout }),
        ...(last.stderr === undefined ? {} : { stderr: last.stderr }),
      };
    }
    const share = Math.max(256, Math.floor(maxBytes / all.length));
    const section = (c: CommandRecord, i: number, text: string): string =>
      `$ ${c.command ?? `command ${i + 1}`} → exit ${c.exitCode ?? '?'}\n${capText(text, share)}`;
    const stdout = all.map((c, i) => section(c, i, c.stdout ?? '')).join('\n');
    const withStderr = all.flatMap((c, i) =>
      c.stderr === undefined || c.stderr === '' ? [] : [section(c, i, c.stderr)],
    );
    return {
      exitCode,
      stdout,
      ...(withStderr.length === 0 ? {} : { stderr: withStderr.join('\n') }),
    };
  }
}
