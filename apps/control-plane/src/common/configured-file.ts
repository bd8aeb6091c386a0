// A file named by a setting (TLS certificates, keys, CA bundles): read once at start, and an
// unreadable one is a bad_parameter naming the setting, the path and the errno, never a stack.
import { readFileSync } from 'node:fs';
import { AppError } from '@tmcp/errors';

export type ReadFile = (path: string) => Buffer;

export function readConfiguredFile(
  setting: string,
  file: string,
  readFile: ReadFile = readFileSync,
): Buffer {
  try {
    return readFile(file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new AppError(
      'bad_parameter',
      `${setting}: cannot read ${file} (${typeof code === 'string' ? code : 'unreadable'})`,
      { cause: error },
    );
  }
}
