// The contract between the MCP gateway and the domains that offer tools. A domain module declares
// its tools with `defineTool` in an injectable marked `@McpToolSource()`; the gateway discovers
// every such provider at start (Nest DiscoveryService) and does the rest
// for every tool alike: authentication, policy (capability, reason/ticket, lease constraints),
// the operations row, input validation, redaction, size caps, progress, error mapping.
// A tool's `run` is a thin edge: map input to one service call and map the result back.
//
// Conventions the gateway relies on:
// - `input` is a zod object (optionally refined); its property names are the canonical argument
//   names (duplicate-key stripping keeps them, zod strips unknown ones).
// - Every tool accepts `reason` and `ticket`: the catalogue adds `reasonArguments`
//   (./tool-arguments.ts) to each input that does not spread them itself (mutating tools do, to
//   read them typed). They are optional in the schema; the gateway reads them from the parsed
//   input and hands them to the policy engine (which requires them), the operations row and
//   ToolContext.
// - Failures are thrown as AppError (the message is shown to the model); anything else becomes
//   `internal` with a generic message. The gateway records, redacts and maps them.
import { SetMetadata } from '@nestjs/common';
import type { Actor, Capability, LeaseRequest, PolicyDecision, ToolName } from '@tmcp/policy';
import type { z } from 'zod';

/** What a running tool knows about its call. */
export interface ToolContext {
  readonly actor: ToolActor;
  /** The operations row of this call (operations.op_id). */
  readonly opId: string;
  /** JSON-RPC request id and MCP session id, when the transport has them. */
  readonly requestId: string | undefined;
  readonly sessionId: string | undefined;
  /** The policy decision that allowed the call, with the effective constraints. */
  readonly decision: PolicyDecision;
  readonly reason: string | undefined;
  readonly ticket: string | undefined;
  /** Aborted when the client cancels or disconnects. Pass it on to long waits. */
  readonly signal: AbortSignal;
  /** Sends an MCP progress notification when the client asked for progress; no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /**
   * Records a Teleport command behind this call on the operations row (exit code, stdout,
   * stderr); a call that runs several records each, and the row keeps them all (CommandLog).
   * The gateway redacts and truncates; tools pass what the runner returned.
   */
  recordCommand(command: CommandRecord): void;
}

/** The Teleport command behind a call, as recorded on its operations row. */
export interface CommandRecord {
  /** What ran, for the row (`tctl get nodes --format=json`); validated argv, no secrets. */
  command?: string;
  exitCode: number | null;
  stdout?: string;
  stderr?: string;
}

/**
 * The authenticated caller, as the policy engine sees it plus display data. `id` is the actor
 * recorded in operations and leases: the principal name for API keys, `oidc:<subject>` for
 * OIDC tokens (principal names cannot contain ':', so the two never collide).
 */
export interface ToolActor extends Actor {
  /** Display name (principal name, or the OIDC email/preferred_username/subject). */
  readonly name: string;
  /** How the caller authenticated. */
  readonly via: 'api_key' | 'oidc';
}

/** A tool's answer: a short human/LLM-readable text and the structured result. */
export interface ToolResult<T> {
  readonly text: string;
  readonly structured: T;
  /**
   * The tool ran and reports a failure in `text` (a federated server's `isError` result): sent as
   * a tool error and recorded `failed`. Own failures of tmcp tools are thrown as AppError instead.
   */
  readonly isError?: boolean;
}

export interface ToolAnnotations {
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

export interface ToolDefinition<
  I extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>,
  O extends z.ZodType = z.ZodType,
> {
  /** The tool name (DESIGN §3.2); part of the public interface. */
  readonly name: ToolName;
  /** The capability the policy engine checks; TOOL_CAPABILITIES[name] for catalogue tools. */
  readonly capability: Capability;
  readonly title: string;
  /** Written for the model: what it does, when to use it, what it needs. */
  readonly description: string;
  /** zod object schema of the arguments (published as JSON Schema, validated on every call). */
  readonly input: I;
  /** zod schema of `structured` (published as outputSchema). */
  readonly output: O;
  readonly annotations?: ToolAnnotations;
  /**
   * When present, the tool starts or extends a lease: the gateway passes this to the policy
   * engine so TTL, kind, target (name and labels) and concurrency constraints apply before `run`.
   */
  leaseRequest?(input: z.output<I>): LeaseRequest | Promise<LeaseRequest>;
  run(input: z.output<I>, ctx: ToolContext): Promise<ToolResult<z.output<O>>>;
}

/** Declares a tool with its input type inferred from its schema. */
export function defineTool<I extends z.ZodType<Record<string, unknown>>, O extends z.ZodType>(
  tool: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  return tool;
}

/** Implemented by each domain provider that offers tools; collected by the gateway. */
export interface McpToolProvider {
  tools(): readonly ToolDefinition[];
}

export const MCP_TOOL_SOURCE = 'tmcp:mcp-tool-source';

/**
 * Marks an injectable (which must implement McpToolProvider) as a source of MCP tools. The
 * gateway finds every marked provider of the application at start.
 */
export const McpToolSource = (): ClassDecorator => SetMetadata(MCP_TOOL_SOURCE, true);
