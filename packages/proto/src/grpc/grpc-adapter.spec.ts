// The grpc-js adapter over real sockets: a real grpc-js server on 127.0.0.1:0 serving the
// generated services through addGrpcService, called through createGrpcClient.
import {
  create,
  createFileRegistry,
  type DescService,
  type MessageInitShape,
} from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  file_google_protobuf_wrappers,
  timestampDate,
  timestampFromDate,
} from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { AppError, GRPC_ERROR_CODE_KEY, type ErrorCode } from '@tmcp/errors';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  AdminService,
  LeaseEventType,
  LeaseStatus,
  type TailLeaseLogsRequest,
  type WatchLeasesRequest,
} from '../gen/tmcp/admin/v1/admin_pb.js';
import {
  AgentService,
  LeaseKind,
  LogStream,
  type AgentMessage,
  type AgentMessageSchema,
  type ControlMessageSchema,
  type EnrollRequest,
} from '../gen/tmcp/agent/v1/agent_pb.js';
import { AsyncQueue } from './async-queue.js';
import { createGrpcClient, type GrpcClient } from './grpc-client.js';
import {
  addGrpcService,
  type AddGrpcServiceOptions,
  type GrpcCallContext,
  type GrpcServiceImpl,
} from './grpc-server.js';
import { grpcServiceDefinition } from './grpc-service-definition.js';

const execFileAsync = promisify(execFile);

type ControlMessageInit = MessageInitShape<typeof ControlMessageSchema>;

/** Everything a test opened, closed after each test so the suite exits. */
const openServers: grpc.Server[] = [];
const openClients: { close(): void }[] = [];

afterEach(() => {
  for (const client of openClients.splice(0)) client.close();
  for (const server of openServers.splice(0)) server.forceShutdown();
});

async function startServer(
  register: (server: grpc.Server) => void,
  credentials = grpc.ServerCredentials.createInsecure(),
): Promise<string> {
  const server = new grpc.Server();
  register(server);
  openServers.push(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (err, boundPort) => {
      if (err === null) resolve(boundPort);
      else reject(err);
    });
  });
  return `127.0.0.1:${port}`;
}

function track<T extends { close(): void }>(client: T): T {
  openClients.push(client);
  return client;
}

/** An implementation whose methods all fail; tests override what they exercise. */
function notImplemented<S extends DescService>(desc: S): GrpcServiceImpl<S> {
  const impl: Record<string, unknown> = {};
  for (const method of desc.methods) {
    impl[method.localName] = () => {
      throw new AppError('not_implemented', `${method.name} is not implemented in this test`);
    };
  }
  return impl as GrpcServiceImpl<S>;
}

async function serveAgent(
  overrides: Partial<GrpcServiceImpl<typeof AgentService>>,
  options?: AddGrpcServiceOptions,
): Promise<GrpcClient<typeof AgentService>> {
  const address = await startServer((server) =>
    addGrpcService(
      server,
      AgentService,
      { ...notImplemented(AgentService), ...overrides },
      options,
    ),
  );
  return track(createGrpcClient(AgentService, address, grpc.credentials.createInsecure()));
}

async function serveAdmin(
  overrides: Partial<GrpcServiceImpl<typeof AdminService>>,
): Promise<GrpcClient<typeof AdminService>> {
  const address = await startServer((server) =>
    addGrpcService(server, AdminService, { ...notImplemented(AdminService), ...overrides }),
  );
  return track(createGrpcClient(AdminService, address, grpc.credentials.createInsecure()));
}

/** A promise with its resolve function, to await an event instead of sleeping. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function abortReason(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected the call to fail with ${code}`);
}

describe('grpcServiceDefinition', () => {
  const table: [string, string, boolean, boolean][] = [
    ['enroll', '/tmcp.agent.v1.AgentService/Enroll', false, false],
    ['renewCertificate', '/tmcp.agent.v1.AgentService/RenewCertificate', false, false],
    ['connect', '/tmcp.agent.v1.AgentService/Connect', true, true],
  ];
  const definition = grpcServiceDefinition(AgentService);
  for (const [key, path, requestStream, responseStream] of table) {
    it(`${key}: ${path}`, () => {
      const method = definition[key];
      assert.ok(method);
      assert.equal(method.path, path);
      assert.equal(method.requestStream, requestStream);
      assert.equal(method.responseStream, responseStream);
    });
  }

  it('marks WatchLeases as a server stream', () => {
    const watch = grpcServiceDefinition(AdminService).watchLeases;
    assert.equal(watch?.requestStream, false);
    assert.equal(watch?.responseStream, true);
  });
});

describe('unary calls', () => {
  it('round-trips AgentService.Enroll with metadata, maps and timestamps', async () => {
    const notAfter = new Date('2030-01-02T03:04:05.678Z');
    const seen = deferred<{ request: EnrollRequest; ctx: GrpcCallContext }>();
    const client = await serveAgent({
      enroll: (request, ctx) => {
        seen.resolve({ request, ctx });
        return {
          agentId: `agent-${request.hostname}`,
          certificatePem: 'CERT',
          caPem: 'CA',
          notAfter: timestampFromDate(notAfter),
        };
      },
    });
    const metadata = new grpc.Metadata();
    metadata.set('x-request-id', 'req-1');
    const response = await client.enroll(
      {
        joinToken: 'tok',
        csrPem: 'CSR',
        hostname: 'jump-1',
        labels: { env: 'prod', region: 'eu' },
        agentVersion: '0.1.0',
      },
      { metadata, deadlineMs: 10_000 },
    );
    assert.equal(response.$typeName, 'tmcp.agent.v1.EnrollResponse');
    assert.equal(response.agentId, 'agent-jump-1');
    assert.equal(response.certificatePem, 'CERT');
    assert.ok(response.notAfter);
    assert.equal(timestampDate(response.notAfter).toISOString(), notAfter.toISOString());
    assert.equal(response.renewAfter, undefined);

    const { request, ctx } = await seen.promise;
    assert.deepEqual(request.labels, { env: 'prod', region: 'eu' });
    assert.equal(ctx.method, '/tmcp.agent.v1.AgentService/Enroll');
    assert.deepEqual(ctx.metadata.get('x-request-id'), ['req-1']);
    assert.match(ctx.peer, /^127\.0\.0\.1:\d+$/);
    assert.equal(ctx.peerCertificate, undefined);
    assert.ok(ctx.deadline instanceof Date);
  });

  it('sends the trailing metadata a handler sets', async () => {
    const address = await startServer((server) =>
      addGrpcService(server, AgentService, {
        ...notImplemented(AgentService),
        renewCertificate: (_request, ctx) => {
          ctx.trailers.set('x-served-by', 'replica-2');
          return { agentId: 'a-1' };
        },
      }),
    );
    // A raw grpc-js call, to read the status metadata the typed client does not expose.
    const raw = track(new grpc.Client(address, grpc.credentials.createInsecure()));
    const definition = grpcServiceDefinition(AgentService).renewCertificate;
    assert.ok(definition);
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      const call = raw.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        { csrPem: 'CSR' },
        () => undefined,
      );
      call.on('status', resolve);
    });
    assert.equal(status.code, grpc.status.OK);
    assert.deepEqual(status.metadata.get('x-served-by'), ['replica-2']);
  });
});

describe('server streams', () => {
  it('WatchLeases delivers the snapshot, its end marker, then changes, in order', async () => {
    let received: WatchLeasesRequest | undefined;
    const client = await serveAdmin({
      async *watchLeases(request) {
        received = request;
        for (const id of ['l-1', 'l-2']) {
          yield {
            type: LeaseEventType.SNAPSHOT,
            lease: { leaseId: id, kind: LeaseKind.PROXY_DB, status: LeaseStatus.ACTIVE },
          };
        }
        yield { type: LeaseEventType.SNAPSHOT_END };
        await Promise.resolve();
        yield {
          type: LeaseEventType.UPDATED,
          lease: { leaseId: 'l-1', status: LeaseStatus.EXPIRED },
        };
      },
    });
    const events: string[] = [];
    for await (const event of client.watchLeases({ activeOnly: true, actor: 'alice' })) {
      events.push(`${LeaseEventType[event.type]}:${event.lease?.leaseId ?? '-'}`);
    }
    assert.deepEqual(events, ['SNAPSHOT:l-1', 'SNAPSHOT:l-2', 'SNAPSHOT_END:-', 'UPDATED:l-1']);
    assert.equal(received?.activeOnly, true);
    assert.equal(received?.actor, 'alice');
  });

  it('a client that stops reading cancels the call, and the server sees it', async () => {
    const serverSaw = deferred<unknown>();
    let finallyRan = false;
    const client = await serveAdmin({
      async *tailLeaseLogs(request: TailLeaseLogsRequest, ctx) {
        try {
          for (let seq = 1n; seq <= BigInt(request.tail); seq++) {
            yield { lines: [{ seq, stream: LogStream.STDOUT, line: `line ${seq}` }] };
          }
          // Following: nothing more arrives until the client goes away.
          serverSaw.resolve(await abortReason(ctx.signal));
        } finally {
          finallyRan = true;
        }
      },
    });
    const lines: string[] = [];
    for await (const batch of client.tailLeaseLogs({ leaseId: 'l-1', tail: 3, follow: true })) {
      lines.push(...batch.lines.map((l) => l.line));
      if (lines.length === 3) break;
    }
    assert.deepEqual(lines, ['line 1', 'line 2', 'line 3']);
    const reason = await serverSaw.promise;
    assert.ok(reason instanceof AppError);
    assert.equal(reason.code, 'cancelled');
    assert.equal(finallyRan, true);
  });

  it('an AbortSignal cancels a stream: the client gets cancelled, the server its signal', async () => {
    const serverSaw = deferred<unknown>();
    const firstBatch = deferred<undefined>();
    const client = await serveAdmin({
      async *tailLeaseLogs(_request, ctx) {
        yield { lines: [{ seq: 1n, line: 'first' }] };
        serverSaw.resolve(await abortReason(ctx.signal));
      },
    });
    const controller = new AbortController();
    const consume = (async () => {
      for await (const _batch of client.tailLeaseLogs(
        { leaseId: 'l-1', follow: true },
        {
          signal: controller.signal,
        },
      )) {
        firstBatch.resolve(undefined);
      }
    })();
    await firstBatch.promise;
    controller.abort();
    await rejectsWithCode(consume, 'cancelled');
    const reason = await serverSaw.promise;
    assert.ok(reason instanceof AppError && reason.code === 'cancelled');
  });

  it('an error after some messages reaches the client after those messages', async () => {
    const client = await serveAdmin({
      async *tailLeaseLogs() {
        yield { lines: [{ seq: 1n, line: 'one' }] };
        await Promise.resolve();
        throw AppError.notFound('lease l-9');
      },
    });
    const lines: string[] = [];
    const consume = (async () => {
      for await (const batch of client.tailLeaseLogs({ leaseId: 'l-9' })) {
        lines.push(...batch.lines.map((l) => l.line));
      }
    })();
    const err = await rejectsWithCode(consume, 'not_found');
    assert.equal(err.message, 'lease l-9 not found');
    assert.deepEqual(lines, ['one']);
  });
});

describe('bidirectional streams', () => {
  it('AgentService.Connect carries several messages each way, in order, interleaved', async () => {
    const serverReceived: string[] = [];
    const client = await serveAgent({
      async *connect(requests): AsyncGenerator<ControlMessageInit> {
        yield { commandId: 'welcome', body: { case: 'welcome', value: { agentId: 'a-1' } } };
        for await (const message of requests) {
          serverReceived.push(`${message.body.case ?? '-'}:${message.messageId}`);
          yield { commandId: `ack-${message.messageId}`, body: { case: 'ping', value: {} } };
        }
        yield { commandId: 'bye', body: { case: 'drain', value: { reason: 'client ended' } } };
      },
    });
    const stream = client.connect();
    const responses = stream.responses[Symbol.asyncIterator]();
    const next = async (): Promise<string> => {
      const result = await responses.next();
      assert.equal(result.done, false);
      return result.value.commandId;
    };

    assert.equal(await next(), 'welcome');
    const sent: MessageInitShape<typeof AgentMessageSchema>[] = [
      { agentId: 'a-1', messageId: 'm1', body: { case: 'hello', value: { agentId: 'a-1' } } },
      { agentId: 'a-1', messageId: 'm2', body: { case: 'heartbeat', value: {} } },
      {
        agentId: 'a-1',
        messageId: 'm3',
        body: { case: 'mcpFrame', value: { leaseId: 'l-1', data: new Uint8Array([1, 2, 3]) } },
      },
      { agentId: 'a-1', messageId: 'm4', body: { case: 'heartbeat', value: {} } },
    ];
    // Ping-pong: each answer arrives before the next message is sent, so nothing is batched.
    const answers: string[] = [];
    for (const message of sent) {
      await stream.send(message);
      answers.push(await next());
    }
    stream.end();
    assert.equal(await next(), 'bye');
    assert.equal((await responses.next()).done, true);
    assert.deepEqual(answers, ['ack-m1', 'ack-m2', 'ack-m3', 'ack-m4']);
    assert.deepEqual(serverReceived, ['hello:m1', 'heartbeat:m2', 'mcpFrame:m3', 'heartbeat:m4']);
  });

  it('a burst of messages arrives complete and in order both ways', async () => {
    const count = 500;
    const client = await serveAgent({
      async *connect(requests) {
        for await (const message of requests) {
          yield { commandId: message.messageId };
        }
      },
    });
    const stream = client.connect();
    const sending = (async () => {
      for (let i = 0; i < count; i++) {
        await stream.send({ agentId: 'a-1', messageId: String(i) });
      }
      stream.end();
    })();
    const ids: string[] = [];
    for await (const response of stream.responses) ids.push(response.commandId);
    await sending;
    assert.deepEqual(
      ids,
      Array.from({ length: count }, (_, i) => String(i)),
    );
  });

  it('cancel() ends the stream for both sides', async () => {
    const serverSaw = deferred<unknown>();
    const serverGotHello = deferred<undefined>();
    const client = await serveAgent({
      async *connect(requests: AsyncIterable<AgentMessage>, ctx) {
        const reading = (async () => {
          for await (const _message of requests) serverGotHello.resolve(undefined);
        })();
        reading.catch(() => undefined);
        serverSaw.resolve(await abortReason(ctx.signal));
        yield* [];
      },
    });
    const stream = client.connect();
    await stream.send({ agentId: 'a-1', messageId: 'm1', body: { case: 'hello', value: {} } });
    await serverGotHello.promise;
    stream.cancel();
    const consume = (async () => {
      for await (const _response of stream.responses) {
        // nothing is expected
      }
    })();
    await rejectsWithCode(consume, 'cancelled');
    const reason = await serverSaw.promise;
    assert.ok(reason instanceof AppError && reason.code === 'cancelled');
    assert.throws(
      () => void stream.send({ messageId: 'late' }),
      /send\(\) after end\(\) or cancel\(\)/,
    );
  });

  it('serves an AsyncQueue as the response stream (commands pushed from elsewhere)', async () => {
    const queues: AsyncQueue<ControlMessageInit>[] = [];
    const connected = deferred<undefined>();
    const client = await serveAgent({
      connect(_requests, ctx) {
        const queue = new AsyncQueue<ControlMessageInit>();
        ctx.signal.addEventListener('abort', () => queue.close(), { once: true });
        queues.push(queue);
        connected.resolve(undefined);
        return queue;
      },
    });
    const stream = client.connect();
    await stream.send({ agentId: 'a-1', messageId: 'hello' });
    await connected.promise;
    const queue = queues[0];
    assert.ok(queue);
    queue.push({ commandId: 'c-1', body: { case: 'stopLease', value: { leaseId: 'l-1' } } });
    queue.push({ commandId: 'c-2', body: { case: 'ping', value: {} } });
    queue.close();
    const received: string[] = [];
    for await (const message of stream.responses) {
      received.push(`${message.commandId}:${message.body.case ?? '-'}`);
    }
    assert.deepEqual(received, ['c-1:stopLease', 'c-2:ping']);
  });
});

describe('deadlines and cancellation', () => {
  it('a deadline that expires fails the client with timeout and aborts the server', async () => {
    const serverSaw = deferred<unknown>();
    const client = await serveAgent({
      async enroll(_request, ctx) {
        const reason = await abortReason(ctx.signal);
        serverSaw.resolve(reason);
        throw reason;
      },
    });
    await rejectsWithCode(client.enroll({ hostname: 'slow' }, { deadlineMs: 50 }), 'timeout');
    const reason = await serverSaw.promise;
    assert.ok(reason instanceof AppError);
    assert.equal(reason.code, 'timeout');
  });

  it('the default deadline of the client applies to unary calls', async () => {
    const address = await startServer((server) =>
      addGrpcService(server, AgentService, {
        ...notImplemented(AgentService),
        enroll: async (_request, ctx) => {
          throw await abortReason(ctx.signal);
        },
      }),
    );
    const client = track(
      createGrpcClient(AgentService, address, grpc.credentials.createInsecure(), {
        defaultDeadlineMs: 50,
      }),
    );
    await rejectsWithCode(client.enroll({}), 'timeout');
  });

  it('an AbortSignal cancels a unary call; the server observes the cancellation', async () => {
    const serverSaw = deferred<unknown>();
    const started = deferred<undefined>();
    const client = await serveAgent({
      async enroll(_request, ctx) {
        started.resolve(undefined);
        const reason = await abortReason(ctx.signal);
        serverSaw.resolve(reason);
        throw reason;
      },
    });
    const controller = new AbortController();
    const call = client.enroll({ hostname: 'h' }, { signal: controller.signal });
    await started.promise;
    controller.abort();
    await rejectsWithCode(call, 'cancelled');
    const reason = await serverSaw.promise;
    assert.ok(reason instanceof AppError && reason.code === 'cancelled');
  });

  it('an already aborted signal fails the call without sending it', async () => {
    let calls = 0;
    const client = await serveAgent({
      enroll: () => {
        calls++;
        return {};
      },
    });
    await rejectsWithCode(client.enroll({}, { signal: AbortSignal.abort() }), 'cancelled');
    assert.equal(calls, 0);
  });
});

describe('errors across the wire', () => {
  const table: { code: ErrorCode; message: string; retryAfterMs?: number }[] = [
    { code: 'not_found', message: 'lease l-1 not found' },
    { code: 'access_denied', message: 'role readonly may not stop leases' },
    { code: 'bad_parameter', message: 'target.db: must not start with "-"' },
    // These share a gRPC status with another code: the trailer keeps them apart.
    { code: 'credentials_expired', message: 'run tsh login again' },
    { code: 'precondition_failed', message: 'agent is draining' },
    { code: 'rate_limited', message: 'slow down', retryAfterMs: 1500 },
    { code: 'limit_exceeded', message: 'at most 10 leases per actor' },
    { code: 'unavailable', message: 'no agent online', retryAfterMs: 2000 },
    { code: 'unreachable', message: 'agent a-1 is unreachable' },
    { code: 'conflict', message: 'lease generation changed' },
  ];
  for (const { code, message, retryAfterMs } of table) {
    it(`${code} arrives as ${code} with its message`, async () => {
      const client = await serveAgent({
        enroll: () => {
          throw new AppError(code, message, {
            cause: new Error('never sent'),
            ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
          });
        },
      });
      const err = await rejectsWithCode(client.enroll({}), code);
      assert.equal(err.message, message);
      assert.equal(err.retryAfterMs, retryAfterMs);
      assert.equal(err.cause, undefined);
    });
  }

  it('an unknown error arrives as internal without its message, and reaches onError', async () => {
    const reported: [unknown, string][] = [];
    const client = await serveAgent(
      {
        enroll: () => {
          throw new Error('password=hunter2 at /srv/secret.ts:12');
        },
      },
      { onError: (err, method) => reported.push([err, method]) },
    );
    const err = await rejectsWithCode(client.enroll({}), 'internal');
    assert.equal(err.message, 'internal error');
    assert.doesNotMatch(JSON.stringify(err) + err.message, /hunter2|secret/);
    assert.equal(reported.length, 1);
    const [reportedError, method] = reported[0] ?? [];
    assert.match(String((reportedError as Error).message), /hunter2/);
    assert.equal(method, '/tmcp.agent.v1.AgentService/Enroll');
  });

  it('an unknown error in a stream arrives as internal', async () => {
    const client = await serveAdmin({
      // eslint-disable-next-line require-yield
      async *watchLeases() {
        await Promise.resolve();
        throw new TypeError("Cannot read properties of undefined (reading 'lease_id')");
      },
    });
    const consume = (async () => {
      for await (const _event of client.watchLeases({})) {
        // nothing is expected
      }
    })();
    const err = await rejectsWithCode(consume, 'internal');
    assert.equal(err.message, 'internal error');
  });

  it('a status from a server that is not tmcp maps by its status code', async () => {
    const address = await startServer((server) =>
      server.addService(grpcServiceDefinition(AgentService), {
        enroll: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
          callback({ code: grpc.status.NOT_FOUND, details: 'no such thing' }),
      }),
    );
    const client = track(
      createGrpcClient(AgentService, address, grpc.credentials.createInsecure()),
    );
    const err = await rejectsWithCode(client.enroll({}), 'not_found');
    assert.equal(err.message, 'no such thing');
  });

  it('an unreachable server fails with unavailable', async () => {
    const address = await startServer(() => undefined);
    openServers.pop()?.forceShutdown();
    const client = track(
      createGrpcClient(AgentService, address, grpc.credentials.createInsecure()),
    );
    await rejectsWithCode(client.enroll({}, { deadlineMs: 5_000 }), 'unavailable');
  });

  it('the error code travels in the tmcp-error-code trailer', async () => {
    const address = await startServer((server) =>
      addGrpcService(server, AgentService, {
        ...notImplemented(AgentService),
        enroll: () => {
          throw new AppError('credentials_expired', 'run tsh login again');
        },
      }),
    );
    const raw = track(new grpc.Client(address, grpc.credentials.createInsecure()));
    const definition = grpcServiceDefinition(AgentService).enroll;
    assert.ok(definition);
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      const call = raw.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        {},
        () => undefined,
      );
      call.on('status', resolve);
    });
    assert.equal(status.code, grpc.status.FAILED_PRECONDITION);
    assert.deepEqual(status.metadata.get(GRPC_ERROR_CODE_KEY), ['credentials_expired']);
  });
});

describe('client streaming', () => {
  // No tmcp service has a client-streaming method; build one from a descriptor at run time.
  const registry = createFileRegistry(
    create(FileDescriptorProtoSchema, {
      name: 'tmcp/test/v1/sum.proto',
      package: 'tmcp.test.v1',
      dependency: ['google/protobuf/wrappers.proto'],
      syntax: 'proto3',
      messageType: [
        {
          name: 'Numbers',
          field: [
            {
              name: 'value',
              jsonName: 'value',
              number: 1,
              type: FieldDescriptorProto_Type.INT32,
              label: FieldDescriptorProto_Label.OPTIONAL,
            },
          ],
        },
      ],
      service: [
        {
          name: 'SumService',
          method: [
            {
              name: 'Sum',
              inputType: '.tmcp.test.v1.Numbers',
              outputType: '.google.protobuf.Int32Value',
              clientStreaming: true,
            },
          ],
        },
      ],
    }),
    (name) =>
      name === 'google/protobuf/wrappers.proto' ? file_google_protobuf_wrappers : undefined,
  );
  const SumService = registry.getService('tmcp.test.v1.SumService');
  assert.ok(SumService);

  it('sends every request and returns the single response', async () => {
    const address = await startServer((server) =>
      addGrpcService(server, SumService, {
        sum: async (requests: AsyncIterable<{ value?: number }>) => {
          let total = 0;
          for await (const request of requests) total += request.value ?? 0;
          return { value: total };
        },
      } as never),
    );
    const client = track(createGrpcClient(SumService, address, grpc.credentials.createInsecure()));
    const sum = client.sum as unknown as (
      requests: AsyncIterable<{ value: number }>,
    ) => Promise<{ value: number }>;
    async function* numbers(): AsyncGenerator<{ value: number }> {
      for (let i = 1; i <= 10; i++) {
        await Promise.resolve(); // an asynchronous source
        yield { value: i };
      }
    }
    assert.equal((await sum(numbers())).value, 55);
  });
});

describe('mTLS', () => {
  interface Pki {
    ca: Buffer;
    serverKey: Buffer;
    serverCert: Buffer;
    clientKey: Buffer;
    clientCert: Buffer;
  }

  /** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate "agent-7". */
  async function createPki(dir: string): Promise<Pki> {
    const openssl = (args: string[]) => execFileAsync('openssl', args, { cwd: dir });
    const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    await openssl([
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=tmcp-test-ca',
    ]);
    const leaves = [
      ['server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      ['client', '/CN=agent-7', 'extendedKeyUsage=clientAuth'],
    ] as const;
    for (const [name, subject, extension] of leaves) {
      await openssl([
        'req',
        ...ecKey,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        subject,
        '-addext',
        extension,
      ]);
      await openssl([
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-copy_extensions',
        'copy',
        '-days',
        '1',
        '-out',
        `${name}.crt`,
      ]);
    }
    const read = (file: string) => readFile(path.join(dir, file));
    return {
      ca: await read('ca.crt'),
      serverKey: await read('server.key'),
      serverCert: await read('server.crt'),
      clientKey: await read('client.key'),
      clientCert: await read('client.crt'),
    };
  }

  let pki: Pki | undefined;
  async function getPki(): Promise<Pki> {
    if (pki !== undefined) return pki;
    const dir = await mkdtemp(path.join(tmpdir(), 'tmcp-proto-tls-'));
    try {
      pki = await createPki(dir);
      return pki;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Answers with the CN of the verified client certificate, or "none". */
  const whoAmI: Partial<GrpcServiceImpl<typeof AgentService>> = {
    renewCertificate: (_request, ctx) => ({
      agentId: String(ctx.peerCertificate?.subject.CN ?? 'none'),
    }),
  };

  async function serveTls(credentials: grpc.ServerCredentials): Promise<string> {
    return startServer(
      (server) =>
        addGrpcService(server, AgentService, { ...notImplemented(AgentService), ...whoAmI }),
      credentials,
    );
  }

  function tlsClient(address: string, credentials: grpc.ChannelCredentials) {
    return track(
      createGrpcClient(AgentService, address, credentials, {
        channelOptions: { 'grpc.ssl_target_name_override': 'localhost' },
        defaultDeadlineMs: 10_000,
      }),
    );
  }

  it('gives the handler the verified client certificate', async () => {
    const { ca, serverKey, serverCert, clientKey, clientCert } = await getPki();
    const address = await serveTls(
      grpc.ServerCredentials.createSsl(
        ca,
        [{ private_key: serverKey, cert_chain: serverCert }],
        true,
      ),
    );
    const client = tlsClient(address, grpc.credentials.createSsl(ca, clientKey, clientCert));
    const response = await client.renewCertificate({ csrPem: 'CSR' });
    assert.equal(response.agentId, 'agent-7');
  });

  it('with an optional client certificate, one port serves enrolling and enrolled agents', async () => {
    const { ca, serverKey, serverCert, clientKey, clientCert } = await getPki();
    // Enroll happens before the agent has a certificate; Connect must carry one. The control
    // plane can serve both on one port by requesting, not requiring, a client certificate.
    // grpc-js registers its watcher after adding these listeners, so updates must be async.
    const provider: grpc.experimental.CertificateProvider = {
      addCaCertificateListener: (listener) => queueMicrotask(() => listener({ caCertificate: ca })),
      removeCaCertificateListener: () => undefined,
      addIdentityCertificateListener: (listener) =>
        queueMicrotask(() => listener({ certificate: serverCert, privateKey: serverKey })),
      removeIdentityCertificateListener: () => undefined,
    };
    const address = await serveTls(
      grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false),
    );
    const anonymous = tlsClient(address, grpc.credentials.createSsl(ca));
    assert.equal((await anonymous.renewCertificate({})).agentId, 'none');
    const enrolled = tlsClient(address, grpc.credentials.createSsl(ca, clientKey, clientCert));
    assert.equal((await enrolled.renewCertificate({})).agentId, 'agent-7');
  });
});
