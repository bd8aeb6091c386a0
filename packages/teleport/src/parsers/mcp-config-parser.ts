// The text `tsh mcp config` / `tsh mcp db config` print without --client-config
// (TELEPORT.md §1.3, §1.5): server names, the sample client JSON, and db resource URIs.
import { AppError } from '@tmcp/errors';
import { assertCompleteOutput } from '../output-truncation.js';

export interface McpConfigSample {
  /** Names after `Found MCP servers:`. */
  servers: string[];
  /** The sample JSON object (`mcpServers` or `servers` for VSCode); undefined if none printed. */
  config?: Record<string, unknown>;
  /** `teleport://…` URIs printed by `tsh mcp db config`. */
  databaseUris: string[];
}

export function parseMcpConfigOutput(text: string): McpConfigSample {
  assertCompleteOutput(text, 'tsh mcp config');
  const lines = text.replace(/\r/g, '').split('\n');
  const servers: string[] = [];
  const found = lines.findIndex((l) => l.trim() === 'Found MCP servers:');
  if (found >= 0) {
    for (const l of lines.slice(found + 1)) {
      if (l.trim() === '') break;
      servers.push(l.trim());
    }
  }
  const start = lines.findIndex((l) => l === '{');
  let config: Record<string, unknown> | undefined;
  if (start >= 0) {
    const end = lines.findIndex((l, i) => i > start && l === '}');
    if (end < 0)
      throw new AppError('teleport_error', 'tsh mcp config printed an incomplete JSON sample');
    try {
      config = JSON.parse(lines.slice(start, end + 1).join('\n')) as Record<string, unknown>;
    } catch (err) {
      throw new AppError(
        'teleport_error',
        'tsh mcp config printed a JSON sample that does not parse',
        { cause: err },
      );
    }
  }
  const databaseUris = [...text.matchAll(/teleport:\/\/clusters\/[^\s"'\]]+/g)].map((m) => m[0]);
  return {
    servers,
    ...(config === undefined ? {} : { config }),
    databaseUris: [...new Set(databaseUris)],
  };
}
