// The runner caps what it captures of a command's output and marks the cut with a notice. Output
// a parser must read whole is refused in that state with an error that names the cap and where
// to raise it: JSON cut in half would otherwise read as "not JSON, check the Teleport version",
// a table cut short as fewer rows.
import { AppError } from '@tmcp/errors';

/** The server configuration setting that sets the cap. */
export const OUTPUT_CAP_SETTING = 'policy.max_command_output_bytes';

/** What the runner appends to output it cut at `maxBytes`. */
export function truncationNotice(maxBytes: number): string {
  return `\n[output truncated at ${maxBytes} bytes]`;
}

const NOTICE = /\n\[output truncated at (\d+) bytes\]\s*$/;

/** Throws limit_exceeded when `text` is output the runner cut at its cap. */
export function assertCompleteOutput(text: string, command: string): void {
  const m = NOTICE.exec(text);
  if (m === null) return;
  const maxOutputBytes = Number(m[1]);
  throw new AppError(
    'limit_exceeded',
    `${command} printed more than ${maxOutputBytes} bytes, the output cap for Teleport commands, so its output was cut and cannot be read; raise ${OUTPUT_CAP_SETTING} in the server configuration or narrow the request.`,
    { details: { command, maxOutputBytes, setting: OUTPUT_CAP_SETTING } },
  );
}
