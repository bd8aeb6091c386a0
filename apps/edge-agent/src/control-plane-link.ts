// The agent's stream to the control plane: connect, say Hello (inventory, reaped leftovers),
// wait for Welcome, then carry commands to the supervisor (each answered with a CommandAck),
// lifecycle reports, log batches (~1 s or when full), heartbeats and MCP frames back. When the
// stream ends it tells the supervisor (disconnect grace starts) and reconnects with full-jitter
// backoff. Lifecycle reports made while disconnected wait in a bounded outbox.
import { randomUUID } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationMs, timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import type { AgentServiceClient } from '@tmcp/client';
import { toAppError } from '@tmcp/errors';
import {
  LeaseExitReason,
  LogStream,
  ReapReason,
  type AgentMessageSchema,
  type ControlMessage,
  type GrpcBidiStream,
} from '@tmcp/proto';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from './clock.js';
import type { LeaseLogBatcher } from './lease-log-batcher.js';
import type {
  CommandOutcome,
  LeaseReport,
  LeaseReportSink,
  LeaseSupervisor,
  ReapedLeaseInit,
} from './lease-supervisor.js';
import { ReconnectBackoff, type BackoffPolicy } from './reconnect-backoff.js';

type AgentMessageInit = MessageInitShape<typeof AgentMessageSchema>;
type AgentBody = NonNullable<AgentMessageInit['body']>;

export interface ControlPlaneLinkOptions {
  agentId: string;
  agentVersion: string;
  hostname: string;
  labels: Record<string, string>;
  capabilities: string[];
  /** Used until Welcome names one. */
  heartbeatIntervalMs: number;
  flushIntervalMs: number;
  /** How long to wait for Welcome after Hello. */
  welcomeTimeoutMs?: number;
  backoff?: BackoffPolicy;
  /** Lifecycle reports kept while disconnected. */
  outboxLimit?: number;
}

export interface ControlPlaneLinkDeps {
  /** The client to use for the next connection (it changes when the certificate is renewed). */
  client: () => AgentServiceClient;
  supervisor: LeaseSupervisor;
  logs: LeaseLogBatcher;
  clock: Clock;
  logger: Logger;
  random?: () => number;
}

export class ControlPlaneLink implements LeaseReportSink {
  private stream: GrpcBidiStream<AgentMessageInit, ControlMessage> | undefined;
  private welcomed = false;
  private readonly outbox: AgentBody[] = [];
  private reaped: ReapedLeaseInit[] = [];
  private stopped = false;
  private wake: (() => void) | undefined;
  private flushTimer: TimerHandle | undefined;
  private flushSoon = false;
  private readonly backoff: ReconnectBackoff;
  private loop: Promise<void> | undefined;
  private readonly listeners = new Set<(event: LinkEvent) => void>();

  constructor(
    private readonly options: ControlPlaneLinkOptions,
    private readonly deps: ControlPlaneLinkDeps,
  ) {
    this.backoff = new ReconnectBackoff(options.backoff, deps.random);
  }

  /** Leftovers handled at start, reported in every Hello until one is welcomed. */
  setReaped(reaped: ReapedLeaseInit[]): void {
    this.reaped = reaped;
  }

  get connected(): boolean {
    return this.welcomed;
  }

  /** Observes connection events (tests, metrics). */
  onEvent(listener: (event: LinkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Sends what is pending (reports, logs), half-closes the stream and stops reconnecting. */
  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (this.welcomed) {
      this.flushLogs();
      await this.drainOutbox();
    }
    const stream = this.stream;
    stream?.end();
    // The server ends its side when ours ends; if it does not, do not wait for it forever.
    const giveUp = this.deps.clock.setTimer(2_000, () => stream?.cancel());
    await this.loop;
    giveUp.cancel();
  }

  // ---- LeaseReportSink ----

  report(report: LeaseReport): void {
    if (this.welcomed) void this.send(report);
    else this.enqueue(report);
  }

  mcpOutput(leaseId: string, generation: number, data: Buffer): void {
    if (this.welcomed) void this.send({ case: 'mcpFrame', value: { leaseId, generation, data } });
    // While disconnected, MCP bytes have no one to go to: the MCP session is broken anyway.
  }

  /** The batcher is full: send now rather than at the next tick. */
  logsFull(): void {
    if (!this.welcomed || this.flushSoon) return;
    this.flushSoon = true;
    queueMicrotask(() => {
      this.flushSoon = false;
      this.flushLogs();
    });
  }

  // ---- the connection loop ----

  private async run(): Promise<void> {
    while (!this.stopped) {
      const healthyMs = await this.session();
      this.backoff.connectionEnded(healthyMs);
      if (this.stopped) break;
      const delay = this.backoff.nextDelay();
      this.deps.logger.info(
        { retry_in_ms: delay, attempt: this.backoff.attempts },
        'reconnecting to the control plane',
      );
      await new Promise<void>((resolve) => {
        const timer = this.deps.clock.setTimer(delay, resolve);
        this.wake = () => {
          timer.cancel();
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** One stream, from Hello to its end; returns how long it was healthy after Welcome. */
  private async session(): Promise<number> {
    const client = this.deps.client();
    const stream = client.connect();
    this.stream = stream;
    let welcomedAt: number | undefined;
    let heartbeat: TimerHandle | undefined;
    const welcomeTimer = this.deps.clock.setTimer(this.options.welcomeTimeoutMs ?? 15_000, () => {
      this.deps.logger.warn('the control plane did not answer Hello with Welcome; reconnecting');
      stream.cancel();
    });
    try {
      await stream.send(
        this.message({
          case: 'hello',
          value: {
            agentId: this.options.agentId,
            agentVersion: this.options.agentVersion,
            hostname: this.options.hostname,
            labels: this.options.labels,
            leases: this.deps.supervisor.inventory(),
            reaped: [...this.reaped, ...this.exitsWhileDisconnected()],
            capabilities: this.options.capabilities,
          },
        }),
      );
      for await (const message of stream.responses) {
        if (welcomedAt === undefined) {
          if (message.body.case !== 'welcome') {
            this.deps.logger.warn(
              { got: message.body.case },
              'expected Welcome as the first message; reconnecting',
            );
            stream.cancel();
            break;
          }
          welcomeTimer.cancel();
          welcomedAt = this.deps.clock.now();
          const welcome = message.body.value;
          if (welcome.agentId !== '' && welcome.agentId !== this.options.agentId) {
            this.deps.logger.warn(
              { welcome_agent_id: welcome.agentId },
              'the control plane welcomed another agent id than this certificate holds',
            );
          }
          const intervalMs =
            welcome.heartbeatInterval === undefined
              ? this.options.heartbeatIntervalMs
              : durationMs(welcome.heartbeatInterval);
          const graceMs =
            welcome.disconnectGrace === undefined ? undefined : durationMs(welcome.disconnectGrace);
          const skewMs =
            welcome.serverTime === undefined
              ? 0
              : timestampMs(welcome.serverTime) - this.deps.clock.now();
          this.welcomed = true;
          this.reaped = [];
          this.deps.supervisor.connectionUp(graceMs);
          this.deps.logger.info(
            {
              heartbeat_interval_ms: intervalMs,
              disconnect_grace_ms: graceMs,
              clock_skew_ms: skewMs,
            },
            'connected to the control plane',
          );
          if (Math.abs(skewMs) > 5_000) {
            this.deps.logger.warn(
              { clock_skew_ms: skewMs },
              'this host clock differs from the control plane; lease deadlines are enforced with the local clock',
            );
          }
          await this.drainOutbox();
          heartbeat = this.every(Math.max(1_000, intervalMs), () => this.sendHeartbeat());
          this.flushTimer = this.every(this.options.flushIntervalMs, () => this.flushLogs());
          this.emit({ type: 'connected' });
          continue;
        }
        this.dispatch(message);
      }
    } catch (err) {
      const error = toAppError(err);
      if (!this.stopped) {
        this.deps.logger.warn(
          { code: error.code, err: error.message },
          'stream to the control plane ended',
        );
      }
    } finally {
      welcomeTimer.cancel();
      heartbeat?.cancel();
      this.flushTimer?.cancel();
      this.flushTimer = undefined;
      this.welcomed = false;
      this.stream = undefined;
      if (client !== this.deps.client()) client.close(); // replaced by a renewed certificate
      if (!this.stopped) this.deps.supervisor.connectionDown();
      this.emit({ type: 'disconnected' });
    }
    return welcomedAt === undefined ? 0 : this.deps.clock.now() - welcomedAt;
  }

  private dispatch(message: ControlMessage): void {
    const { supervisor } = this.deps;
    const body = message.body;
    let outcome: CommandOutcome;
    switch (body.case) {
      case 'startLease':
        outcome =
          body.value.spec === undefined ? missing('spec') : supervisor.startLease(body.value.spec);
        break;
      case 'stopLease':
        outcome = supervisor.stopLease(
          body.value.leaseId,
          body.value.generation,
          body.value.reason,
        );
        break;
      case 'extendLease':
        outcome =
          body.value.expiresAt === undefined
            ? missing('expires_at')
            : supervisor.extendLease(
                body.value.leaseId,
                body.value.generation,
                timestampMs(body.value.expiresAt),
              );
        break;
      case 'drain':
        outcome = supervisor.drain(body.value.reason);
        break;
      case 'ping':
        outcome = { ok: true };
        break;
      case 'mcpFrame':
        // Data, not a command: no ack per frame.
        supervisor.writeMcpInput(body.value.leaseId, body.value.generation, body.value.data);
        return;
      case 'welcome':
        return;
      case undefined:
        outcome = {
          ok: false,
          errorCode: 'not_implemented',
          message: 'this agent does not know this command; upgrade the agent',
        };
        break;
    }
    if (message.commandId !== '') {
      void this.send({
        case: 'commandAck',
        value: {
          commandId: message.commandId,
          ok: outcome.ok,
          errorCode: outcome.errorCode ?? '',
          message: outcome.message ?? '',
        },
      });
    }
    this.emit({ type: 'command', command: body.case ?? 'unknown', outcome });
  }

  private sendHeartbeat(): void {
    void this.send({
      case: 'heartbeat',
      value: {
        sentAt: timestampFromMs(this.deps.clock.now()),
        leases: this.deps.supervisor.inventory(),
        droppedLogLines: BigInt(this.deps.logs.takeDroppedTotal()),
      },
    });
  }

  private flushLogs(): void {
    if (!this.welcomed) return;
    while (this.deps.logs.hasPending) {
      for (const batch of this.deps.logs.takeBatches()) {
        void this.send({
          case: 'leaseLogBatch',
          value: {
            leaseId: batch.leaseId,
            generation: batch.generation,
            dropped: BigInt(batch.dropped),
            lines: batch.lines.map((l) => ({
              seq: l.seq,
              ts: timestampFromMs(l.ts.getTime()),
              stream: l.stream === 'stdout' ? LogStream.STDOUT : LogStream.STDERR,
              line: l.line,
            })),
          },
        });
      }
    }
  }

  /**
   * Leases that ended while the stream was down, told in Hello as well: the control plane
   * reconciles the Hello inventory before it reads the outbox, and would otherwise take a lease
   * that expired meanwhile for a lost one. (The LeaseExited that follows is then a no-op.)
   */
  private exitsWhileDisconnected(): ReapedLeaseInit[] {
    return this.outbox.flatMap((body) => {
      if (body.case !== 'leaseExited') return [];
      const exit = body.value;
      const told = (reason: ReapReason, message: string): ReapedLeaseInit[] => [
        { leaseId: exit.leaseId ?? '', generation: exit.generation ?? 0, reason, message },
      ];
      switch (exit.reason) {
        case LeaseExitReason.EXPIRED:
          return told(
            ReapReason.DEADLINE_PASSED,
            'the lease reached its deadline while the control plane was unreachable',
          );
        case LeaseExitReason.CRASHED:
          return told(
            ReapReason.PROCESS_GONE,
            'the proxy process exited on its own while the control plane was unreachable',
          );
        case LeaseExitReason.DISCONNECT_GRACE:
          return told(
            ReapReason.NOT_ADOPTABLE,
            'the control plane was unreachable for longer than the disconnect grace; the agent stopped the lease',
          );
        default:
          // Stopped on request or at shutdown: the control plane already expects it gone.
          return [];
      }
    });
  }

  private async drainOutbox(): Promise<void> {
    while (this.welcomed && this.outbox.length > 0) {
      const body = this.outbox.shift();
      if (body !== undefined) await this.send(body);
    }
  }

  private enqueue(body: AgentBody): void {
    this.outbox.push(body);
    const limit = this.options.outboxLimit ?? 10_000;
    if (this.outbox.length > limit) {
      this.outbox.shift();
      this.deps.logger.warn(
        'outbox full while disconnected: the oldest lease report was dropped (the Hello inventory still tells the truth)',
      );
    }
  }

  private send(body: AgentBody): Promise<void> {
    const stream = this.stream;
    if (stream === undefined) {
      if (body.case !== 'leaseLogBatch' && body.case !== 'heartbeat' && body.case !== 'mcpFrame')
        this.enqueue(body);
      return Promise.resolve();
    }
    return stream.send(this.message(body));
  }

  private message(body: AgentBody): AgentMessageInit {
    return { agentId: this.options.agentId, messageId: randomUUID(), body };
  }

  private every(ms: number, fn: () => void): TimerHandle {
    let handle: TimerHandle;
    let cancelled = false;
    const tick = (): void => {
      if (cancelled) return;
      fn();
      handle = this.deps.clock.setTimer(ms, tick);
    };
    handle = this.deps.clock.setTimer(ms, tick);
    return {
      cancel: () => {
        cancelled = true;
        handle.cancel();
      },
    };
  }

  private emit(event: LinkEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

export type LinkEvent =
  | { type: 'connected' }
  | { type: 'disconnected' }
  | { type: 'command'; command: string; outcome: CommandOutcome };

function missing(field: string): CommandOutcome {
  return { ok: false, errorCode: 'bad_parameter', message: `${field}: is required` };
}
