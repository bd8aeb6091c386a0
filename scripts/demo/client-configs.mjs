// Client configurations for the demo gateway: exactly what the `get_mcp_client_config` tool
// returns for `target: gateway` (the control plane's own renderer), with the demo key filled in.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const FILES = { claude: 'claude_desktop_config.json', cursor: 'cursor-mcp.json' };

/**
 * Renders the Claude Desktop and Cursor configurations for `mcpUrl` with `apiKey`, writes each
 * to <dir>/<file> (mode 0600: they hold the key) and returns {format, title, where, file, text}.
 */
export async function clientConfigs(root, dir, mcpUrl, apiKey) {
  const renderer = path.join(root, 'apps/control-plane/dist/mcp-admin/mcp-client-config.js');
  const { renderGatewayClientConfig, API_KEY_PLACEHOLDER } = await import(
    pathToFileURL(renderer).href
  );
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return Object.entries(FILES).map(([format, name]) => {
    const rendered = renderGatewayClientConfig(format, mcpUrl);
    const text = JSON.stringify(rendered.config, null, 2).replaceAll(API_KEY_PLACEHOLDER, apiKey);
    const file = path.join(dir, name);
    fs.writeFileSync(file, `${text}\n`, { mode: 0o600 });
    return {
      format,
      title: format === 'claude' ? 'Claude Desktop' : 'Cursor',
      where: rendered.path,
      file,
      text,
    };
  });
}
