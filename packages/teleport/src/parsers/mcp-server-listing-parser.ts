// `tsh mcp ls --format=json` (TELEPORT.md §1.2): AppV3 objects plus the caller's effective
// `permissions.mcp.tools` (allowed/denied after role evaluation). No allowed tools is the
// "(none) [!]" case of the text output.
import { z } from 'zod';
import { appFromRaw, appSchema, type TeleportApp } from './app-parser.js';
import { asJson, parseList, stringList } from './tolerant-schemas.js';

export interface McpServerListing {
  name: string;
  description?: string;
  labels: Record<string, string>;
  /** As tsh prints it: `stdio`, `SSE`, `Streamable HTTP` (empty for an unknown scheme). */
  type: 'stdio' | 'SSE' | 'Streamable HTTP' | '';
  uri: string;
  command?: string;
  args: string[];
  runAsHostUser?: string;
  allowedTools: string[];
  deniedTools: string[];
  /** False when no tool is allowed (tsh shows `(none) [!]`). */
  hasToolAccess: boolean;
  /** The `Allowed Tools` cell: `[read_*]`, `[*], except: [write_*]`, `(none)`. */
  allowedToolsSummary: string;
}

const listingSchema = appSchema.extend({
  permissions: z
    .looseObject({
      mcp: z
        .looseObject({
          tools: z.looseObject({ allowed: stringList, denied: stringList }).nullish(),
        })
        .nullish(),
    })
    .nullish(),
});

function typeOf(app: TeleportApp): McpServerListing['type'] {
  switch (app.mcpTransport) {
    case 'stdio':
      return 'stdio';
    case 'sse':
      return 'SSE';
    case 'streamable-http':
      return 'Streamable HTTP';
    case undefined:
      return '';
  }
}

export function summarizeAllowedTools(
  allowed: readonly string[],
  denied: readonly string[],
): string {
  if (allowed.length === 0) return '(none)';
  const base = `[${allowed.join(', ')}]`;
  return denied.length === 0 ? base : `${base}, except: [${denied.join(', ')}]`;
}

export function parseMcpServerListings(input: unknown): McpServerListing[] {
  return parseList(asJson(input, 'tsh mcp ls'), listingSchema, 'mcp server').map((raw) => {
    const app = appFromRaw(raw);
    const allowed = raw.permissions?.mcp?.tools?.allowed ?? [];
    const denied = raw.permissions?.mcp?.tools?.denied ?? [];
    return {
      name: app.name,
      ...(app.description === undefined ? {} : { description: app.description }),
      labels: app.labels,
      type: typeOf(app),
      uri: app.uri,
      ...(app.mcp?.command === undefined ? {} : { command: app.mcp.command }),
      args: app.mcp?.args ?? [],
      ...(app.mcp?.runAsHostUser === undefined ? {} : { runAsHostUser: app.mcp.runAsHostUser }),
      allowedTools: allowed,
      deniedTools: denied,
      hasToolAccess: allowed.length > 0,
      allowedToolsSummary: summarizeAllowedTools(allowed, denied),
    };
  });
}
