// Client configuration files for MCP hosts, rendered without I/O:
// - target `teleport`: entries that run `tsh mcp connect <app>` as `tsh mcp config` prints them
//   (TELEPORT.md §1.3: server key `teleport-mcp-<app>`, `mcpServers` for Claude/Cursor, `servers`
//   for VS Code), and `tsh mcp db start <uri>` for databases (§1.5, key `teleport-databases`);
// - target `gateway`: this gateway's Streamable HTTP endpoint with an API key placeholder.
//   Claude Desktop's config file only launches stdio servers (remote "connectors" are added in
//   its UI and authenticate with OAuth, not a static header), so it gets `npx mcp-remote` with
//   `--header`; Cursor takes `url` + `headers`; VS Code takes `type: "http"` + `headers`.
export const CLIENT_FORMATS = ['claude', 'cursor', 'vscode'] as const;
export type ClientFormat = (typeof CLIENT_FORMATS)[number];

/** Never a real key: the user pastes theirs. */
export const API_KEY_PLACEHOLDER = '<YOUR_API_KEY>';

export interface RenderedClientConfig {
  format: ClientFormat;
  /** Where the client reads it. */
  path: string;
  /** The JSON object to merge into that file. */
  config: Record<string, unknown>;
  notes: string[];
}

const PATHS: Record<ClientFormat, string> = {
  claude:
    'claude_desktop_config.json (macOS: ~/Library/Application Support/Claude/, Windows: %APPDATA%\\Claude\\)',
  cursor: '~/.cursor/mcp.json (or .cursor/mcp.json in a project)',
  vscode: '.vscode/mcp.json in the workspace (or the user-level mcp.json)',
};

function topKey(format: ClientFormat): 'mcpServers' | 'servers' {
  return format === 'vscode' ? 'servers' : 'mcpServers';
}

export function renderTeleportClientConfig(
  format: ClientFormat,
  apps: readonly string[],
  options: { tshPath?: string; proxy?: string } = {},
): RenderedClientConfig {
  const command = options.tshPath ?? 'tsh';
  const servers: Record<string, unknown> = {};
  for (const app of apps)
    servers[`teleport-mcp-${app}`] = { command, args: ['mcp', 'connect', app] };
  return {
    format,
    path: PATHS[format],
    config: { [topKey(format)]: servers },
    notes: [
      `Log in first on the machine that runs the client: \`tsh login${options.proxy ? ` --proxy=${options.proxy}` : ''}\`; tsh must be 18.2.3 or later (\`tsh version\`).`,
      ...(options.tshPath === undefined
        ? [
            '"tsh" must be on the PATH the client sees; otherwise put its absolute path in "command".',
          ]
        : []),
      'Equivalent to what `tsh mcp config` prints; `tsh mcp config --client-config=' +
        (format === 'vscode' ? '<project>/.vscode/mcp.json' : format) +
        '` can write it for you.',
    ],
  };
}

export function renderTeleportDbClientConfig(
  format: ClientFormat,
  uris: readonly string[],
  options: { tshPath?: string } = {},
): RenderedClientConfig {
  return {
    format,
    path: PATHS[format],
    config: {
      [topKey(format)]: {
        'teleport-databases': {
          command: options.tshPath ?? 'tsh',
          args: ['mcp', 'db', 'start', ...uris],
        },
      },
    },
    notes: [
      'If you already have a "teleport-databases" entry, add the database URI to its args instead of replacing it.',
      'Log in with `tsh login` first; the database tools are teleport_list_databases and teleport_postgres_query.',
    ],
  };
}

export function renderGatewayClientConfig(
  format: ClientFormat,
  mcpUrl: string,
  serverName = 'tmcp',
): RenderedClientConfig {
  const bearer = `Bearer ${API_KEY_PLACEHOLDER}`;
  switch (format) {
    case 'claude':
      return {
        format,
        path: PATHS.claude,
        config: {
          mcpServers: {
            [serverName]: {
              command: 'npx',
              // No space inside the argument: some clients split arguments on spaces on Windows.
              args: ['-y', 'mcp-remote', mcpUrl, '--header', 'Authorization:${AUTH_HEADER}'],
              env: { AUTH_HEADER: bearer },
            },
          },
        },
        notes: [
          `Replace ${API_KEY_PLACEHOLDER} with your tmcp API key. Claude Desktop's config file starts only local (stdio) servers, so mcp-remote (Node.js 18+) bridges to the gateway's Streamable HTTP endpoint and adds the Authorization header; its remote "custom connectors" use OAuth and cannot send a static API key.`,
        ],
      };
    case 'cursor':
      return {
        format,
        path: PATHS.cursor,
        config: {
          mcpServers: { [serverName]: { url: mcpUrl, headers: { Authorization: bearer } } },
        },
        notes: [`Replace ${API_KEY_PLACEHOLDER} with your tmcp API key.`],
      };
    case 'vscode':
      return {
        format,
        path: PATHS.vscode,
        config: {
          servers: {
            [serverName]: { type: 'http', url: mcpUrl, headers: { Authorization: bearer } },
          },
        },
        notes: [
          `Replace ${API_KEY_PLACEHOLDER} with your tmcp API key (or use an "inputs" entry with "password": true and "Bearer \${input:tmcp-api-key}" to keep it out of the file).`,
        ],
      };
  }
}

/** `<publicUrl>/mcp`, or `http://<host>:<port>/mcp` when no public URL is configured. */
export function gatewayMcpUrl(service: { publicUrl?: string; host: string; port: number }): string {
  if (service.publicUrl !== undefined && service.publicUrl !== '') {
    return `${service.publicUrl.replace(/\/+$/, '')}/mcp`;
  }
  const host = service.host === '0.0.0.0' || service.host === '::' ? 'localhost' : service.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${service.port}/mcp`;
}
