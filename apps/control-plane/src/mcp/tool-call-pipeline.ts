// What every tools/call goes through, for every tool alike (DESIGN §3.1):
//   rate limit → capability check (unknown/forbidden tool: `denied` row, JSON-RPC -32003)
//   → zod arguments (invalid: `failed` row, JSON-RPC -32602 with the issues)
//   → full policy decision with reason/ticket/lease (refused: `denied` row, -32003)
//   → operations row `running` → run → redacted, size-capped result → row `succeeded`/`failed`.
// Refusals before a tool runs are JSON-RPC errors; failures of a tool that ran are tool results
// with isError (the model reads them). Rate-limited calls are not recorded as operations: the
// limit sheds load before any database work, and a row per refused call would turn a flood into
// as many writes; they are counted in tmcp_rate_limited_total and tmcp_tool_calls_total.
import { Inject, Injectable, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { ProtocolError, type Tool } from '@modelcontextprotocol/server';
import type { ServerConfig } from '@tmcp/config';
import { AppError, toAppError, toJsonRpcError } from '@tmcp/errors';
import {
  DEFAULT_ROLE_CONSTRAINTS,
  allowedCapabilities,
  capabilityOfTool,
  evaluate,
  rateLimitFor,
  type Capability,
  type PolicyDecision,
  type RoleResolver,
} from '@tmcp/policy';
import type { Counter, Histogram } from 'prom-client';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuthenticatedActor } from '../auth/authenticated-actor.js';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { LOGGER } from '../logging/logger.token.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { OperationsService, type BeginOperation } from '../operations/operations.service.js';
import { RoleResolverService } from '../roles/role-resolver.service.js';
import {
  DEFAULT_MCP_GATEWAY_OPTIONS,
  MCP_GATEWAY_OPTIONS,
  type McpGatewayOptions,
} from './mcp-gateway-options.js';
import {
  FEDERATED_TOOL_SOURCE,
  type FederatedTool,
  type FederatedToolSource,
} from './federated-tool-source.js';
import { CommandLog } from './command-log.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { ToolCatalogue } from './tool-catalogue.js';
import type { ToolContext, ToolDefinition } from './tool-definition.js';
import {
  capText,
  shapeToolError,
  shapeToolResult,
  type WireToolResult,
} from './tool-result-shaper.js';

export interface ToolCallRequest {
  name: string;
  arguments: Record<string, unknown> | undefined;
}

/** What the transport knows about the call. */
export interface ToolCallTransport {
  requestId: string | undefined;
  sessionId: string | undefined;
  signal: AbortSignal;
  /** Sends notifications/progress when the client asked for progress; no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
}

export type ToolCallOutcome = 'succeeded' | 'failed' | 'denied' | 'invalid' | 'rate_limited';

const MAX_TOOL_NAME_LENGTH = 128;
/** Metric label of every federated tool: their names are per lease, labels must stay bounded. */
export const FEDERATED_METRIC_TOOL = '(federated)';

/** A tool as the pipeline runs it: a catalogue tool, or a federated one adapted to the shape. */
type PipelineTool = Omit<ToolDefinition, 'name'> & {
  readonly name: string;
  /** For federated tools: the upstream name, the policy context's `tool`. */
  readonly upstreamTool?: string;
};

const federatedInput = z.record(z.string(), z.unknown());

@Injectable()
export class ToolCallPipeline implements OnApplicationShutdown {
  private readonly callsTotal: Counter<'tool' | 'outcome'>;
  private readonly callDuration: Histogram<'tool'>;
  private readonly denialsTotal: Counter<'tool'>;
  private readonly rateLimitedTotal: Counter;
  private readonly options: McpGatewayOptions;
  /** op_ids running on this replica: failed at once if the process shuts down under them. */
  readonly inFlight = new Set<string>();

  constructor(
    private readonly catalogue: ToolCatalogue,
    private readonly roles: RoleResolverService,
    private readonly operations: OperationsService,
    private readonly limiter: RedisRateLimiter,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
    @Optional() @Inject(MCP_GATEWAY_OPTIONS) options?: McpGatewayOptions,
    @Optional()
    @Inject(FEDERATED_TOOL_SOURCE)
    private readonly federated?: FederatedToolSource,
  ) {
    this.options = options ?? DEFAULT_MCP_GATEWAY_OPTIONS;
    this.callsTotal = metrics.counter({
      name: 'tmcp_tool_calls_total',
      help: 'MCP tool calls by tool and outcome (succeeded, failed, denied, invalid, rate_limited).',
      labelNames: ['tool', 'outcome'],
    });
    this.callDuration = metrics.histogram({
      name: 'tmcp_tool_call_duration_seconds',
      help: 'Duration of MCP tool calls that ran, in seconds, by tool.',
      labelNames: ['tool'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    });
    this.denialsTotal = metrics.counter({
      name: 'tmcp_policy_denials_total',
      help: 'MCP tool calls refused by the policy engine, by tool.',
      labelNames: ['tool'],
    });
    this.rateLimitedTotal = metrics.counter({
      name: 'tmcp_rate_limited_total',
      help: 'MCP tool calls refused by the per-actor rate limit.',
    });
  }

  /** Calls still running when the app stops (after the HTTP grace period) end `failed` now. */
  async onApplicationShutdown(): Promise<void> {
    const open = [...this.inFlight];
    if (open.length === 0) return;
    await this.record(() => this.operations.failInterrupted(open));
  }

  /** Tools the actor may see (capability allowed by some role, denied by none). */
  async visibleTools(actor: AuthenticatedActor): Promise<ToolDefinition[]> {
    const allowed = new Set<string>(allowedCapabilities(actor, await this.roles.resolver()));
    return this.catalogue.all().filter((t) => allowed.has(t.capability));
  }

  /**
   * The wire definitions of the federated tools the actor may call; none without a source or
   * without federation.call. Each is also filtered by the role's federated tool patterns.
   */
  async visibleFederatedTools(actor: AuthenticatedActor, signal?: AbortSignal): Promise<Tool[]> {
    if (this.federated === undefined) return [];
    const roles = await this.roles.resolver();
    if (!allowedCapabilities(actor, roles).includes('federation.call')) return [];
    try {
      return await this.federated.list(actor, roles, signal);
    } catch (error) {
      this.logger.warn({ err: error, actor: actor.id }, 'federated tools not listed');
      return [];
    }
  }

  /** Throws ProtocolError for refusals; returns the tool result (possibly isError) otherwise. */
  async call(
    actor: AuthenticatedActor,
    request: ToolCallRequest,
    transport: ToolCallTransport,
  ): Promise<WireToolResult> {
    const toolName = request.name.slice(0, MAX_TOOL_NAME_LENGTH);
    const staticTool = this.catalogue.get(toolName);
    const federatedName =
      staticTool === undefined &&
      this.federated !== undefined &&
      capabilityOfTool(toolName) === 'federation.call';
    const metricTool = staticTool?.name ?? (federatedName ? FEDERATED_METRIC_TOOL : '(unknown)');
    const roles = await this.roles.resolver();
    await this.enforceRateLimit(actor, roles, metricTool);
    const tool: PipelineTool | undefined =
      staticTool ??
      (federatedName && this.federated !== undefined
        ? asPipelineTool(await this.federated.resolve(actor, roles, toolName))
        : undefined);

    const args = request.arguments ?? {};
    const base: BeginOperation = {
      actor: actor.id,
      capability: tool?.capability ?? capabilityOfTool(toolName) ?? 'unknown',
      tool: toolName,
      inputs: args,
      requestId: transport.requestId,
      sessionId: transport.sessionId,
    };

    // 1. May this actor use this tool at all? Unknown tools get the same answer as forbidden
    //    ones, so listing is the only way to learn what exists.
    if (tool === undefined || !allowedCapabilities(actor, roles).includes(tool.capability)) {
      const decision =
        tool === undefined
          ? unknownToolDecision(toolName)
          : evaluate(actor, tool.capability, {}, roles);
      await this.refuse(base, decision, metricTool);
    }
    const known = tool!;

    // 2. Arguments.
    const parsed = known.input.safeParse(args);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.'),
        message: i.message,
      }));
      const error = AppError.badParameter(
        issues[0]?.path === '' || issues[0] === undefined ? 'arguments' : issues[0].path,
        `invalid arguments for ${known.name}: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`,
        { details: { issues } },
      );
      await this.record(() => this.operations.reject(base, error));
      this.callsTotal.inc({ tool: metricTool, outcome: 'invalid' });
      throw protocolError(error);
    }
    const input = parsed.data;
    const reason = stringField(input, 'reason');
    const ticket = stringField(input, 'ticket');

    // 3. The full decision: reason, ticket, lease constraints.
    const lease = await this.leaseRequestOf(known, input, base, metricTool);
    const decision = evaluate(
      actor,
      known.capability,
      {
        ...(reason === undefined ? {} : { reason }),
        ...(ticket === undefined ? {} : { ticket }),
        ...(lease === undefined ? {} : { lease }),
        ...(known.upstreamTool === undefined ? {} : { tool: known.upstreamTool }),
      },
      roles,
    );
    const withContext = { ...base, inputs: input, reason, ticket, decision };
    if (!decision.allow) await this.refuse(withContext, decision, metricTool);

    // 4. Run, recorded.
    const opId = await this.operations.begin(withContext);
    this.inFlight.add(opId);
    const started = performance.now();
    const logger = this.logger.child({ op_id: opId, tool: known.name, actor: actor.id });
    const commands = new CommandLog();
    const ctx: ToolContext = {
      actor,
      opId,
      requestId: transport.requestId,
      sessionId: transport.sessionId,
      decision,
      reason,
      ticket,
      signal: transport.signal,
      progress: (progress, total, message) => transport.progress(progress, total, message),
      recordCommand: (c) => commands.add(c),
    };
    try {
      let result: WireToolResult;
      let outcome: 'succeeded' | 'failed';
      let failure: AppError | undefined;
      try {
        const out = await known.run(input, ctx);
        result = shapeToolResult(out, this.options.maxResultBytes);
        outcome = result.isError === true ? 'failed' : 'succeeded';
        if (out.isError === true && result.structuredContent?.error === undefined) {
          failure = new AppError('teleport_error', capText(redactedText(result), 500));
        } else if (result.isError === true) {
          failure = new AppError('limit_exceeded', 'result too large');
        }
      } catch (error) {
        failure =
          transport.signal.aborted && !(error instanceof AppError)
            ? new AppError('cancelled', 'the client cancelled the call', { cause: error })
            : toAppError(error);
        if (failure.code === 'internal') logger.error({ err: error }, 'tool failed unexpectedly');
        result = shapeToolError(failure);
        outcome = 'failed';
      }
      const durationMs = Math.round(performance.now() - started);
      const command = commands.summary();
      await this.record(() =>
        this.operations.complete(opId, {
          status: outcome,
          durationMs,
          exitCode: command?.exitCode ?? null,
          stdout: command?.stdout,
          stderr: command?.stderr,
          error:
            failure === undefined ? undefined : { code: failure.code, message: failure.message },
        }),
      );
      this.callsTotal.inc({ tool: metricTool, outcome });
      this.callDuration.observe({ tool: metricTool }, durationMs / 1000);
      logger.info(
        {
          outcome,
          duration_ms: durationMs,
          ...(failure === undefined ? {} : { error_code: failure.code }),
        },
        'tool call',
      );
      return result;
    } finally {
      this.inFlight.delete(opId);
    }
  }

  private async enforceRateLimit(
    actor: AuthenticatedActor,
    roles: RoleResolver,
    metricTool: string,
  ): Promise<void> {
    const cfg = this.config.rateLimit;
    if (!cfg.enabled) return;
    // The roles' own limits; a role without one (and an actor without a known role) gets the
    // server's rate_limit.per_actor_per_minute / burst through the resolver.
    const limit = rateLimitFor(actor, roles);
    let decision;
    try {
      decision = await this.limiter.take(actor.id, limit);
    } catch (error) {
      // Redis away: serve rather than refuse everyone; the outage is visible in /readyz.
      this.logger.warn({ err: error }, 'rate limiter unavailable; call not limited');
      return;
    }
    if (decision.allowed) return;
    this.rateLimitedTotal.inc();
    this.callsTotal.inc({ tool: metricTool, outcome: 'rate_limited' });
    throw protocolError(
      new AppError(
        'rate_limited',
        `rate limit exceeded (${limit.perMinute} calls per minute, burst ${limit.burst}); retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
        { retryAfterMs: decision.retryAfterMs },
      ),
    );
  }

  /**
   * The lease a call asks for, for the policy decision. Its values are validated on the way: a
   * bad one is refused like a schema failure (-32602 naming the field), before anything runs.
   */
  private async leaseRequestOf(
    tool: PipelineTool,
    input: Record<string, unknown>,
    op: BeginOperation,
    metricTool: string,
  ): Promise<Awaited<ReturnType<NonNullable<PipelineTool['leaseRequest']>>> | undefined> {
    try {
      return await tool.leaseRequest?.(input);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'bad_parameter') throw error;
      await this.record(() => this.operations.reject(op, error));
      this.callsTotal.inc({ tool: metricTool, outcome: 'invalid' });
      throw protocolError(error);
    }
  }

  private async refuse(
    op: BeginOperation,
    decision: PolicyDecision,
    metricTool: string,
  ): Promise<never> {
    const error = AppError.accessDenied(`access denied: ${decision.reason}`, {
      details: { rule: decision.rule },
    });
    await this.record(() => this.operations.deny({ ...op, decision, error }));
    this.callsTotal.inc({ tool: metricTool, outcome: 'denied' });
    this.denialsTotal.inc({ tool: metricTool });
    throw protocolError(error);
  }

  /** Operations writes must not turn an answer into a crash; a lost write is logged. */
  private async record(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.logger.error({ err: error }, 'could not write the operations row');
    }
  }
}

/** A federated tool in the pipeline's shape: arguments pass through, the upstream validates them. */
function asPipelineTool(tool: FederatedTool | undefined): PipelineTool | undefined {
  if (tool === undefined) return undefined;
  const capability: Capability = 'federation.call';
  return {
    name: tool.name,
    upstreamTool: tool.upstreamTool,
    capability,
    title: tool.name,
    description: tool.name,
    input: federatedInput,
    output: z.unknown(),
    run: (input, ctx) => tool.run(input, ctx),
  };
}

function redactedText(result: WireToolResult): string {
  return result.content.map((c) => c.text).join('\n');
}

function protocolError(error: AppError): ProtocolError {
  const rpc = toJsonRpcError(error);
  return new ProtocolError(rpc.code, rpc.message, rpc.data);
}

function unknownToolDecision(name: string): PolicyDecision {
  return {
    allow: false,
    rule: 'unknown tool',
    reason: `Denied: no tool ${JSON.stringify(name)} is available to you. List the tools to see what you may call.`,
    constraints: {
      maxTtlSeconds: 0,
      maxConcurrentLeases: 0,
      allowedLeaseKinds: [],
      allowedTargets: [],
      federatedTools: { allow: [], deny: [] },
      rateLimit: { ...DEFAULT_ROLE_CONSTRAINTS.rateLimit },
      leaseScope: 'own',
    },
  };
}

function stringField(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
