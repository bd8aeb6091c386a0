// The process logger: JSON lines on stdout, ISO timestamps, level names, secrets redacted.
import { hostname } from 'node:os';
import type { LogLevel } from '@tmcp/config';
import { destination, pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';

/** Paths pino blanks out wherever they appear, as a net under "never log a secret". */
const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'password',
  '*.password',
  'token',
  '*.token',
];

export function createLogger(
  level: LogLevel | 'silent',
  stream: DestinationStream = destination({ dest: 1, sync: true }),
): Logger {
  // Synchronous stdout: a line logged right before exit (startup failure, shutdown) is never
  // lost, and the log volume of a control plane does not need an async writer.
  return pino(
    {
      level,
      base: { service: 'tmcp-server', pid: process.pid, hostname: hostname() },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    stream,
  );
}
