// The one place where errors cross gRPC, in both directions. The server side turns whatever a
// handler threw into a status (AppError: its code, message and retry hint; anything else: a
// generic INTERNAL so that nothing internal leaks); the client side turns a status back into
// the AppError the server threw (exactly, thanks to the tmcp-error-code trailer).
import {
  Metadata,
  status as GrpcStatusCode,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import {
  AppError,
  GRPC_ERROR_CODE_KEY,
  GRPC_RETRY_AFTER_KEY,
  appErrorFromGrpc,
  grpcStatusOf,
  toAppError,
} from '@tmcp/errors';

/**
 * The status a server sends for an error thrown by a handler. `trailers` (the handler's trailing
 * metadata) are copied into the status metadata.
 */
export function grpcStatusFromError(err: unknown, trailers: Metadata): StatusObject {
  const appError = toAppError(err);
  const metadata = trailers.clone();
  metadata.set(GRPC_ERROR_CODE_KEY, appError.code);
  if (appError.retryAfterMs !== undefined) {
    metadata.set(GRPC_RETRY_AFTER_KEY, String(Math.max(0, Math.round(appError.retryAfterMs))));
  }
  return { code: grpcStatusOf(appError.code), details: appError.message, metadata };
}

function isServiceError(err: unknown): err is ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<ServiceError>).code === 'number' &&
    (err as Partial<ServiceError>).metadata instanceof Metadata
  );
}

function firstString(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/** The AppError for an error a grpc-js client call failed with. */
export function appErrorFromServiceError(err: unknown): AppError {
  if (!isServiceError(err)) return toAppError(err);
  const retryAfterText = firstString(err.metadata, GRPC_RETRY_AFTER_KEY);
  const retryAfterMs = retryAfterText === undefined ? Number.NaN : Number(retryAfterText);
  const message =
    err.details === '' ? `gRPC status ${GrpcStatusCode[err.code] ?? err.code}` : err.details;
  return appErrorFromGrpc(
    err.code,
    message,
    firstString(err.metadata, GRPC_ERROR_CODE_KEY),
    Number.isFinite(retryAfterMs) ? retryAfterMs : undefined,
  );
}

/** The error a client call fails with when its own AbortSignal fired before it started. */
export function cancelledBeforeStart(method: string): AppError {
  return new AppError('cancelled', `${method} was cancelled before it started`);
}
