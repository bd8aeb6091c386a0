import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AppError,
  ERROR_CODES,
  GrpcStatus,
  appErrorFromGrpc,
  errorCodeOfGrpcStatus,
  grpcStatusOf,
  httpStatusOf,
  jsonRpcCodeOf,
  toAppError,
  toJsonRpcError,
  toMcpToolError,
} from './index.js';

describe('AppError', () => {
  it('keeps code, message, cause and details', () => {
    const cause = new Error('ECONNREFUSED 10.0.0.1:5432');
    const err = new AppError('unavailable', 'database unavailable', {
      cause,
      details: { component: 'postgres' },
    });
    assert.equal(err.code, 'unavailable');
    assert.equal(err.message, 'database unavailable');
    assert.equal(err.cause, cause);
    assert.deepEqual(err.details, { component: 'postgres' });
    assert.ok(err instanceof Error);
  });

  it('badParameter names the field', () => {
    const err = AppError.badParameter('target.db', 'must not start with "-"');
    assert.equal(err.code, 'bad_parameter');
    assert.equal(err.message, 'target.db: must not start with "-"');
    assert.deepEqual(err.details, { field: 'target.db' });
  });

  it('toJSON never contains the cause', () => {
    const err = new AppError('internal', 'internal error', {
      cause: new Error('password=hunter2'),
    });
    assert.doesNotMatch(JSON.stringify(err), /hunter2/);
  });

  it('toAppError hides unknown errors behind a generic internal error', () => {
    const wrapped = toAppError(new Error('SELECT * FROM principals: secret'));
    assert.equal(wrapped.code, 'internal');
    assert.equal(wrapped.message, 'internal error');
    assert.match(String((wrapped.cause as Error).message), /principals/);
    const same = AppError.notFound('lease l-1');
    assert.equal(toAppError(same), same);
  });
});

describe('transport mappings', () => {
  const table: [string, number, number][] = [
    ['bad_parameter', GrpcStatus.INVALID_ARGUMENT, 400],
    ['not_found', GrpcStatus.NOT_FOUND, 404],
    ['access_denied', GrpcStatus.PERMISSION_DENIED, 403],
    ['unauthenticated', GrpcStatus.UNAUTHENTICATED, 401],
    ['rate_limited', GrpcStatus.RESOURCE_EXHAUSTED, 429],
    ['timeout', GrpcStatus.DEADLINE_EXCEEDED, 504],
    ['unavailable', GrpcStatus.UNAVAILABLE, 503],
    ['credentials_expired', GrpcStatus.FAILED_PRECONDITION, 502],
    ['internal', GrpcStatus.INTERNAL, 500],
  ];
  for (const [code, grpc, http] of table) {
    it(`${code} -> gRPC ${grpc}, HTTP ${http}`, () => {
      assert.equal(grpcStatusOf(code as never), grpc);
      assert.equal(httpStatusOf(code as never), http);
    });
  }

  it('every code round-trips through gRPC exactly when the metadata carries it', () => {
    for (const code of ERROR_CODES) {
      const back = appErrorFromGrpc(grpcStatusOf(code), 'm', code);
      assert.equal(back.code, code);
    }
  });

  it('a status from a foreign server maps to the nearest code', () => {
    assert.equal(errorCodeOfGrpcStatus(GrpcStatus.NOT_FOUND), 'not_found');
    assert.equal(errorCodeOfGrpcStatus(GrpcStatus.DATA_LOSS), 'internal');
    assert.equal(
      appErrorFromGrpc(GrpcStatus.UNAVAILABLE, 'down', 'not-a-code').code,
      'unavailable',
    );
  });

  it('every code has an HTTP status and a JSON-RPC code in range', () => {
    for (const code of ERROR_CODES) {
      const http = httpStatusOf(code);
      assert.ok(http >= 400 && http < 600, `${code}: ${http}`);
      const rpc = jsonRpcCodeOf(code);
      assert.ok(rpc <= -32000 && rpc >= -32768, `${code}: ${rpc}`);
    }
  });

  it('MCP tool errors are readable by a model and structured for a program', () => {
    const res = toMcpToolError(
      new AppError('rate_limited', 'too many calls', { retryAfterMs: 1500 }),
    );
    assert.equal(res.isError, true);
    assert.equal(res.content[0]?.text, 'rate_limited: too many calls');
    assert.deepEqual(res.structuredContent.error, {
      code: 'rate_limited',
      message: 'too many calls',
      retryable: true,
      retryAfterMs: 1500,
    });
    assert.equal(
      toMcpToolError(AppError.notFound('app x')).structuredContent.error.retryable,
      false,
    );
  });

  it('JSON-RPC refusals carry the tmcp code in data', () => {
    const e = toJsonRpcError(
      AppError.accessDenied('tool list_nodes is not allowed for role readonly'),
    );
    assert.equal(e.code, -32003);
    assert.equal(e.data.code, 'access_denied');
  });
});
