// The lease MCP tools (DESIGN §3.2): thin edges over LeaseService. The gateway has already
// applied policy (capability, reason/ticket, and for start_proxy the lease constraints through
// leaseRequest(), with the target's labels); the per-actor cap and ownership are enforced by the
// service.
import { Injectable } from '@nestjs/common';
import { validateListenAddress } from '@tmcp/teleport';
import { z } from 'zod';
import { LEASE_KINDS } from '../database/entities/index.js';
import { clusterArgument, reasonArguments } from '../mcp/tool-arguments.js';
import {
  defineTool,
  McpToolSource,
  type McpToolProvider,
  type ToolContext,
  type ToolDefinition,
} from '../mcp/tool-definition.js';
import { LeasePolicyTargets } from './lease-policy-targets.js';
import { connectHint } from './lease-target.js';
import type { LeaseRecord } from './lease.repository.js';
import { LeaseService, MAX_LOG_TAIL, type LeaseCaller } from './lease.service.js';

export const leaseOutput = z.object({
  lease_id: z.string(),
  kind: z.enum(LEASE_KINDS),
  status: z.string(),
  listen_addr: z.string().nullable(),
  agent_id: z.string().nullable(),
  expires_at: z.string().describe('ISO 8601'),
  pid: z.number().nullable(),
  generation: z.number(),
  actor: z.string(),
  cluster: z.string(),
  target: z.record(z.string(), z.union([z.string(), z.number()])),
  created_at: z.string(),
  ended_at: z.string().nullable(),
  error: z.string().nullable(),
});
export type LeaseOutput = z.infer<typeof leaseOutput>;

const leaseId = z.string().uuid().describe('The lease id returned by start_proxy');
const ttlSeconds = z.number().int().positive().describe('Lifetime in seconds from now');

const targetArgument = z
  .record(z.string(), z.union([z.string(), z.number()]))
  .optional()
  .describe(
    'What to connect to, by kind: proxy_db {db, db_user?, db_name?}; proxy_app {app, port?}; proxy_kube {kube_cluster}; proxy_ssh {node, login?}; proxy_mcp {app}; mcp_db {db, db_user, db_name}; vnet {}',
  );

export function leaseOut(lease: LeaseRecord): LeaseOutput {
  return {
    lease_id: lease.leaseId,
    kind: lease.kind,
    status: lease.status,
    listen_addr: lease.status === 'active' || lease.status === 'stopping' ? lease.listenAddr : null,
    agent_id: lease.agentId,
    expires_at: lease.expiresAt.toISOString(),
    pid: lease.pid,
    generation: lease.generation,
    actor: lease.actor,
    cluster: lease.cluster,
    target: lease.target,
    created_at: lease.createdAt.toISOString(),
    ended_at: lease.endedAt?.toISOString() ?? null,
    error: lease.error,
  };
}

function describeLease(lease: LeaseRecord): string {
  const base = `Lease ${lease.leaseId} (${lease.kind}) is ${lease.status}`;
  switch (lease.status) {
    case 'active':
      return `${base} on ${lease.listenAddr ?? '?'} until ${lease.expiresAt.toISOString()}. ${connectHint(lease.kind, lease.target, lease.listenAddr)}`.trim();
    case 'pending':
    case 'starting':
      return `${base}: the agent has not reported it up yet. Check again with get_proxy_status.`;
    case 'stopping':
      return `${base}: the agent is terminating the process.`;
    case 'stopped':
    case 'expired':
      return `${base}.`;
    case 'failed':
      return `${base}: ${lease.error ?? 'no reason recorded'}.`;
  }
}

function callerOf(ctx: ToolContext): LeaseCaller {
  return { actor: ctx.actor.id, leaseScope: ctx.decision.constraints.leaseScope };
}

@Injectable()
@McpToolSource()
export class LeaseTools implements McpToolProvider {
  constructor(
    private readonly leases: LeaseService,
    private readonly targets: LeasePolicyTargets,
  ) {}

  tools(): readonly ToolDefinition[] {
    const { leases, targets } = this;
    return [
      defineTool({
        name: 'start_proxy',
        capability: 'proxy.start',
        title: 'Start a proxy lease',
        description:
          'Starts a long-running `tsh proxy …` / `tsh mcp …` / VNet process on an edge agent for a limited time (a lease) and waits until it listens. Returns the local address to connect to. Stop it with stop_proxy when done; it ends by itself at expires_at.',
        input: z.object({
          kind: z
            .enum(LEASE_KINDS)
            .describe('proxy_db, proxy_app, proxy_kube, proxy_ssh, proxy_mcp, mcp_db or vnet'),
          target: targetArgument,
          listen_addr: z
            .string()
            .max(300)
            .optional()
            .describe('Local host:port on the agent (default: a free loopback port)'),
          ttl_seconds: ttlSeconds
            .optional()
            .describe('Lifetime in seconds (default and maximum set by policy)'),
          agent: z
            .string()
            .min(1)
            .max(253)
            .optional()
            .describe('Edge agent id or name (default: the least busy online agent)'),
          ...clusterArgument,
          ...reasonArguments,
        }),
        output: leaseOutput,
        annotations: {
          readOnlyHint: false,
          destructiveHint: false,
          idempotentHint: false,
          openWorldHint: true,
        },
        leaseRequest: async (input) => {
          // Every value is validated before anything runs (the label lookup runs tctl): a bad
          // target or address is a bad_parameter naming its field, never a policy refusal.
          if (input.listen_addr !== undefined && input.listen_addr !== '') {
            validateListenAddress(input.listen_addr, 'listen_addr');
          }
          const target = await targets.resolve(input.kind, input.target, input.cluster);
          return {
            kind: input.kind,
            ...(target === undefined ? {} : { target }),
            ...(input.ttl_seconds === undefined ? {} : { ttlSeconds: input.ttl_seconds }),
          };
        },
        run: async (input, ctx) => {
          const constraints = ctx.decision.constraints;
          let step = 0;
          const lease = await leases.start(
            {
              actor: ctx.actor.id,
              kind: input.kind,
              target: input.target ?? {},
              listenAddr: input.listen_addr,
              ttlSeconds: input.ttl_seconds,
              agentId: input.agent,
              cluster: input.cluster,
              reason: ctx.reason,
              ticket: ctx.ticket,
              maxTtlSeconds: constraints.maxTtlSeconds,
              maxConcurrentLeases: constraints.maxConcurrentLeases,
            },
            {
              signal: ctx.signal,
              onProgress: (message) => {
                void ctx.progress(++step, undefined, message);
              },
            },
          );
          return { text: describeLease(lease), structured: leaseOut(lease) };
        },
      }),
      defineTool({
        name: 'get_proxy_status',
        capability: 'proxy.status',
        title: 'Show a lease',
        description: 'Shows the status, address, agent, process id and deadline of a lease.',
        input: z.object({ lease_id: leaseId }),
        output: leaseOutput,
        annotations: { readOnlyHint: true, openWorldHint: false },
        run: async (input, ctx) => {
          const lease = await leases.get(callerOf(ctx), input.lease_id);
          return { text: describeLease(lease), structured: leaseOut(lease) };
        },
      }),
      defineTool({
        name: 'get_proxy_logs',
        capability: 'proxy.logs',
        title: 'Read the output of a lease',
        description:
          "Returns the last lines of the lease process's output (stdout and stderr), oldest first.",
        input: z.object({
          lease_id: leaseId,
          tail: z
            .number()
            .int()
            .min(1)
            .max(MAX_LOG_TAIL)
            .default(200)
            .describe('How many of the last lines'),
        }),
        output: z.object({
          lease_id: z.string(),
          lines: z.array(
            z.object({ seq: z.number(), ts: z.string(), stream: z.string(), line: z.string() }),
          ),
        }),
        annotations: { readOnlyHint: true, openWorldHint: false },
        run: async (input, ctx) => {
          const lines = await leases.logs(callerOf(ctx), input.lease_id, input.tail);
          const text =
            lines.length === 0
              ? `Lease ${input.lease_id} has no output yet.`
              : lines.map((l) => `${l.ts.toISOString()} ${l.stream}: ${l.line}`).join('\n');
          return {
            text,
            structured: {
              lease_id: input.lease_id,
              lines: lines.map((l) => ({
                seq: l.seq,
                ts: l.ts.toISOString(),
                stream: l.stream,
                line: l.line,
              })),
            },
          };
        },
      }),
      defineTool({
        name: 'stop_proxy',
        capability: 'proxy.stop',
        title: 'Stop a lease',
        description:
          'Stops a lease: the agent terminates its process (SIGTERM, then SIGKILL after a grace period).',
        input: z.object({ lease_id: leaseId, ...reasonArguments }),
        output: leaseOutput,
        annotations: {
          readOnlyHint: false,
          destructiveHint: true,
          idempotentHint: true,
          openWorldHint: true,
        },
        run: async (input, ctx) => {
          const lease = await leases.stop(callerOf(ctx), input.lease_id);
          return { text: describeLease(lease), structured: leaseOut(lease) };
        },
      }),
      defineTool({
        name: 'extend_proxy',
        capability: 'proxy.extend',
        title: 'Extend a lease',
        description:
          'Sets an active lease to end ttl_seconds from now (within the maximum TTL of your role).',
        input: z.object({ lease_id: leaseId, ttl_seconds: ttlSeconds, ...reasonArguments }),
        output: leaseOutput,
        annotations: {
          readOnlyHint: false,
          destructiveHint: false,
          idempotentHint: false,
          openWorldHint: true,
        },
        run: async (input, ctx) => {
          const lease = await leases.extend(
            callerOf(ctx),
            input.lease_id,
            input.ttl_seconds,
            ctx.decision.constraints.maxTtlSeconds,
          );
          return { text: describeLease(lease), structured: leaseOut(lease) };
        },
      }),
      defineTool({
        name: 'list_proxies_leases',
        capability: 'proxy.list',
        title: 'List leases',
        description: 'Lists leases, newest first (yours only, unless your role may see all).',
        input: z.object({
          active_only: z
            .boolean()
            .default(true)
            .describe('Only pending, starting, active and stopping leases'),
        }),
        output: z.object({ leases: z.array(leaseOutput) }),
        annotations: { readOnlyHint: true, openWorldHint: false },
        run: async (input, ctx) => {
          const list = await leases.list(callerOf(ctx), { activeOnly: input.active_only });
          const text =
            list.length === 0
              ? input.active_only
                ? 'No active leases.'
                : 'No leases.'
              : list
                  .map(
                    (l) =>
                      `${l.leaseId} ${l.kind} ${l.status} ${l.listenAddr ?? '-'} until ${l.expiresAt.toISOString()}`,
                  )
                  .join('\n');
          return { text, structured: { leases: list.map(leaseOut) } };
        },
      }),
    ];
  }
}
