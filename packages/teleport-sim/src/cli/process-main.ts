// Entry used by bin/tsh and bin/tctl: wires the real process (argv, streams, signals) to a
// program definition and exits with its code.
import { runProgram, type ProgramDefinition } from './program-runner.js';

export async function processMain(def: ProgramDefinition): Promise<never> {
  const signal = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const code = await runProgram(def, process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: () => new Date(),
    executablePath: process.argv[1] ?? def.program,
    signal,
  });
  // stdout/stderr are synchronous for files and pipes on Linux, so nothing is lost by exiting.
  process.exit(code);
}
