// MCP tools for Teleport MCP access administration. Thin edges over McpAdminService.
import { Injectable } from '@nestjs/common';
import type { TeleportApp } from '@tmcp/teleport';
import { z } from 'zod';
import { clusterArgument, reasonArguments } from '../mcp/tool-arguments.js';
import {
  defineTool,
  McpToolSource,
  type McpToolProvider,
  type ToolDefinition,
} from '../mcp/tool-definition.js';
import { McpAdminService } from './mcp-admin.service.js';
import { CLIENT_FORMATS } from './mcp-client-config.js';

const appSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  uri: z.string(),
  transport: z.enum(['stdio', 'sse', 'streamable-http']).optional(),
  command: z.string().optional(),
  args: z.array(z.string()),
  runAsHostUser: z.string().optional(),
});
type AppOut = z.infer<typeof appSchema>;

function appOut(a: TeleportApp): AppOut {
  return {
    name: a.name,
    ...(a.description === undefined ? {} : { description: a.description }),
    labels: a.labels,
    uri: a.uri,
    ...(a.mcpTransport === undefined ? {} : { transport: a.mcpTransport }),
    ...(a.mcp?.command === undefined ? {} : { command: a.mcp.command }),
    args: a.mcp?.args ?? [],
    ...(a.mcp?.runAsHostUser === undefined ? {} : { runAsHostUser: a.mcp.runAsHostUser }),
  };
}

const serverFields = {
  description: z.string().min(1).max(1024).optional(),
  labels: z
    .record(z.string().min(1).max(128), z.string().max(256))
    .optional()
    .describe('Resource labels (roles select MCP servers by them), e.g. {"env": "dev"}'),
  uri: z
    .string()
    .min(1)
    .max(2048)
    .optional()
    .describe(
      'mcp+stdio:// (default), mcp+http(s)://host/path (Streamable HTTP) or mcp+sse+http(s)://host/sse (SSE)',
    ),
  command: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .describe('stdio only: program to run on the app service host'),
  args: z
    .array(z.string().min(1).max(1024))
    .max(64)
    .optional()
    .describe('stdio only: its arguments'),
  run_as_host_user: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('stdio only: host user the program runs as (required for stdio)'),
  insecure_skip_verify: z
    .boolean()
    .optional()
    .describe('HTTP/SSE only: skip TLS verification of the upstream'),
};

const configOutput = z.object({
  format: z.enum(CLIENT_FORMATS),
  path: z.string(),
  config: z.record(z.string(), z.unknown()),
  notes: z.array(z.string()),
});

interface ServerFields {
  description?: string | undefined;
  labels?: Record<string, string> | undefined;
  uri?: string | undefined;
  command?: string | undefined;
  args?: string[] | undefined;
  run_as_host_user?: string | undefined;
  insecure_skip_verify?: boolean | undefined;
}

function specOf(input: ServerFields) {
  return {
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.labels === undefined ? {} : { labels: input.labels }),
    ...(input.uri === undefined ? {} : { uri: input.uri }),
    ...(input.command === undefined ? {} : { command: input.command }),
    ...(input.args === undefined ? {} : { args: input.args }),
    ...(input.run_as_host_user === undefined ? {} : { runAsHostUser: input.run_as_host_user }),
    ...(input.insecure_skip_verify === undefined
      ? {}
      : { insecureSkipVerify: input.insecure_skip_verify }),
  };
}

const describeApp = (a: AppOut): string =>
  `${a.name} (${a.transport ?? 'unknown'}${a.command ? `: ${[a.command, ...a.args].join(' ')} as ${a.runAsHostUser ?? '?'}` : `: ${a.uri}`})`;

const fence = (value: unknown): string => `\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\``;

@Injectable()
@McpToolSource()
export class McpAdminToolsProvider implements McpToolProvider {
  constructor(private readonly admin: McpAdminService) {}

  tools(): readonly ToolDefinition[] {
    const s = this.admin;
    const cluster = (c: string | undefined) => (c === undefined ? {} : { cluster: c });
    const name = z.string().min(1).max(253).describe('MCP server (Teleport app) name');
    const tshPath = z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[^\p{Cc}\p{Cf}]+$/u)
      .optional()
      .describe('Absolute path of tsh on the client machine (default: "tsh" from PATH)');
    return [
      defineTool({
        name: 'register_mcp_server',
        capability: 'mcp.register',
        title: 'Register an MCP server in Teleport',
        description:
          'Creates a Teleport app resource with spec.mcp (tctl create). stdio servers need command and run_as_host_user; HTTP/SSE servers need an mcp+http(s):// or mcp+sse+http(s):// uri. Fails if an app with that name exists (use update_mcp_server).',
        input: z.object({ ...clusterArgument, name, ...serverFields, ...reasonArguments }),
        output: appSchema,
        annotations: {
          readOnlyHint: false,
          destructiveHint: false,
          idempotentHint: false,
          openWorldHint: true,
        },
        run: async (input, ctx) => {
          const app = appOut(
            await s.register({
              ...cluster(input.cluster),
              spec: { name: input.name, ...specOf(input) },
              observe: (c) => ctx.recordCommand(c),
            }),
          );
          return {
            text: `Registered MCP server ${describeApp(app)}. Roles select it with app_labels; tools are granted with mcp.tools.`,
            structured: app,
          };
        },
      }),
      defineTool({
        name: 'update_mcp_server',
        capability: 'mcp.update',
        title: 'Update an MCP server in Teleport',
        description:
          'Changes the given fields of an existing MCP server app (others are kept; tctl create -f). Only MCP apps can be changed.',
        input: z.object({ ...clusterArgument, name, ...serverFields, ...reasonArguments }),
        output: appSchema,
        annotations: {
          readOnlyHint: false,
          destructiveHint: false,
          idempotentHint: true,
          openWorldHint: true,
        },
        run: async (input, ctx) => {
          const app = appOut(
            await s.update({
              ...cluster(input.cluster),
              patch: { name: input.name, ...specOf(input) },
              observe: (c) => ctx.recordCommand(c),
            }),
          );
          return { text: `Updated MCP server ${describeApp(app)}.`, structured: app };
        },
      }),
      defineTool({
        name: 'unregister_mcp_server',
        capability: 'mcp.unregister',
        title: 'Unregister an MCP server',
        description:
          'Deletes an MCP server app from Teleport (tctl rm app/<name>). Only MCP apps can be removed.',
        input: z.object({ ...clusterArgument, name, ...reasonArguments }),
        output: z.object({ name: z.string(), removed: z.boolean() }),
        annotations: {
          readOnlyHint: false,
          destructiveHint: true,
          idempotentHint: true,
          openWorldHint: true,
        },
        run: async (input, ctx) => {
          const o = await s.unregister({
            ...cluster(input.cluster),
            name: input.name,
            observe: (c) => ctx.recordCommand(c),
          });
          return {
            text: `Unregistered MCP server ${o.name}.`,
            structured: { name: o.name, removed: true },
          };
        },
      }),
      defineTool({
        name: 'set_user_mcp_tools',
        capability: 'mcp.set_user_tools',
        title: "Set a user's MCP tools trait",
        description:
          'Replaces the mcp_tools trait of a Teleport user (tctl users update --set-mcp-tools). Roles that allow {{internal.mcp_tools}} (such as the preset access role) then allow these tools. Entries: tool names, globs (read_*), or ^regex$. An empty list clears the trait.',
        input: z.object({
          ...clusterArgument,
          user: z.string().min(1).max(256).describe('Teleport user name'),
          tools: z
            .array(z.string().min(1).max(256))
            .max(64)
            .describe('Tool patterns, e.g. ["read_*", "^search_[a-z]+$"]'),
          ...reasonArguments,
        }),
        output: z.object({
          user: z.string(),
          mcpTools: z.array(z.string()),
          roles: z.array(z.string()),
        }),
        annotations: {
          readOnlyHint: false,
          destructiveHint: false,
          idempotentHint: true,
          openWorldHint: true,
        },
        run: async (input, ctx) => {
          const u = await s.setUserMcpTools({
            ...cluster(input.cluster),
            user: input.user,
            tools: input.tools,
            observe: (c) => ctx.recordCommand(c),
          });
          return {
            text: `User ${u.name} now has mcp_tools ${JSON.stringify(u.mcpTools)} (effective through roles that allow {{internal.mcp_tools}}: ${u.roles.join(', ')}). New certificates pick it up at the next login.`,
            structured: { user: u.name, mcpTools: u.mcpTools, roles: u.roles },
          };
        },
      }),
      defineTool({
        name: 'get_mcp_client_config',
        capability: 'mcp.client_config',
        title: 'MCP client configuration',
        description:
          'Renders a client configuration for Claude Desktop, Cursor or VS Code. target "teleport": entries that run `tsh mcp connect <server>` (one server, or every MCP server visible); target "gateway": this gateway\'s MCP endpoint with an API key placeholder. Read-only.',
        input: z.object({
          ...clusterArgument,
          format: z.enum(CLIENT_FORMATS).describe('claude (Claude Desktop), cursor, vscode'),
          target: z
            .enum(['teleport', 'gateway'])
            .describe('teleport: tsh mcp connect per server; gateway: this tmcp gateway'),
          server: name
            .optional()
            .describe('target teleport: one MCP server (default: all visible)'),
          tsh_path: tshPath,
        }),
        output: configOutput.extend({ servers: z.array(z.string()) }),
        annotations: { readOnlyHint: true, openWorldHint: true },
        run: async (input, ctx) => {
          const r = await s.clientConfig({
            ...cluster(input.cluster),
            format: input.format,
            target: input.target,
            ...(input.server === undefined ? {} : { server: input.server }),
            ...(input.tsh_path === undefined ? {} : { tshPath: input.tsh_path }),
            observe: (c) => ctx.recordCommand(c),
          });
          return {
            text: [`Add this to ${r.path}:`, fence(r.config), ...r.notes].join('\n'),
            structured: r,
          };
        },
      }),
      defineTool({
        name: 'get_mcp_db_config',
        capability: 'mcp.db_config',
        title: 'Database MCP client configuration',
        description:
          'Renders the client configuration of Teleport\'s database MCP server (`tsh mcp db start <uri>`, server "teleport-databases") for a database, database user and database name, from `tsh mcp db config`. Read-only.',
        input: z.object({
          ...clusterArgument,
          db: z.string().min(1).max(253).describe('Teleport database name'),
          db_user: z.string().min(1).max(128).describe('Database user to connect as'),
          db_name: z.string().min(1).max(128).describe('Database name to connect to'),
          format: z.enum(CLIENT_FORMATS).default('claude'),
          tsh_path: tshPath,
        }),
        output: configOutput.extend({ uris: z.array(z.string()) }),
        annotations: { readOnlyHint: true, openWorldHint: true },
        run: async (input, ctx) => {
          const r = await s.dbConfig({
            ...cluster(input.cluster),
            db: input.db,
            dbUser: input.db_user,
            dbName: input.db_name,
            format: input.format,
            ...(input.tsh_path === undefined ? {} : { tshPath: input.tsh_path }),
            observe: (c) => ctx.recordCommand(c),
          });
          return {
            text: [`Add this to ${r.path}:`, fence(r.config), ...r.notes].join('\n'),
            structured: r,
          };
        },
      }),
    ];
  }
}
