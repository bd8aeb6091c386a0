// A typed grpc-js client for a generated service: one function per method, taking protobuf-es
// init objects and returning messages. Every failure is an AppError (mapped once, in
// grpc-error-mapping.ts); cancellation is an AbortSignal; deadlines are relative milliseconds.
import type {
  DescMessage,
  DescMethod,
  DescService,
  Message,
  MessageInitShape,
  MessageShape,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { AppError } from '@tmcp/errors';
import { appErrorFromServiceError, cancelledBeforeStart } from './grpc-error-mapping.js';
import { grpcDeserializer, grpcMethodPath, grpcSerializer } from './grpc-service-definition.js';
import { drained } from './stream-flow.js';

/** Per-call options. */
export interface GrpcCallOptions {
  /** Fail with AppError `timeout` if the call has not finished within this many ms. */
  deadlineMs?: number;
  /** Cancels the call; it then fails with AppError `cancelled`. */
  signal?: AbortSignal;
  /** Request metadata, added to the client's default metadata. */
  metadata?: grpc.Metadata;
}

/** A bidirectional stream from the client's side. */
export interface GrpcBidiStream<Req, Res> {
  /**
   * Sends a message. The promise resolves when the transport can take more (await it for
   * backpressure) and never rejects: if the call has already ended, the message is dropped and
   * the outcome is reported by `responses`. Throws if called after end() or cancel().
   */
  send(message: Req): Promise<void>;
  /** Half-closes: no more messages from this side; responses continue. */
  end(): void;
  /** The server's messages; throws the call's AppError if it fails. Breaking out cancels. */
  readonly responses: AsyncIterable<Res>;
  /** Cancels the call; `responses` then fails with AppError `cancelled`. */
  cancel(): void;
}

/** The client function of one method, by its kind. */
export type GrpcClientMethod<M> = M extends {
  readonly methodKind: infer K;
  readonly input: infer I extends DescMessage;
  readonly output: infer O extends DescMessage;
}
  ? K extends 'unary'
    ? (request: MessageInitShape<I>, options?: GrpcCallOptions) => Promise<MessageShape<O>>
    : K extends 'server_streaming'
      ? (request: MessageInitShape<I>, options?: GrpcCallOptions) => AsyncIterable<MessageShape<O>>
      : K extends 'client_streaming'
        ? (
            requests: AsyncIterable<MessageInitShape<I>>,
            options?: GrpcCallOptions,
          ) => Promise<MessageShape<O>>
        : K extends 'bidi_streaming'
          ? (options?: GrpcCallOptions) => GrpcBidiStream<MessageInitShape<I>, MessageShape<O>>
          : never
  : never;

/** A client of a generated service: one function per method (by local name), plus close(). */
export type GrpcClient<S extends DescService> = {
  [K in keyof S['method']]: GrpcClientMethod<S['method'][K]>;
} & {
  /** Closes the channel; calls in flight fail with `cancelled`/`unavailable`. */
  close(): void;
  /** The underlying grpc-js client (for waitForReady, channel state). */
  readonly grpcClient: grpc.Client;
};

export interface GrpcClientOptions {
  /** grpc-js channel options (keepalive, max message size, ...). */
  channelOptions?: grpc.ChannelOptions;
  /** Metadata sent with every call (for example `authorization: Bearer <key>`). */
  metadata?: grpc.Metadata;
  /** Deadline for unary and client-streaming calls that set none; none by default. */
  defaultDeadlineMs?: number;
}

/** Creates a typed client of a generated service. */
export function createGrpcClient<S extends DescService>(
  desc: S,
  address: string,
  credentials: grpc.ChannelCredentials,
  options: GrpcClientOptions = {},
): GrpcClient<S> {
  const client = new grpc.Client(address, credentials, options.channelOptions);
  const methods: Record<string, unknown> = {};
  for (const method of desc.methods) {
    methods[method.localName] = clientMethod(client, method, options);
  }
  return Object.assign(methods, {
    close: () => client.close(),
    grpcClient: client,
  }) as unknown as GrpcClient<S>;
}

type AnyRequest = MessageInitShape<DescMessage>;

function clientMethod(
  client: grpc.Client,
  method: DescMethod,
  defaults: GrpcClientOptions,
): unknown {
  const path = grpcMethodPath(method);
  const serialize = grpcSerializer(method.input) as (value: AnyRequest) => Buffer;
  const deserialize = grpcDeserializer(method.output) as (bytes: Buffer) => Message;
  const prepare = (
    options: GrpcCallOptions,
    withDefaultDeadline: boolean,
  ): { metadata: grpc.Metadata; callOptions: grpc.CallOptions } => {
    const metadata = defaults.metadata?.clone() ?? new grpc.Metadata();
    if (options.metadata !== undefined) metadata.merge(options.metadata);
    const deadlineMs =
      options.deadlineMs ?? (withDefaultDeadline ? defaults.defaultDeadlineMs : undefined);
    return {
      metadata,
      callOptions: deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs },
    };
  };

  switch (method.methodKind) {
    case 'unary':
      return (request: AnyRequest, options: GrpcCallOptions = {}): Promise<Message> =>
        new Promise((resolve, reject) => {
          const { signal } = options;
          if (signal?.aborted === true) {
            reject(cancelledBeforeStart(path));
            return;
          }
          const { metadata, callOptions } = prepare(options, true);
          const onAbort = (): void => call.cancel();
          const call = client.makeUnaryRequest<AnyRequest, Message>(
            path,
            serialize,
            deserialize,
            request,
            metadata,
            callOptions,
            (err, value) => {
              signal?.removeEventListener('abort', onAbort);
              if (err !== null) reject(appErrorFromServiceError(err));
              else if (value === undefined)
                reject(new AppError('internal', `${path}: no response`));
              else resolve(value);
            },
          );
          signal?.addEventListener('abort', onAbort, { once: true });
        });

    case 'server_streaming':
      return (request: AnyRequest, options: GrpcCallOptions = {}): AsyncIterable<Message> => ({
        [Symbol.asyncIterator]: () => {
          const { metadata, callOptions } = prepare(options, false);
          return readResponses(path, options.signal, () =>
            client.makeServerStreamRequest<AnyRequest, Message>(
              path,
              serialize,
              deserialize,
              request,
              metadata,
              callOptions,
            ),
          );
        },
      });

    case 'client_streaming':
      return (
        requests: AsyncIterable<AnyRequest>,
        options: GrpcCallOptions = {},
      ): Promise<Message> =>
        new Promise((resolve, reject) => {
          const { signal } = options;
          if (signal?.aborted === true) {
            reject(cancelledBeforeStart(path));
            return;
          }
          const { metadata, callOptions } = prepare(options, true);
          const onAbort = (): void => call.cancel();
          const call = client.makeClientStreamRequest<AnyRequest, Message>(
            path,
            serialize,
            deserialize,
            metadata,
            callOptions,
            (err, value) => {
              signal?.removeEventListener('abort', onAbort);
              if (err !== null) reject(appErrorFromServiceError(err));
              else if (value === undefined)
                reject(new AppError('internal', `${path}: no response`));
              else resolve(value);
            },
          );
          call.on('error', () => undefined); // the callback reports the outcome
          signal?.addEventListener('abort', onAbort, { once: true });
          void (async () => {
            try {
              for await (const request of requests) {
                if (call.destroyed || call.writableEnded) return;
                if (!call.write(request)) await drained(call, signal, ['drain', 'close', 'status']);
              }
              call.end();
            } catch (err) {
              // The caller's request source failed: abandon the call and report that error.
              reject(err instanceof Error ? err : new Error(String(err)));
              call.cancel();
            }
          })();
        });

    case 'bidi_streaming':
      return (options: GrpcCallOptions = {}): GrpcBidiStream<AnyRequest, Message> =>
        bidiStream(path, options, () => {
          const { metadata, callOptions } = prepare(options, false);
          return client.makeBidiStreamRequest<AnyRequest, Message>(
            path,
            serialize,
            deserialize,
            metadata,
            callOptions,
          );
        });
  }
}

type ResponseStream =
  grpc.ClientReadableStream<Message> | grpc.ClientDuplexStream<AnyRequest, Message>;

/**
 * Iterates a call's responses, mapping its failure to an AppError. Leaving the loop early, or
 * the signal firing, cancels the call.
 */
async function* readResponses(
  path: string,
  signal: AbortSignal | undefined,
  start: () => ResponseStream,
): AsyncGenerator<Message, void, undefined> {
  if (signal?.aborted === true) throw cancelledBeforeStart(path);
  const call = start();
  // Errors reach the loop below; this listener keeps a late one (after the loop) from crashing.
  call.on('error', () => undefined);
  const onAbort = (): void => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  let completed = false;
  try {
    for await (const message of call) yield message as Message;
    completed = true;
  } catch (err) {
    throw appErrorFromServiceError(err);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!completed) call.cancel();
  }
}

function bidiStream(
  path: string,
  options: GrpcCallOptions,
  start: () => grpc.ClientDuplexStream<AnyRequest, Message>,
): GrpcBidiStream<AnyRequest, Message> {
  const { signal } = options;
  const call = start();
  // The failure is reported by `responses`; without this a caller that never reads them would
  // crash the process on an unhandled 'error' event.
  call.on('error', () => undefined);
  let closedLocally = false;
  let finished = false;
  // readResponses listens to the signal only while iterated; the call must stop on abort anyway.
  const onAbort = (): void => call.cancel();
  call.on('status', () => {
    finished = true;
    signal?.removeEventListener('abort', onAbort);
  });
  const responses = readResponses(path, signal, () => call);
  if (signal?.aborted === true) call.cancel();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    send(message) {
      if (closedLocally) {
        throw new AppError('precondition_failed', `${path}: send() after end() or cancel()`);
      }
      if (finished || call.destroyed || call.writableEnded) return Promise.resolve();
      if (call.write(message)) return Promise.resolve();
      return drained(call, undefined, ['drain', 'close', 'status']);
    },
    end() {
      if (closedLocally) return;
      closedLocally = true;
      call.end();
    },
    responses,
    cancel() {
      closedLocally = true;
      call.cancel();
    },
  };
}
