// A tiny edge agent for tests and the bench: a real gRPC client over mTLS speaking the agent
// proto (enroll with a CSR, Connect, Hello, acks, lease reports). It runs no processes: a
// StartLease is answered with LeaseStarted on a made-up pid and address.
// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect polyfill.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import {
  AgentService,
  createGrpcClient,
  LeaseExitReason,
  type AgentMessageSchema,
  type ControlMessage,
  type GrpcBidiStream,
  type GrpcClient,
  type HelloSchema,
} from '@tmcp/proto';

type AgentBody = MessageInitShape<typeof AgentMessageSchema>['body'];
type HelloInit = MessageInitShape<typeof HelloSchema>;

export interface FakeAgentIdentity {
  readonly agentId: string;
  readonly keyPem: string;
  readonly certPem: string;
  readonly caPem: string;
}

export interface FakeAgentBehaviour {
  /** Answer StartLease with LeaseStarted (default true). */
  autoStart?: boolean;
  /** Answer StopLease with LeaseExited (default true). */
  autoExit?: boolean;
  /** ok=false on StartLease acks, with this message. */
  refuseStarts?: string;
}

/** A P-256 key and a CSR for it, as an agent would make them. */
export async function makeCsr(): Promise<{ csrPem: string; keyPem: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=fake-agent',
    keys,
    signingAlgorithm: alg,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { csrPem: csr.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

export function agentClient(
  address: string,
  caPem: string,
  identity?: { keyPem: string; certPem: string },
): GrpcClient<typeof AgentService> {
  const credentials =
    identity === undefined
      ? grpc.credentials.createSsl(Buffer.from(caPem))
      : grpc.credentials.createSsl(
          Buffer.from(caPem),
          Buffer.from(identity.keyPem),
          Buffer.from(identity.certPem),
        );
  return createGrpcClient(AgentService, address, credentials, {
    channelOptions: { 'grpc.ssl_target_name_override': 'localhost' },
    defaultDeadlineMs: 10_000,
  });
}

export async function enrollFakeAgent(
  address: string,
  caPem: string,
  joinToken: string,
): Promise<FakeAgentIdentity> {
  const { csrPem, keyPem } = await makeCsr();
  const client = agentClient(address, caPem);
  try {
    const response = await client.enroll({
      joinToken,
      csrPem,
      hostname: 'fake-host',
      agentVersion: 'fake/1',
    });
    return {
      agentId: response.agentId,
      keyPem,
      certPem: response.certificatePem,
      caPem: response.caPem,
    };
  } finally {
    client.close();
  }
}

export class FakeAgent {
  readonly received: ControlMessage[] = [];
  private readonly client: GrpcClient<typeof AgentService>;
  private stream:
    GrpcBidiStream<MessageInitShape<typeof AgentMessageSchema>, ControlMessage> | undefined;
  private readonly waiters: {
    test: (m: ControlMessage) => boolean;
    resolve: (m: ControlMessage) => void;
  }[] = [];
  private seq = 0;
  private pid = 10_000;
  /** The call's outcome: resolves when the server ends the stream, rejects with its error. */
  closed: Promise<void> = Promise.resolve();
  readonly running = new Map<string, { generation: number; pid: number; listenAddr: string }>();

  constructor(
    readonly identity: FakeAgentIdentity,
    address: string,
    readonly behaviour: FakeAgentBehaviour = {},
  ) {
    this.client = agentClient(address, identity.caPem, identity);
  }

  get agentId(): string {
    return this.identity.agentId;
  }

  /** Opens the stream, sends Hello and resolves with the Welcome. */
  async connect(
    hello: Omit<HelloInit, 'agentId' | '$typeName'> = {},
    claimedId = this.agentId,
  ): Promise<ControlMessage> {
    const stream = this.client.connect();
    this.stream = stream;
    this.closed = this.pump(stream.responses);
    this.closed.catch(() => undefined);
    const welcome = this.next((m) => m.body.case === 'welcome');
    const value: HelloInit = {
      hostname: 'fake-host',
      agentVersion: 'fake/1',
      ...hello,
      agentId: claimedId,
    };
    await this.send({ case: 'hello', value }, claimedId);
    return Promise.race([
      welcome,
      this.closed.then(() => Promise.reject(new Error('stream ended before Welcome'))),
    ]);
  }

  async send(body: AgentBody, agentId = this.agentId): Promise<void> {
    if (this.stream === undefined) throw new Error('not connected');
    await this.stream.send({ agentId, messageId: `m-${++this.seq}`, body });
  }

  /** Resolves with the first message (already received or future) that passes `test`. */
  next(test: (m: ControlMessage) => boolean): Promise<ControlMessage> {
    const seen = this.received.find(test);
    if (seen !== undefined) {
      this.received.splice(this.received.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  async heartbeat(): Promise<void> {
    await this.send({
      case: 'heartbeat',
      value: { sentAt: timestampFromDate(new Date()), leases: this.inventory() },
    });
  }

  inventory() {
    return [...this.running].map(([leaseId, l]) => ({
      leaseId,
      generation: l.generation,
      pid: l.pid,
      pgid: l.pid,
      listenAddr: l.listenAddr,
      state: 2,
    }));
  }

  disconnect(): void {
    this.stream?.cancel();
    this.stream = undefined;
  }

  close(): void {
    this.disconnect();
    this.client.close();
  }

  private async pump(responses: AsyncIterable<ControlMessage>): Promise<void> {
    for await (const message of responses) {
      await this.react(message);
      const index = this.waiters.findIndex((w) => w.test(message));
      if (index >= 0) {
        const [waiter] = this.waiters.splice(index, 1);
        waiter?.resolve(message);
      } else {
        this.received.push(message);
      }
    }
  }

  private async react(message: ControlMessage): Promise<void> {
    const body = message.body;
    const ack = async (ok: boolean, text = ''): Promise<void> => {
      if (message.commandId !== '') {
        await this.send({
          case: 'commandAck',
          value: {
            commandId: message.commandId,
            ok,
            message: text,
            errorCode: ok ? '' : 'precondition_failed',
          },
        });
      }
    };
    switch (body.case) {
      case 'startLease': {
        const spec = body.value.spec;
        if (spec === undefined) return;
        if (this.behaviour.refuseStarts !== undefined)
          return ack(false, this.behaviour.refuseStarts);
        await ack(true);
        if (this.behaviour.autoStart === false) return;
        const pid = ++this.pid;
        const listenAddr = spec.listenAddr || `127.0.0.1:${20_000 + (pid % 20_000)}`;
        this.running.set(spec.leaseId, { generation: spec.generation, pid, listenAddr });
        await this.send({
          case: 'leaseStarted',
          value: {
            leaseId: spec.leaseId,
            generation: spec.generation,
            pid,
            listenAddr,
            startedAt: timestampFromDate(new Date()),
          },
        });
        return;
      }
      case 'stopLease': {
        await ack(true);
        if (this.behaviour.autoExit === false) return;
        const lease = this.running.get(body.value.leaseId);
        if (lease === undefined) return;
        this.running.delete(body.value.leaseId);
        await this.send({
          case: 'leaseExited',
          value: {
            leaseId: body.value.leaseId,
            generation: lease.generation,
            signal: 'SIGTERM',
            reason: body.value.reason || LeaseExitReason.STOPPED,
          },
        });
        return;
      }
      case 'extendLease': {
        const lease = this.running.get(body.value.leaseId);
        if (lease !== undefined) lease.generation = body.value.generation;
        return ack(true);
      }
      case 'ping':
        return ack(true);
      case 'welcome':
      case 'drain':
      case 'mcpFrame':
      case undefined:
        return;
    }
  }
}
