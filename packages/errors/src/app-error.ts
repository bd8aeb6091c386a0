// The one error type of tmcp. Services throw AppError with a typed code; each transport (gRPC,
// HTTP, MCP) maps the code exactly once, in ./mappings.ts. The `cause` is for logs only and never
// crosses the wire; `message` must be safe to show to the caller.

export const ERROR_CODES = [
  'bad_parameter',
  'not_found',
  'already_exists',
  'conflict',
  'access_denied',
  'unauthenticated',
  'credentials_expired',
  'precondition_failed',
  'limit_exceeded',
  'rate_limited',
  'timeout',
  'unreachable',
  'unavailable',
  'binary_missing',
  'teleport_error',
  'cancelled',
  'not_implemented',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppErrorOptions {
  /** The underlying error; logged, never sent to a client. */
  cause?: unknown;
  /** Safe, structured details a client may act on (field name, retry hint, …). */
  details?: Record<string, unknown>;
  /** For rate_limited / unavailable: when the caller may try again. */
  retryAfterMs?: number;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** A bad value for a named input field: the message names the field. */
  static badParameter(field: string, problem: string, options?: AppErrorOptions): AppError {
    return new AppError('bad_parameter', `${field}: ${problem}`, {
      ...options,
      details: { field, ...options?.details },
    });
  }

  static notFound(what: string, options?: AppErrorOptions): AppError {
    return new AppError('not_found', `${what} not found`, options);
  }

  static accessDenied(message: string, options?: AppErrorOptions): AppError {
    return new AppError('access_denied', message, options);
  }

  static internal(cause: unknown): AppError {
    return new AppError('internal', 'internal error', { cause });
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * Any thrown value as an AppError. Unknown errors become `internal` with a generic message so
 * that nothing from an unexpected exception (paths, SQL, secrets) reaches a client.
 */
export function toAppError(value: unknown): AppError {
  return isAppError(value) ? value : AppError.internal(value);
}

/** Errors worth retrying for an idempotent call. */
export function isRetryable(code: ErrorCode): boolean {
  return (
    code === 'unavailable' ||
    code === 'unreachable' ||
    code === 'timeout' ||
    code === 'rate_limited'
  );
}
