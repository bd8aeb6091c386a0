// run_tsh_command / run_tctl_command: offered only when the server configuration enables them,
// so a disabled passthrough is absent from tools/list (not merely refused).
import { Injectable } from '@nestjs/common';
import type { TeleportTool } from '@tmcp/teleport';
import { z } from 'zod';
import { clusterArgument, reasonArguments } from '../mcp/tool-arguments.js';
import {
  defineTool,
  McpToolSource,
  type McpToolProvider,
  type ToolDefinition,
} from '../mcp/tool-definition.js';
import {
  describeAllowed,
  MAX_PASSTHROUGH_ARGS,
  MAX_PASSTHROUGH_ARG_LENGTH,
} from './passthrough-allow-list.js';
import { PassthroughService } from './passthrough.service.js';

const output = z.object({
  command: z.string(),
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.boolean(),
});

@Injectable()
@McpToolSource()
export class PassthroughToolsProvider implements McpToolProvider {
  constructor(private readonly passthrough: PassthroughService) {}

  tools(): readonly ToolDefinition[] {
    return [
      ...(this.passthrough.enabled('tsh') ? [this.tool('tsh')] : []),
      ...(this.passthrough.enabled('tctl') ? [this.tool('tctl')] : []),
    ];
  }

  private tool(tool: TeleportTool) {
    return defineTool({
      name: tool === 'tsh' ? 'run_tsh_command' : 'run_tctl_command',
      capability: tool === 'tsh' ? 'passthrough.tsh' : 'passthrough.tctl',
      title: `Run an allow-listed ${tool} command`,
      description: `Runs a read-only ${tool} subcommand with the cluster's configured identity and returns its (redacted) output. Give the arguments after "${tool}" as a list, one word per element, e.g. ${tool === 'tsh' ? '["request", "ls", "--format=json"]' : '["get", "roles", "--format=json"]'}. Allowed: ${describeAllowed(tool)}. Global flags (--proxy, -i, --auth-server, --insecure, --debug) are never accepted. Prefer the dedicated tools when one exists.`,
      input: z.object({
        ...clusterArgument,
        args: z
          .array(z.string().min(1).max(MAX_PASSTHROUGH_ARG_LENGTH))
          .min(1)
          .max(MAX_PASSTHROUGH_ARGS)
          .describe(`Arguments after "${tool}", one per element`),
        ...reasonArguments,
      }),
      output,
      annotations: { readOnlyHint: true, openWorldHint: true },
      run: async (input, ctx) => {
        const r = await this.passthrough.run({
          tool,
          args: input.args,
          ...(input.cluster === undefined ? {} : { cluster: input.cluster }),
          observe: (c) => ctx.recordCommand(c),
        });
        return {
          text: `$ ${r.command}\n${r.stdout}${r.stderr ? `\n[stderr]\n${r.stderr}` : ''}`,
          structured: r,
        };
      },
    });
  }
}
