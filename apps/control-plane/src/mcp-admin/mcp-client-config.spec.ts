import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  API_KEY_PLACEHOLDER,
  gatewayMcpUrl,
  renderGatewayClientConfig,
  renderTeleportClientConfig,
  renderTeleportDbClientConfig,
} from './mcp-client-config.js';

const url = 'https://tmcp.example.com/mcp';

describe('MCP client configurations', () => {
  it('gateway target, per client format', () => {
    const table = [
      [
        'claude',
        {
          mcpServers: {
            tmcp: {
              command: 'npx',
              args: ['-y', 'mcp-remote', url, '--header', 'Authorization:${AUTH_HEADER}'],
              env: { AUTH_HEADER: `Bearer ${API_KEY_PLACEHOLDER}` },
            },
          },
        },
      ],
      [
        'cursor',
        {
          mcpServers: {
            tmcp: { url, headers: { Authorization: `Bearer ${API_KEY_PLACEHOLDER}` } },
          },
        },
      ],
      [
        'vscode',
        {
          servers: {
            tmcp: {
              type: 'http',
              url,
              headers: { Authorization: `Bearer ${API_KEY_PLACEHOLDER}` },
            },
          },
        },
      ],
    ] as const;
    for (const [format, expected] of table) {
      const r = renderGatewayClientConfig(format, url);
      assert.deepEqual(r.config, expected, format);
      assert.ok(r.notes.some((n) => n.includes(API_KEY_PLACEHOLDER)));
    }
  });

  it('teleport target: tsh mcp connect per server, as tsh mcp config prints it', () => {
    assert.deepEqual(renderTeleportClientConfig('claude', ['everything', 'fs']).config, {
      mcpServers: {
        'teleport-mcp-everything': { command: 'tsh', args: ['mcp', 'connect', 'everything'] },
        'teleport-mcp-fs': { command: 'tsh', args: ['mcp', 'connect', 'fs'] },
      },
    });
    assert.deepEqual(
      renderTeleportClientConfig('vscode', ['x'], { tshPath: '/usr/local/bin/tsh' }).config,
      {
        servers: {
          'teleport-mcp-x': { command: '/usr/local/bin/tsh', args: ['mcp', 'connect', 'x'] },
        },
      },
    );
    assert.deepEqual(
      renderTeleportDbClientConfig('cursor', [
        'teleport://clusters/c/databases/pg?dbName=d&dbUser=u',
      ]).config,
      {
        mcpServers: {
          'teleport-databases': {
            command: 'tsh',
            args: ['mcp', 'db', 'start', 'teleport://clusters/c/databases/pg?dbName=d&dbUser=u'],
          },
        },
      },
    );
  });

  it('the gateway URL comes from the public URL, else the listen address', () => {
    assert.equal(
      gatewayMcpUrl({ publicUrl: 'https://g.example.com/', host: '0.0.0.0', port: 1 }),
      'https://g.example.com/mcp',
    );
    assert.equal(gatewayMcpUrl({ host: '0.0.0.0', port: 8080 }), 'http://localhost:8080/mcp');
    assert.equal(gatewayMcpUrl({ host: '127.0.0.1', port: 8080 }), 'http://127.0.0.1:8080/mcp');
    assert.equal(gatewayMcpUrl({ host: '::1', port: 8080 }), 'http://[::1]:8080/mcp');
  });
});
