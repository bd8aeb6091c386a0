// What the CLI touches outside itself, injectable so commands are testable without a terminal.
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Whether stderr is a terminal (spinners only there). */
  stderrIsTty: boolean;
  /** Terminal width for tables (80 when not a terminal). */
  columns: number;
  now(): Date;
  /** Calls `handler` on Ctrl-C (SIGINT) until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stderrIsTty: process.stderr.isTTY,
    columns: process.stdout.isTTY ? Math.max(40, process.stdout.columns) : 80,
    now: () => new Date(),
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}
