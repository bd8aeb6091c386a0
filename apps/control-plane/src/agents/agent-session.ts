// One agent's open Connect stream on this replica: the outgoing message queue and the commands
// waiting for their CommandAck.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { AppError } from '@tmcp/errors';
import { AsyncQueue, type ControlMessageSchema } from '@tmcp/proto';
import type { ControlBody } from '../leases/lease-commands.js';

export type ControlMessageInit = MessageInitShape<typeof ControlMessageSchema>;

export interface CommandResult {
  readonly ok: boolean;
  readonly errorCode: string;
  readonly message: string;
}

interface PendingAck {
  resolve(result: CommandResult): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

export class AgentSession {
  readonly outgoing = new AsyncQueue<ControlMessageInit>();
  private readonly pending = new Map<string, PendingAck>();
  private ended = false;

  constructor(
    readonly agentId: string,
    readonly sessionId: string,
  ) {}

  get isClosed(): boolean {
    return this.ended;
  }

  /** Writes a message that needs no answer (Welcome, reconcile stops). */
  write(body: ControlBody, commandId = ''): void {
    if (this.ended) return;
    this.outgoing.push({ commandId, body });
  }

  /** Writes a command and resolves with the agent's CommandAck. */
  command(body: ControlBody, commandId: string, timeoutMs: number): Promise<CommandResult> {
    if (this.ended)
      return Promise.reject(new AppError('unavailable', 'the agent stream is closed'));
    return new Promise<CommandResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(commandId);
        reject(
          new AppError(
            'timeout',
            `the agent did not acknowledge command ${commandId} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(commandId, { resolve, reject, timer });
      this.outgoing.push({ commandId, body });
    });
  }

  /** Matches an ack to its command; false when nothing waited for it (late or unsolicited). */
  acknowledge(commandId: string, result: CommandResult): boolean {
    const waiting = this.pending.get(commandId);
    if (waiting === undefined) return false;
    this.pending.delete(commandId);
    clearTimeout(waiting.timer);
    waiting.resolve(result);
    return true;
  }

  /** Ends the stream: with `error`, the agent receives it as the call's status. */
  close(error?: AppError): void {
    if (this.ended) return;
    this.ended = true;
    for (const [commandId, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(
        new AppError(
          'unavailable',
          `the agent stream closed before command ${commandId} was acknowledged`,
        ),
      );
    }
    this.pending.clear();
    if (error === undefined) this.outgoing.close();
    else this.outgoing.fail(error);
  }
}
