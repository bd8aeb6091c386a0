// The only place where AppError codes meet transport codes. Every switch is exhaustive, so a new
// code does not compile until each transport has decided what it means.
import { AppError, isErrorCode, isRetryable, type ErrorCode } from './app-error.js';

/** gRPC status codes (the numeric values of grpc.status), kept here to avoid a grpc dependency. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/** Metadata keys that carry the exact AppError across gRPC (several codes share one status). */
export const GRPC_ERROR_CODE_KEY = 'tmcp-error-code';
export const GRPC_RETRY_AFTER_KEY = 'tmcp-retry-after-ms';

export function grpcStatusOf(code: ErrorCode): GrpcStatusCode {
  switch (code) {
    case 'bad_parameter':
      return GrpcStatus.INVALID_ARGUMENT;
    case 'not_found':
      return GrpcStatus.NOT_FOUND;
    case 'already_exists':
      return GrpcStatus.ALREADY_EXISTS;
    case 'conflict':
      return GrpcStatus.ABORTED;
    case 'access_denied':
      return GrpcStatus.PERMISSION_DENIED;
    case 'unauthenticated':
      return GrpcStatus.UNAUTHENTICATED;
    case 'credentials_expired':
    case 'precondition_failed':
    case 'binary_missing':
      return GrpcStatus.FAILED_PRECONDITION;
    case 'limit_exceeded':
    case 'rate_limited':
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case 'timeout':
      return GrpcStatus.DEADLINE_EXCEEDED;
    case 'unreachable':
    case 'unavailable':
      return GrpcStatus.UNAVAILABLE;
    case 'teleport_error':
      return GrpcStatus.UNKNOWN;
    case 'cancelled':
      return GrpcStatus.CANCELLED;
    case 'not_implemented':
      return GrpcStatus.UNIMPLEMENTED;
    case 'internal':
      return GrpcStatus.INTERNAL;
  }
}

/** The code a client assumes when a status arrives without tmcp metadata (another server). */
export function errorCodeOfGrpcStatus(status: number): ErrorCode {
  switch (status) {
    case GrpcStatus.CANCELLED:
      return 'cancelled';
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE:
      return 'bad_parameter';
    case GrpcStatus.DEADLINE_EXCEEDED:
      return 'timeout';
    case GrpcStatus.NOT_FOUND:
      return 'not_found';
    case GrpcStatus.ALREADY_EXISTS:
      return 'already_exists';
    case GrpcStatus.PERMISSION_DENIED:
      return 'access_denied';
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return 'limit_exceeded';
    case GrpcStatus.FAILED_PRECONDITION:
      return 'precondition_failed';
    case GrpcStatus.ABORTED:
      return 'conflict';
    case GrpcStatus.UNIMPLEMENTED:
      return 'not_implemented';
    case GrpcStatus.UNAVAILABLE:
      return 'unavailable';
    case GrpcStatus.UNAUTHENTICATED:
      return 'unauthenticated';
    default:
      return 'internal';
  }
}

/** Rebuilds the AppError a server sent, from a status, its details and its metadata value. */
export function appErrorFromGrpc(
  status: number,
  message: string,
  codeFromMetadata?: string,
  retryAfterMs?: number,
): AppError {
  const code = isErrorCode(codeFromMetadata) ? codeFromMetadata : errorCodeOfGrpcStatus(status);
  return new AppError(code, message, retryAfterMs === undefined ? {} : { retryAfterMs });
}

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'bad_parameter':
      return 400;
    case 'unauthenticated':
      return 401;
    case 'access_denied':
      return 403;
    case 'not_found':
      return 404;
    case 'already_exists':
    case 'conflict':
      return 409;
    case 'precondition_failed':
      return 412;
    case 'limit_exceeded':
    case 'rate_limited':
      return 429;
    case 'cancelled':
      return 499;
    case 'internal':
    case 'binary_missing':
      return 500;
    case 'not_implemented':
      return 501;
    case 'unreachable':
    case 'teleport_error':
    case 'credentials_expired':
      return 502;
    case 'unavailable':
      return 503;
    case 'timeout':
      return 504;
  }
}

/** JSON-RPC error codes used when a request is refused before any tool runs. */
export const JsonRpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** Server-defined range (-32000..-32099). */
  UNAUTHENTICATED: -32001,
  ACCESS_DENIED: -32003,
  NOT_FOUND: -32004,
  RATE_LIMITED: -32029,
  UNAVAILABLE: -32050,
  SERVER_ERROR: -32000,
} as const;

export function jsonRpcCodeOf(code: ErrorCode): number {
  switch (code) {
    case 'bad_parameter':
      return JsonRpcErrorCode.INVALID_PARAMS;
    case 'unauthenticated':
      return JsonRpcErrorCode.UNAUTHENTICATED;
    case 'access_denied':
      return JsonRpcErrorCode.ACCESS_DENIED;
    case 'not_found':
      return JsonRpcErrorCode.NOT_FOUND;
    case 'rate_limited':
    case 'limit_exceeded':
      return JsonRpcErrorCode.RATE_LIMITED;
    case 'unavailable':
    case 'unreachable':
      return JsonRpcErrorCode.UNAVAILABLE;
    case 'internal':
      return JsonRpcErrorCode.INTERNAL_ERROR;
    case 'already_exists':
    case 'conflict':
    case 'credentials_expired':
    case 'precondition_failed':
    case 'timeout':
    case 'binary_missing':
    case 'teleport_error':
    case 'cancelled':
    case 'not_implemented':
      return JsonRpcErrorCode.SERVER_ERROR;
  }
}

/** A JSON-RPC error object for refusals at the protocol level (unknown or forbidden tool, …). */
export function toJsonRpcError(error: AppError): {
  code: number;
  message: string;
  data: { code: ErrorCode; retryAfterMs?: number; details?: Record<string, unknown> };
} {
  return {
    code: jsonRpcCodeOf(error.code),
    message: error.message,
    data: {
      code: error.code,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}

export interface McpToolErrorResult {
  [key: string]: unknown;
  isError: true;
  content: { type: 'text'; text: string }[];
  structuredContent: {
    error: {
      code: ErrorCode;
      message: string;
      retryable: boolean;
      retryAfterMs?: number;
      details?: Record<string, unknown>;
    };
  };
}

/**
 * A tool that ran and failed answers with an MCP tool result flagged `isError`, so the model can
 * read what went wrong and what to do next.
 */
export function toMcpToolError(error: AppError): McpToolErrorResult {
  const retryable = isRetryable(error.code);
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.code}: ${error.message}` }],
    structuredContent: {
      error: {
        code: error.code,
        message: error.message,
        retryable,
        ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
        ...(error.details === undefined ? {} : { details: error.details }),
      },
    },
  };
}
