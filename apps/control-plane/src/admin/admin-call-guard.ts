// The common edge of every admin RPC: authenticate, authorize with the policy engine (the
// reason and ticket come from the x-tmcp-reason / x-tmcp-ticket metadata, percent-encoded), and
// record the call as an operation — denied, or running then succeeded/failed.
import { Inject, Injectable } from '@nestjs/common';
import { AppError, toAppError } from '@tmcp/errors';
import { evaluate, type Capability, type PolicyDecision } from '@tmcp/policy';
import type { GrpcCallContext } from '@tmcp/proto';
import type { Logger } from 'pino';
import { CLOCK, type Clock } from '../common/clock.js';
import { LOGGER } from '../logging/logger.token.js';
import { OperationsService } from '../operations/operations.service.js';
import { RoleResolverService } from '../roles/role-resolver.service.js';
import { AdminCallerAuthenticator, type AdminCaller } from './admin-caller-authenticator.js';

export const REASON_KEY = 'x-tmcp-reason';
export const TICKET_KEY = 'x-tmcp-ticket';

export interface AdminCallSpec {
  /** The capability the RPC needs (packages/policy capabilities.ts, admin.*). */
  capability: Capability;
  /** The RPC, recorded as the operation's tool (for example `admin.ListPrincipals`). */
  tool: string;
  /** The request as JSON, recorded (redacted) with the operation. */
  inputs: Record<string, unknown>;
}

export interface AuthorizedCall {
  caller: AdminCaller;
  decision: PolicyDecision;
  reason: string | undefined;
  ticket: string | undefined;
}

@Injectable()
export class AdminCallGuard {
  constructor(
    private readonly authenticator: AdminCallerAuthenticator,
    private readonly roles: RoleResolverService,
    private readonly operations: OperationsService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Runs a unary call's work once it is authorized, recording its outcome. */
  async run<T>(
    ctx: GrpcCallContext,
    spec: AdminCallSpec,
    work: (call: AuthorizedCall) => Promise<T>,
  ): Promise<T> {
    const call = await this.authorize(ctx, spec);
    const opId = await this.operations.begin(this.operationOf(call, spec));
    try {
      const result = await work(call);
      await this.complete(opId, undefined);
      return result;
    } catch (error) {
      await this.complete(opId, error);
      throw error;
    }
  }

  /** Runs a streaming call: authorized before the first message, recorded when it ends. */
  async *stream<T>(
    ctx: GrpcCallContext,
    spec: AdminCallSpec,
    work: (call: AuthorizedCall) => AsyncIterable<T>,
  ): AsyncGenerator<T> {
    const call = await this.authorize(ctx, spec);
    const opId = await this.operations.begin(this.operationOf(call, spec));
    let failure: unknown;
    try {
      yield* work(call);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      // A client that cancels a watch ends it normally: only real failures are failures.
      await this.complete(opId, failure);
    }
  }

  private async authorize(ctx: GrpcCallContext, spec: AdminCallSpec): Promise<AuthorizedCall> {
    const caller = await this.authenticator.authenticate(ctx);
    const reason = metadataText(ctx, REASON_KEY);
    const ticket = metadataText(ctx, TICKET_KEY);
    const resolver = await this.roles.resolver();
    const decision = evaluate(
      { id: caller.name, roles: [caller.role], kind: caller.kind },
      spec.capability,
      {
        now: this.clock.now(),
        ...(reason === undefined ? {} : { reason }),
        ...(ticket === undefined ? {} : { ticket }),
      },
      resolver,
    );
    const call: AuthorizedCall = { caller, decision, reason, ticket };
    if (!decision.allow) {
      const error = AppError.accessDenied(withCliHint(decision));
      await this.operations
        .deny({
          ...this.operationOf(call, spec),
          error: { code: error.code, message: error.message },
        })
        .catch((err: unknown) =>
          this.logger.error({ err, tool: spec.tool }, 'could not record a denied admin call'),
        );
      throw error;
    }
    return call;
  }

  private operationOf(
    call: AuthorizedCall,
    spec: AdminCallSpec,
  ): Parameters<OperationsService['begin']>[0] {
    return {
      actor: call.caller.name,
      capability: spec.capability,
      tool: spec.tool,
      inputs: spec.inputs,
      reason: call.reason,
      ticket: call.ticket,
      decision: call.decision,
    };
  }

  private async complete(opId: string, error: unknown): Promise<void> {
    try {
      if (error === undefined) {
        await this.operations.complete(opId, { status: 'succeeded' });
      } else {
        const appError = toAppError(error);
        await this.operations.complete(opId, {
          status: 'failed',
          error: { code: appError.code, message: appError.message },
        });
      }
    } catch (err) {
      // The call's own outcome matters more to the caller; the orphan sweep ends the row.
      this.logger.error({ err, op_id: opId }, 'could not complete the operation of an admin call');
    }
  }
}

/** The decoded text of a reason/ticket header; undefined when absent or blank. */
function metadataText(ctx: GrpcCallContext, key: string): string | undefined {
  const raw = ctx.metadata.get(key)[0];
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Policy denials name the requirement; an admin at a terminal also needs the flag. */
function withCliHint(decision: PolicyDecision): string {
  if (decision.rule === 'requirement: reason') return `${decision.reason} (tmcpctl: --reason "…")`;
  if (decision.rule === 'requirement: ticket') return `${decision.reason} (tmcpctl: --ticket …)`;
  return decision.reason;
}
