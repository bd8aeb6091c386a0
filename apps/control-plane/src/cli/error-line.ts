import { isAppError } from '@tmcp/errors';

/**
 * What the CLI prints for a failed command: the error's message, no stack. AppError messages are
 * written for users; anything else is unexpected and says where to look.
 */
export function errorLine(error: unknown): string {
  if (isAppError(error)) return `error: ${error.message}`;
  const message = error instanceof Error ? error.message : String(error);
  return `error: unexpected failure: ${message.split('\n', 1)[0] ?? ''}`;
}
