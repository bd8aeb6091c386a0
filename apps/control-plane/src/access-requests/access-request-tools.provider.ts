// MCP tools for Teleport access requests (tsh request …). Thin edges over AccessRequestsService.
import { Injectable } from '@nestjs/common';
import type { AccessRequest } from '@tmcp/teleport';
import { z } from 'zod';
import { clusterArgument, reasonArguments } from '../mcp/tool-arguments.js';
import {
  defineTool,
  McpToolSource,
  type McpToolProvider,
  type ToolDefinition,
} from '../mcp/tool-definition.js';
import { AccessRequestsService } from './access-requests.service.js';

const STATES = ['NONE', 'PENDING', 'APPROVED', 'DENIED', 'PROMOTED', 'UNKNOWN'] as const;

export const accessRequestSchema = z.object({
  id: z.string(),
  user: z.string(),
  roles: z.array(z.string()),
  state: z.enum(STATES),
  created: z.string().optional(),
  expires: z.string().optional(),
  requestReason: z.string().optional(),
  resolveReason: z.string().optional(),
  reviews: z.array(
    z.object({
      author: z.string(),
      proposedState: z.enum(STATES),
      reason: z.string().optional(),
      created: z.string().optional(),
      roles: z.array(z.string()),
    }),
  ),
  suggestedReviewers: z.array(z.string()),
  resourceIds: z.array(
    z.object({
      cluster: z.string(),
      kind: z.string(),
      name: z.string(),
      subResource: z.string().optional(),
    }),
  ),
  thresholds: z.array(
    z.object({ name: z.string().optional(), approve: z.number(), deny: z.number() }),
  ),
  maxDuration: z.string().optional(),
  sessionTtl: z.string().optional(),
  assumeStartTime: z.string().optional(),
  systemAnnotations: z.record(z.string(), z.array(z.string())),
});

const requestId = z.string().min(1).max(64).describe('Access request ID (a UUID)');

function summary(r: AccessRequest): string {
  const what = [...r.roles, ...r.resourceIds.map((x) => `/${x.cluster}/${x.kind}/${x.name}`)].join(
    ', ',
  );
  return `${r.id} ${r.state} by ${r.user} for ${what}${r.requestReason ? ` — "${r.requestReason}"` : ''}`;
}

@Injectable()
@McpToolSource()
export class AccessRequestToolsProvider implements McpToolProvider {
  constructor(private readonly requests: AccessRequestsService) {}

  tools(): readonly ToolDefinition[] {
    const s = this.requests;
    const cluster = (c: string | undefined) => (c === undefined ? {} : { cluster: c });
    return [
      defineTool({
        name: 'list_access_requests',
        capability: 'access_request.list',
        title: 'List access requests',
        description:
          "Lists Teleport access requests visible to the gateway's identity (its own and those it can review), newest first. Read-only.",
        input: z.object({
          ...clusterArgument,
          reviewable: z.boolean().optional().describe('Only requests this identity can review'),
          mine: z.boolean().optional().describe("Only this identity's own requests"),
        }),
        output: z.object({ requests: z.array(accessRequestSchema) }),
        annotations: { readOnlyHint: true, openWorldHint: true },
        run: async (input, ctx) => {
          const requests = await s.list({
            ...cluster(input.cluster),
            reviewable: input.reviewable === true,
            mine: input.mine === true,
            observe: (c) => ctx.recordCommand(c),
          });
          const text =
            requests.length === 0
              ? 'No access requests.'
              : [
                  `${requests.length} access request(s):`,
                  ...requests.map((r) => `- ${summary(r)}`),
                ].join('\n');
          return { text, structured: { requests } };
        },
      }),
      defineTool({
        name: 'show_access_request',
        capability: 'access_request.show',
        title: 'Show an access request',
        description: 'Shows one Teleport access request with its reviews. Read-only.',
        input: z.object({ ...clusterArgument, id: requestId }),
        output: accessRequestSchema,
        annotations: { readOnlyHint: true, openWorldHint: true },
        run: async (input, ctx) => {
          const r = await s.show({
            ...cluster(input.cluster),
            id: input.id,
            observe: (c) => ctx.recordCommand(c),
          });
          const reviews = r.reviews.map(
            (v) => `  ${v.proposedState} by ${v.author}${v.reason ? `: "${v.reason}"` : ''}`,
          );
          return { text: [summary(r), ...reviews].join('\n'), structured: r };
        },
      }),
      defineTool({
        name: 'create_access_request',
        capability: 'access_request.create',
        title: 'Create an access request',
        description:
          "Requests Teleport roles or resources (resource IDs /<cluster>/<kind>/<name>) for the gateway's identity, without waiting for approval. Needs a reason; a ticket is appended to the reason reviewers see.",
        input: z.object({
          ...clusterArgument,
          roles: z
            .array(z.string().min(1).max(253))
            .max(32)
            .optional()
            .describe('Roles to request'),
          resources: z
            .array(z.string().min(1).max(2048))
            .max(32)
            .optional()
            .describe('Resource IDs to request, e.g. /teleport.example.com/node/<uuid>'),
          suggested_reviewers: z.array(z.string().min(1).max(256)).max(16).optional(),
          ...reasonArguments,
        }),
        output: accessRequestSchema,
        annotations: {
          readOnlyHint: false,
          destructiveHint: false,
          idempotentHint: false,
          openWorldHint: true,
        },
        run: async (input, ctx) => {
          const r = await s.create({
            ...cluster(input.cluster),
            ...(input.roles ? { roles: input.roles } : {}),
            ...(input.resources ? { resources: input.resources } : {}),
            ...(input.suggested_reviewers ? { suggestedReviewers: input.suggested_reviewers } : {}),
            reason: input.reason,
            ...(input.ticket === undefined ? {} : { ticket: input.ticket }),
            observe: (c) => ctx.recordCommand(c),
          });
          return { text: `Created access request ${summary(r)}.`, structured: r };
        },
      }),
      defineTool({
        name: 'review_access_request',
        capability: 'access_request.review',
        title: 'Approve or deny an access request',
        description:
          "Submits a review (approve or deny) of a Teleport access request as the gateway's identity, with a reason.",
        input: z.object({
          ...clusterArgument,
          id: requestId,
          approve: z.boolean().describe('true to approve, false to deny'),
          ...reasonArguments,
        }),
        output: z.object({
          state: z.enum(STATES),
          effective: z.boolean(),
          request: accessRequestSchema,
        }),
        annotations: {
          readOnlyHint: false,
          destructiveHint: false,
          idempotentHint: false,
          openWorldHint: true,
        },
        run: async (input, ctx) => {
          const o = await s.review({
            ...cluster(input.cluster),
            id: input.id,
            approve: input.approve,
            reason: input.reason,
            observe: (c) => ctx.recordCommand(c),
          });
          const text = o.effective
            ? `Review submitted (${input.approve ? 'approve' : 'deny'}); request ${o.request.id} is now ${o.state}.`
            : `Review had no effect: request ${o.request.id} is already ${o.state}.`;
          return { text, structured: o };
        },
      }),
      defineTool({
        name: 'drop_access_request',
        capability: 'access_request.drop',
        title: 'Drop an access request',
        description:
          "Drops an access request from the gateway identity's active requests (tsh request drop <id>).",
        input: z.object({ ...clusterArgument, id: requestId, ...reasonArguments }),
        output: z.object({
          id: z.string(),
          dropped: z.boolean(),
          activeRequests: z.array(z.string()),
        }),
        annotations: {
          readOnlyHint: false,
          destructiveHint: true,
          idempotentHint: true,
          openWorldHint: true,
        },
        run: async (input, ctx) => {
          const o = await s.drop({
            ...cluster(input.cluster),
            id: input.id,
            observe: (c) => ctx.recordCommand(c),
          });
          const remaining =
            o.activeRequests.length === 0
              ? 'no requests remain active'
              : `still active: ${o.activeRequests.join(', ')}`;
          return {
            text: o.dropped
              ? `Dropped access request ${o.id} from the identity's active requests; ${remaining}.`
              : `Access request ${o.id} was not among the identity's active requests; nothing changed (${remaining}).`,
            structured: o,
          };
        },
      }),
    ];
  }
}
