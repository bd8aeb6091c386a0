// Registers a typed implementation of a generated service on a grpc-js server. Handlers are
// plain async functions and async generators over protobuf-es messages; this module owns the
// grpc-js call objects, backpressure, cancellation and the mapping of thrown errors to status.
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  type Message,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { AppError, isAppError } from '@tmcp/errors';
import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { PeerCertificate } from 'node:tls';
import { grpcStatusFromError } from './grpc-error-mapping.js';
import { grpcMethodPath, grpcServiceDefinition } from './grpc-service-definition.js';
import { ABORTED, drained, untilAborted } from './stream-flow.js';

/** What a handler knows about its call besides the request. */
export interface GrpcCallContext {
  /** The gRPC path, `/tmcp.agent.v1.AgentService/Connect`. */
  readonly method: string;
  /** The request metadata (headers). */
  readonly metadata: grpc.Metadata;
  /** The peer's address, `ip:port`. */
  readonly peer: string;
  /**
   * The client certificate the peer presented and the server verified against its CA (mTLS);
   * undefined on insecure ports and when the client presented none.
   */
  readonly peerCertificate: PeerCertificate | undefined;
  /** The client's deadline, if it set one. */
  readonly deadline: Date | undefined;
  /**
   * Aborted when the call ends: the client cancelled, the deadline passed (reason: AppError
   * `timeout`), the connection dropped (reason: AppError `cancelled`), or the response was sent.
   * Long-running handlers must watch it.
   */
  readonly signal: AbortSignal;
  /** Trailing metadata sent with the status (success or error); handlers may add to it. */
  readonly trailers: grpc.Metadata;
}

type Awaitable<T> = T | Promise<T>;

/** The implementation of one method, by its kind. */
export type GrpcMethodImpl<M> = M extends {
  readonly methodKind: infer K;
  readonly input: infer I extends DescMessage;
  readonly output: infer O extends DescMessage;
}
  ? K extends 'unary'
    ? (request: MessageShape<I>, ctx: GrpcCallContext) => Awaitable<MessageInitShape<O>>
    : K extends 'server_streaming'
      ? (request: MessageShape<I>, ctx: GrpcCallContext) => AsyncIterable<MessageInitShape<O>>
      : K extends 'client_streaming'
        ? (
            requests: AsyncIterable<MessageShape<I>>,
            ctx: GrpcCallContext,
          ) => Awaitable<MessageInitShape<O>>
        : K extends 'bidi_streaming'
          ? (
              requests: AsyncIterable<MessageShape<I>>,
              ctx: GrpcCallContext,
            ) => AsyncIterable<MessageInitShape<O>>
          : never
  : never;

/** An implementation of every method of a generated service, keyed by local name (`enroll`). */
export type GrpcServiceImpl<S extends DescService> = {
  [K in keyof S['method']]: GrpcMethodImpl<S['method'][K]>;
};

export interface AddGrpcServiceOptions {
  /**
   * Called with any error that is not an AppError (a bug, a driver failure); the client only
   * sees INTERNAL "internal error". Use it to log the error with its cause.
   */
  onError?: (err: unknown, method: string) => void;
}

/** Adds a typed implementation of a generated service to a grpc-js server. */
export function addGrpcService<S extends DescService>(
  server: grpc.Server,
  desc: S,
  impl: GrpcServiceImpl<S>,
  options: AddGrpcServiceOptions = {},
): void {
  const functions = impl as Record<string, unknown>;
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of desc.methods) {
    const fn = functions[method.localName];
    if (typeof fn !== 'function') {
      throw new Error(`${desc.typeName}: no implementation of ${method.localName}`);
    }
    handlers[method.localName] = handlerFor(method, fn, options);
  }
  server.addService(grpcServiceDefinition(desc), handlers);
}

type AnyResponse = MessageInitShape<DescMessage>;
type UnaryFn = (request: Message, ctx: GrpcCallContext) => Awaitable<AnyResponse>;
type ServerStreamFn = (request: Message, ctx: GrpcCallContext) => AsyncIterable<AnyResponse>;
type ClientStreamFn = (
  requests: AsyncIterable<Message>,
  ctx: GrpcCallContext,
) => Awaitable<AnyResponse>;
type BidiStreamFn = (
  requests: AsyncIterable<Message>,
  ctx: GrpcCallContext,
) => AsyncIterable<AnyResponse>;

function handlerFor(
  method: DescMethod,
  fn: unknown,
  options: AddGrpcServiceOptions,
): grpc.UntypedHandleCall {
  const path = grpcMethodPath(method);
  const respond = (value: AnyResponse): Message => create(method.output, value);
  switch (method.methodKind) {
    case 'unary': {
      const unary = fn as UnaryFn;
      return (
        call: grpc.ServerUnaryCall<Message, Message>,
        callback: grpc.sendUnaryData<Message>,
      ) => {
        const { ctx, markEnded } = createCallContext(call, path);
        void (async () => {
          try {
            const response = respond(await unary(call.request, ctx));
            markEnded();
            callback(null, response, ctx.trailers);
          } catch (err) {
            markEnded();
            callback(statusFor(err, ctx, options));
          }
        })();
      };
    }
    case 'server_streaming': {
      const serverStream = fn as ServerStreamFn;
      return (call: grpc.ServerWritableStream<Message, Message>) => {
        const { ctx, markEnded } = createCallContext(call, path);
        void (async () => {
          try {
            await writeAll(call, serverStream(call.request, ctx), respond, ctx.signal);
            markEnded();
            if (!call.cancelled) call.end(ctx.trailers);
          } catch (err) {
            markEnded();
            if (!call.cancelled) call.emit('error', statusFor(err, ctx, options));
          }
        })();
      };
    }
    case 'client_streaming': {
      const clientStream = fn as ClientStreamFn;
      return (
        call: grpc.ServerReadableStream<Message, Message>,
        callback: grpc.sendUnaryData<Message>,
      ) => {
        const { ctx, markEnded } = createCallContext(call, path);
        void (async () => {
          try {
            const response = respond(await clientStream(incoming(call, ctx.signal), ctx));
            markEnded();
            callback(null, response, ctx.trailers);
          } catch (err) {
            markEnded();
            callback(statusFor(err, ctx, options));
          }
        })();
      };
    }
    case 'bidi_streaming': {
      const bidi = fn as BidiStreamFn;
      return (call: grpc.ServerDuplexStream<Message, Message>) => {
        const { ctx, markEnded } = createCallContext(call, path);
        void (async () => {
          try {
            await writeAll(call, bidi(incoming(call, ctx.signal), ctx), respond, ctx.signal);
            markEnded();
            if (!call.cancelled) call.end(ctx.trailers);
          } catch (err) {
            markEnded();
            if (!call.cancelled) call.emit('error', statusFor(err, ctx, options));
          }
        })();
      };
    }
  }
}

type AnyServerCall =
  | grpc.ServerUnaryCall<Message, Message>
  | grpc.ServerReadableStream<Message, Message>
  | grpc.ServerWritableStream<Message, Message>
  | grpc.ServerDuplexStream<Message, Message>;

/** How close to the deadline a cancellation counts as the deadline passing (timer slack). */
const DEADLINE_SLACK_MS = 20;

function createCallContext(
  call: AnyServerCall,
  method: string,
): { ctx: GrpcCallContext; markEnded: () => void } {
  const controller = new AbortController();
  const rawDeadline = call.getDeadline();
  const deadlineMs = rawDeadline instanceof Date ? rawDeadline.getTime() : rawDeadline;
  const deadline = Number.isFinite(deadlineMs) ? new Date(deadlineMs) : undefined;
  let ended = false;
  const abort = (): void => {
    if (ended) {
      controller.abort(new AppError('cancelled', `${method} has ended`));
    } else if (deadline !== undefined && Date.now() >= deadline.getTime() - DEADLINE_SLACK_MS) {
      controller.abort(new AppError('timeout', `${method} did not finish before its deadline`));
    } else {
      controller.abort(new AppError('cancelled', `${method} was cancelled by the client`));
    }
  };
  // grpc-js emits 'cancelled' for a client cancel, a passed deadline, a dropped connection,
  // and also once the status has been sent.
  (call as EventEmitter).once('cancelled', abort);
  if (call.cancelled) abort();
  const ctx: GrpcCallContext = {
    method,
    metadata: call.metadata,
    peer: call.getPeer(),
    peerCertificate: call.getAuthContext().sslPeerCertificate,
    deadline,
    signal: controller.signal,
    trailers: new grpc.Metadata(),
  };
  return {
    ctx,
    markEnded: () => {
      ended = true;
    },
  };
}

function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** The status for a thrown error; reports unexpected errors to the onError hook first. */
function statusFor(
  err: unknown,
  ctx: GrpcCallContext,
  options: AddGrpcServiceOptions,
): grpc.StatusObject {
  // A handler that gave up because the call was cancelled did not fail: report the cause.
  const error =
    ctx.signal.aborted && (isAbortError(err) || err === ctx.signal.reason)
      ? (ctx.signal.reason as unknown)
      : err;
  if (!isAppError(error) && options.onError !== undefined) {
    try {
      options.onError(error, ctx.method);
    } catch {
      // A failing log hook must not change what the client receives.
    }
  }
  return grpcStatusFromError(error, ctx.trailers);
}

/** The requests of a streaming call; fails with the abort reason when the call is cancelled. */
async function* incoming(call: Readable, signal: AbortSignal): AsyncGenerator<Message> {
  try {
    // destroyOnReturn: false, so that a handler which stops reading can still write responses.
    for await (const message of call.iterator({ destroyOnReturn: false })) {
      yield message as Message;
    }
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw err;
  }
}

/**
 * Writes every response with backpressure until the source ends or the call is aborted. On
 * abort it stops waiting for the source at once and asks it to return (running its finally
 * blocks as soon as it resumes).
 */
async function writeAll(
  call: Writable,
  source: AsyncIterable<AnyResponse>,
  respond: (value: AnyResponse) => Message,
  signal: AbortSignal,
): Promise<void> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await untilAborted(iterator.next(), signal);
      if (next === ABORTED || next.done === true) {
        finished = next !== ABORTED;
        return;
      }
      if (!call.write(respond(next.value))) await drained(call, signal);
    }
  } finally {
    if (!finished && iterator.return !== undefined) {
      iterator.return().catch(() => undefined);
    }
  }
}
