// The Connect stream of one agent (DESIGN §3.5, §3.6), as a thin edge over the services:
// authenticate the client certificate, require Hello first, check the agent id of every
// message, hand each message to the service that owns it, and keep presence up to date.
//
// Protocol (what the edge agent must do):
//  - The first message is Hello (else INVALID_ARGUMENT). The control plane answers Welcome
//    (heartbeat interval, disconnect grace, server time), then reconciles the Hello inventory
//    and may send StopLease for leases that must not run (Hello and every Heartbeat), or
//    ExtendLease again for an active lease the agent runs at an older generation.
//  - Every message's agent_id must equal the certificate's agent id (else PERMISSION_DENIED and
//    the stream ends).
//  - StartLease / StopLease / ExtendLease carry a command_id; answer each with CommandAck
//    {command_id, ok}. ok=false on a StartLease fails the lease with the ack's message. A
//    command may be delivered again (new command_id) when its ack was lost: the agent treats
//    (lease_id, generation) idempotently. Unacked commands are retried after 15 s.
//  - Reports of an older generation than the lease's current one are ignored.
import { randomUUID } from 'node:crypto';
import { durationFromMs, timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError, isAppError } from '@tmcp/errors';
import {
  AgentLeaseState,
  LeaseExitReason,
  LogStream,
  ReapReason,
  type AgentMessage,
  type GrpcCallContext,
  type LeaseInventoryItem,
} from '@tmcp/proto';
import type { Logger } from 'pino';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { FederationHub } from '../federation/federation-hub.js';
import type { InventoryItem, ReapedItem } from '../leases/lease-reconciler.js';
import {
  LeaseReportService,
  type AgentOrder,
  type ExitReason,
} from '../leases/lease-report.service.js';
import { LOGGER } from '../logging/logger.token.js';
import { AgentEnrollmentService } from './agent-enrollment.service.js';
import { AgentSession, type ControlMessageInit } from './agent-session.js';
import { AgentStreamRegistry } from './agent-stream-registry.js';
import { EdgeAgentsRepository } from './edge-agents.repository.js';
import { REPLICA_ID } from './replica-id.js';

/** An agent that connects but says nothing is dropped after this long. */
const HELLO_TIMEOUT_MS = 30_000;

@Injectable()
export class AgentConnectHandler {
  constructor(
    private readonly enrollment: AgentEnrollmentService,
    private readonly agents: EdgeAgentsRepository,
    private readonly registry: AgentStreamRegistry,
    private readonly reports: LeaseReportService,
    private readonly federation: FederationHub,
    @Inject(REPLICA_ID) private readonly replicaId: string,
    @Inject(SERVER_CONFIG) private readonly config: Pick<ServerConfig, 'agentService'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The bidi handler: returns the outgoing stream at once and serves in the background. */
  connect(
    requests: AsyncIterable<AgentMessage>,
    ctx: GrpcCallContext,
  ): AsyncIterable<ControlMessageInit> {
    const session = new AgentSessionPromise();
    void this.serve(requests, ctx, session);
    return session.outgoing;
  }

  private async serve(
    requests: AsyncIterable<AgentMessage>,
    ctx: GrpcCallContext,
    pending: AgentSessionPromise,
  ): Promise<void> {
    let session: AgentSession | undefined;
    let log = this.logger;
    try {
      const agentId = await this.enrollment.authenticate(ctx.peerCertificate?.raw);
      session = pending.bind(new AgentSession(agentId, randomUUID()));
      log = this.logger.child({ agent_id: agentId, session_id: session.sessionId });
      const iterator = requests[Symbol.asyncIterator]();
      const first = await withTimeout(iterator.next(), HELLO_TIMEOUT_MS);
      if (first.done === true) return;
      this.checkIdentity(agentId, first.value);
      if (first.value.body.case !== 'hello') {
        throw new AppError('bad_parameter', 'the first message on the stream must be Hello');
      }
      const hello = first.value.body.value;
      const { draining } = await this.agents.markConnected(agentId, this.replicaId, {
        hostname: hello.hostname,
        version: hello.agentVersion,
      });
      await this.registry.register(session);
      session.write({
        case: 'welcome',
        value: {
          agentId,
          heartbeatInterval: durationFromMs(
            this.config.agentService.heartbeatIntervalSeconds * 1000,
          ),
          disconnectGrace: durationFromMs(this.config.agentService.disconnectGraceSeconds * 1000),
          serverTime: timestampFromDate(new Date()),
        },
      });
      // Drained while it was away (or through another replica): tell it again.
      if (draining) {
        session.write(
          { case: 'drain', value: { reason: 'this agent is draining' } },
          `drain-${randomUUID()}`,
        );
      }
      log.info(
        {
          peer: ctx.peer,
          hostname: hello.hostname,
          version: hello.agentVersion,
          leases: hello.leases.length,
        },
        'agent connected',
      );
      this.sendOrders(
        session,
        await this.reports.reconcile(
          agentId,
          hello.leases.map(inventoryItem),
          hello.reaped.map(reapedItem),
        ),
      );
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) break;
        this.checkIdentity(agentId, next.value);
        await this.handle(session, next.value).catch((error: unknown) => {
          if (isAppError(error) && error.code === 'access_denied') throw error;
          log.warn(
            { err: error, message_case: next.value.body.case },
            'agent message not processed',
          );
        });
      }
      session.close();
    } catch (error) {
      const appError = toStreamError(error);
      if (appError.code !== 'cancelled')
        log.warn({ err: error, peer: ctx.peer }, 'agent stream refused or ended with an error');
      if (session === undefined) pending.fail(appError);
      else session.close(appError);
    } finally {
      if (session !== undefined) {
        await this.registry.unregister(session);
        if (!this.registry.has(session.agentId)) {
          this.federation.agentGone(session.agentId);
          await this.agents
            .markDisconnected(session.agentId, this.replicaId)
            .catch((error: unknown) => {
              log.warn({ err: error }, 'agent presence not updated');
            });
        }
        log.info('agent disconnected');
      }
    }
  }

  private checkIdentity(agentId: string, message: AgentMessage): void {
    if (message.agentId !== agentId) {
      throw new AppError(
        'access_denied',
        `message agent_id "${message.agentId}" does not match the certificate's agent id; the stream is closed`,
      );
    }
  }

  private async handle(session: AgentSession, message: AgentMessage): Promise<void> {
    const agentId = session.agentId;
    const body = message.body;
    switch (body.case) {
      case 'hello':
        throw new AppError('bad_parameter', 'Hello may only be the first message of a stream');
      case 'heartbeat':
        await this.enrollment.assertStillCertified(agentId);
        await this.agents.touch(agentId, this.replicaId);
        this.sendOrders(
          session,
          await this.reports.heartbeat(agentId, {
            inventory: body.value.leases.map(inventoryItem),
            droppedLogLines: Number(body.value.droppedLogLines),
          }),
        );
        return;
      case 'leaseStarted':
        await this.reports.started(agentId, {
          leaseId: body.value.leaseId,
          generation: body.value.generation,
          pid: body.value.pid,
          listenAddr: body.value.listenAddr,
        });
        return;
      case 'leaseFailed':
        this.federation.end(body.value.leaseId);
        await this.reports.failed(agentId, {
          leaseId: body.value.leaseId,
          generation: body.value.generation,
          errorCode: body.value.errorCode,
          message: body.value.message.slice(0, 2_000),
          exitCode: body.value.exitCode,
        });
        return;
      case 'leaseExited':
        this.federation.end(body.value.leaseId);
        await this.reports.exited(agentId, {
          leaseId: body.value.leaseId,
          generation: body.value.generation,
          exitCode: body.value.exitCode,
          signal: body.value.signal.slice(0, 32),
          reason: exitReason(body.value.reason),
        });
        return;
      case 'leaseLogBatch':
        await this.reports.logs(agentId, {
          leaseId: body.value.leaseId,
          generation: body.value.generation,
          dropped: Number(body.value.dropped),
          lines: body.value.lines.map((line) => ({
            seq: Number(line.seq),
            ts: line.ts === undefined ? new Date() : timestampDate(line.ts),
            stream: line.stream === LogStream.STDERR ? 'stderr' : 'stdout',
            line: line.line.slice(0, 16_384),
          })),
        });
        return;
      case 'commandAck':
        session.acknowledge(body.value.commandId, {
          ok: body.value.ok,
          errorCode: body.value.errorCode,
          message: body.value.message.slice(0, 2_000),
        });
        return;
      case 'mcpFrame':
        // stdout of a federated lease's MCP server (DESIGN §3.5): to its gateway-side client.
        this.federation.receive(agentId, body.value);
        return;
      case undefined:
        return;
    }
  }

  private sendOrders(session: AgentSession, orders: readonly AgentOrder[]): void {
    for (const order of orders) {
      session.write(
        order.type === 'stop'
          ? {
              case: 'stopLease',
              value: {
                leaseId: order.leaseId,
                generation: order.generation,
                reason: LeaseExitReason.STOPPED,
              },
            }
          : {
              case: 'extendLease',
              value: {
                leaseId: order.leaseId,
                generation: order.generation,
                expiresAt: timestampFromDate(order.expiresAt),
              },
            },
        `reconcile-${randomUUID()}`,
      );
    }
  }
}

/**
 * The outgoing stream must exist before authentication finishes (the handler returns it
 * synchronously); this forwards to the session's queue once there is one.
 */
class AgentSessionPromise {
  private session: AgentSession | undefined;
  private failure: AppError | undefined;
  private readonly waiters: (() => void)[] = [];

  readonly outgoing: AsyncIterable<ControlMessageInit> = {
    [Symbol.asyncIterator]: () => this.iterate(),
  };

  bind(session: AgentSession): AgentSession {
    this.session = session;
    for (const wake of this.waiters.splice(0)) wake();
    return session;
  }

  fail(error: AppError): void {
    this.failure = error;
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async *iterate(): AsyncGenerator<ControlMessageInit> {
    while (this.session === undefined && this.failure === undefined) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure !== undefined) throw this.failure;
    if (this.session !== undefined) yield* this.session.outgoing;
  }
}

function inventoryItem(item: LeaseInventoryItem): InventoryItem {
  return {
    leaseId: item.leaseId,
    generation: item.generation,
    pid: item.pid,
    listenAddr: item.listenAddr,
    state:
      item.state === AgentLeaseState.STARTING
        ? 'starting'
        : item.state === AgentLeaseState.STOPPING
          ? 'stopping'
          : 'running',
  };
}

function reapedItem(item: {
  leaseId: string;
  generation: number;
  reason: ReapReason;
  message: string;
}): ReapedItem {
  return {
    leaseId: item.leaseId,
    generation: item.generation,
    message: item.message.slice(0, 500),
    kind:
      item.reason === ReapReason.DEADLINE_PASSED
        ? 'deadline_passed'
        : item.reason === ReapReason.NOT_ADOPTABLE
          ? 'not_adoptable'
          : 'process_gone',
  };
}

function exitReason(reason: LeaseExitReason): ExitReason {
  switch (reason) {
    case LeaseExitReason.EXPIRED:
      return 'expired';
    case LeaseExitReason.STOPPED:
      return 'stopped';
    case LeaseExitReason.CRASHED:
      return 'crashed';
    case LeaseExitReason.AGENT_SHUTDOWN:
      return 'agent_shutdown';
    case LeaseExitReason.DISCONNECT_GRACE:
      return 'disconnect_grace';
    case LeaseExitReason.UNSPECIFIED:
      return 'unspecified';
  }
}

function toStreamError(error: unknown): AppError {
  if (isAppError(error)) return error;
  return new AppError('internal', 'internal error', { cause: error });
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new AppError('timeout', `no Hello within ${ms / 1000} s`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
