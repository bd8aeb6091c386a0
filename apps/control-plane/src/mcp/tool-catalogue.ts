// Every tool of the application, collected once at start from the providers marked
// @McpToolSource() (Nest DiscoveryService). Also precomputes what each request only filters:
// the wire form of each tool (JSON Schemas) and the canonical key set for duplicate stripping.
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { Tool } from '@modelcontextprotocol/server';
import { TOOL_CAPABILITIES, isCapability } from '@tmcp/policy';
import { z } from 'zod';
import { MCP_PROTOCOL_KEYS } from './non-canonical-keys.js';
import { withCallContextArguments } from './tool-arguments.js';
import { MCP_TOOL_SOURCE, type McpToolProvider, type ToolDefinition } from './tool-definition.js';

@Injectable()
export class ToolCatalogue implements OnApplicationBootstrap {
  private tools = new Map<string, ToolDefinition>();
  private wire = new Map<string, Tool>();
  private canonical: ReadonlySet<string> = new Set(MCP_PROTOCOL_KEYS);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    const providers: McpToolProvider[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const metatype: unknown = wrapper.metatype;
      const instance: unknown = wrapper.instance;
      if (typeof metatype !== 'function' || instance === null || typeof instance !== 'object')
        continue;
      if (this.reflector.get<boolean | undefined>(MCP_TOOL_SOURCE, metatype) !== true) continue;
      if (typeof (instance as Partial<McpToolProvider>).tools !== 'function') {
        throw new Error(`${wrapper.name} is marked @McpToolSource() but has no tools() method`);
      }
      providers.push(instance as McpToolProvider);
    }
    this.register(providers.flatMap((p) => p.tools()));
  }

  /** Replaces the catalogue (start-up, and tests that build it by hand). */
  register(tools: readonly ToolDefinition[]): void {
    const byName = new Map<string, ToolDefinition>();
    const wire = new Map<string, Tool>();
    const keys = new Set(MCP_PROTOCOL_KEYS);
    for (const declared of tools) {
      const tool: ToolDefinition = {
        ...declared,
        input: withCallContextArguments(declared.name, declared.input) as ToolDefinition['input'],
      };
      if (byName.has(tool.name)) throw new Error(`MCP tool ${tool.name} is defined twice`);
      if (!isCapability(tool.capability))
        throw new Error(`MCP tool ${tool.name}: unknown capability ${String(tool.capability)}`);
      const expected = (TOOL_CAPABILITIES as Record<string, string>)[tool.name];
      if (expected !== undefined && expected !== tool.capability) {
        throw new Error(
          `MCP tool ${tool.name} must use capability ${expected}, not ${tool.capability}`,
        );
      }
      byName.set(tool.name, tool);
      wire.set(tool.name, toWireTool(tool));
      for (const key of argumentNames(tool.input)) keys.add(key);
    }
    this.tools = byName;
    this.wire = wire;
    this.canonical = keys;
  }

  get(name: string): ToolDefinition | undefined {
    return this.tools.get(name);
  }

  all(): ToolDefinition[] {
    return [...this.tools.values()];
  }

  wireTool(name: string): Tool | undefined {
    return this.wire.get(name);
  }

  /** MCP protocol keys plus every tool's argument names. */
  canonicalKeys(): ReadonlySet<string> {
    return this.canonical;
  }
}

/** Property names of a tool's input object (through pipes/refinements); none for other schemas. */
export function argumentNames(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodPipe) return argumentNames(schema.in as z.ZodType);
  return [];
}

function toWireTool(tool: ToolDefinition): Tool {
  const inputSchema = z.toJSONSchema(tool.input, {
    io: 'input',
    unrepresentable: 'any',
  }) as Tool['inputSchema'];
  const output = z.toJSONSchema(tool.output, { io: 'output', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema,
    // MCP requires an object output schema; other shapes are simply not published.
    ...(output.type === 'object' ? { outputSchema: output } : {}),
    ...(tool.annotations === undefined
      ? {}
      : { annotations: { title: tool.title, ...tool.annotations } }),
  };
}
