// Test support: a tiny control plane speaking the agent proto over real gRPC with mTLS on
// 127.0.0.1 — Enroll with one-time tokens, RenewCertificate, and a Connect stream that answers
// Hello with Welcome, records every AgentMessage and lets the test send commands. It can stop
// and start again on the same port (reconnect tests).
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromMs, timestampNow } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { TestPki } from '@tmcp/client/testing';
import { AppError } from '@tmcp/errors';
import {
  addGrpcService,
  AgentService,
  AsyncQueue,
  ControlMessageSchema,
  type AgentMessage,
} from '@tmcp/proto';

type ControlInit = MessageInitShape<typeof ControlMessageSchema>;
type ControlBody = NonNullable<ControlInit['body']>;

export interface ReceivedMessage {
  message: AgentMessage;
  /** The CN of the client certificate that sent it. */
  peer: string;
  at: number;
}

export class FakeControlPlane {
  readonly received: ReceivedMessage[] = [];
  readonly renewals: string[] = [];
  /** Disconnect grace announced in Welcome. */
  welcomeGraceMs = 300_000;
  heartbeatMs = 1_000;
  certTtlSeconds = 3600;
  /** renew_after given at enrollment, from now. */
  enrollRenewAfterMs: number | undefined;
  private readonly tokens = new Set<string>();
  private server: grpc.Server | undefined;
  private port = 0;
  private streams = new Set<AsyncQueue<ControlInit>>();
  private waiters: {
    predicate: (m: ReceivedMessage) => boolean;
    resolve: (m: ReceivedMessage) => void;
    from: number;
  }[] = [];
  private agents = 0;
  private commands = 0;

  private constructor(
    readonly pki: TestPki,
    private readonly serverCert: { keyPem: string; certPem: string },
  ) {}

  static async create(): Promise<FakeControlPlane> {
    const pki = await TestPki.create('fake-control-plane-ca');
    return new FakeControlPlane(pki, await pki.issueServerCert());
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  addToken(token: string): void {
    this.tokens.add(token);
  }

  async start(): Promise<void> {
    const { pki, serverCert } = this;
    const provider: grpc.experimental.CertificateProvider = {
      addCaCertificateListener: (l) =>
        queueMicrotask(() => l({ caCertificate: Buffer.from(pki.caPem) })),
      removeCaCertificateListener: () => undefined,
      addIdentityCertificateListener: (l) =>
        queueMicrotask(() =>
          l({
            certificate: Buffer.from(serverCert.certPem),
            privateKey: Buffer.from(serverCert.keyPem),
          }),
        ),
      removeIdentityCertificateListener: () => undefined,
    };
    const server = new grpc.Server({
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 1_000,
    });
    addGrpcService(server, AgentService, {
      enroll: async (request) => {
        if (!this.tokens.delete(request.joinToken)) {
          throw new AppError(
            'access_denied',
            'the join token is invalid, expired or already used; ask an admin for a new one (tmcpctl tokens create)',
          );
        }
        this.agents += 1;
        const agentId = `agent-${this.agents}`;
        const signed = await pki.signCsr(request.csrPem, agentId, this.certTtlSeconds);
        return {
          agentId,
          certificatePem: signed.certPem,
          caPem: pki.caPem,
          notAfter: timestampFromMs(signed.notAfter.getTime()),
          renewAfter: timestampFromMs(
            Date.now() + (this.enrollRenewAfterMs ?? (this.certTtlSeconds * 1000) / 2),
          ),
        };
      },
      renewCertificate: async (request, ctx) => {
        const cn = ctx.peerCertificate?.subject.CN;
        if (typeof cn !== 'string')
          throw new AppError('unauthenticated', 'a client certificate is required');
        this.renewals.push(cn);
        const signed = await pki.signCsr(request.csrPem, cn, this.certTtlSeconds);
        return {
          agentId: cn,
          certificatePem: signed.certPem,
          caPem: pki.caPem,
          notAfter: timestampFromMs(signed.notAfter.getTime()),
          renewAfter: timestampFromMs(Date.now() + (this.certTtlSeconds * 1000) / 2),
        };
      },
      connect: (requests, ctx) => {
        const cn = ctx.peerCertificate?.subject.CN;
        if (typeof cn !== 'string')
          throw new AppError('unauthenticated', 'a client certificate is required');
        const out = new AsyncQueue<ControlInit>();
        this.streams.add(out);
        ctx.signal.addEventListener(
          'abort',
          () => {
            this.streams.delete(out);
            out.close();
          },
          { once: true },
        );
        void (async () => {
          try {
            for await (const message of requests) {
              if (message.body.case === 'hello') {
                out.push({
                  commandId: '',
                  body: {
                    case: 'welcome',
                    value: {
                      agentId: cn,
                      heartbeatInterval: durationFromMs(this.heartbeatMs),
                      disconnectGrace: durationFromMs(this.welcomeGraceMs),
                      serverTime: timestampNow(),
                    },
                  },
                });
              }
              this.record({ message, peer: cn, at: Date.now() });
            }
          } catch {
            // the stream failed; the agent reconnects
          } finally {
            this.streams.delete(out);
            out.close();
          }
        })();
        return out;
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        `127.0.0.1:${this.port}`,
        grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false),
        (err, p) => (err ? reject(err) : resolve(p)),
      ),
    );
    this.port = port;
    this.server = server;
  }

  /** Drops every connection at once, as a crashed control plane would. */
  stop(): void {
    for (const s of this.streams) s.close();
    this.streams.clear();
    this.server?.forceShutdown();
    this.server = undefined;
  }

  /** Sends a command to every connected agent; returns its command id. */
  send(body: ControlBody): string {
    this.commands += 1;
    const commandId = `cmd-${this.commands}`;
    for (const s of this.streams) s.push(create(ControlMessageSchema, { commandId, body }));
    return commandId;
  }

  /** The next message (received at or after `since`, an index into `received`) matching. */
  waitFor(predicate: (m: ReceivedMessage) => boolean, since = 0): Promise<ReceivedMessage> {
    const found = this.received.slice(since).find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ predicate, resolve, from: since }));
  }

  /** The ack of a command. */
  ack(commandId: string): Promise<ReceivedMessage> {
    return this.waitFor(
      (m) => m.message.body.case === 'commandAck' && m.message.body.value.commandId === commandId,
    );
  }

  get mark(): number {
    return this.received.length;
  }

  private record(entry: ReceivedMessage): void {
    this.received.push(entry);
    if (process.env.TMCP_TEST_AGENT_LOGS === '1') {
      process.stderr.write(
        `control plane got ${entry.message.body.case ?? '?'} ${JSON.stringify(entry.message.body.value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 300)}\n`,
      );
    }
    const index = this.received.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (index >= w.from && w.predicate(entry)) {
        w.resolve(entry);
        return false;
      }
      return true;
    });
  }
}
