import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import { buildMcpAppDocument, specFromDocument, type McpServerSpec } from './mcp-app-document.js';

describe('MCP app documents', () => {
  it('builds stdio and HTTP/SSE apps', () => {
    assert.deepEqual(
      buildMcpAppDocument({
        name: 'fs',
        labels: { env: 'dev' },
        command: 'npx',
        args: ['-y', 'pkg'],
        runAsHostUser: 'mcp',
      }),
      {
        kind: 'app',
        version: 'v3',
        metadata: { name: 'fs', labels: { env: 'dev' } },
        spec: {
          uri: 'mcp+stdio://',
          mcp: { command: 'npx', args: ['-y', 'pkg'], run_as_host_user: 'mcp' },
        },
      },
    );
    for (const uri of [
      'mcp+http://h:8080/mcp',
      'mcp+https://h.example.com/mcp',
      'mcp+sse+http://h/sse',
      'mcp+sse+https://h/sse',
    ]) {
      assert.equal(buildMcpAppDocument({ name: 'h', uri }).spec.uri, uri);
    }
  });

  it('rejects what Teleport would reject or what is unsafe, naming the field', () => {
    const table: [McpServerSpec, string][] = [
      [{ name: 'a', command: 'node' }, 'run_as_host_user'],
      [{ name: 'a', runAsHostUser: 'mcp' }, 'command'],
      [{ name: 'a', uri: 'http://h/mcp' }, 'uri'],
      [{ name: 'a', uri: 'mcp+ftp://h' }, 'uri'],
      [{ name: 'a', uri: 'mcp+https://user:pw@h/mcp' }, 'uri'],
      [{ name: 'a', uri: 'mcp+https:///mcp' }, 'uri'],
      [{ name: 'a', uri: 'mcp+stdio://x y' }, 'uri'],
      [{ name: 'a', uri: 'mcp+https://h/mcp', command: 'node' }, 'command'],
      [{ name: '-a', command: 'x', runAsHostUser: 'm' }, 'name'],
      [{ name: 'a b', command: 'x', runAsHostUser: 'm' }, 'name'],
      [{ name: 'a', command: '-x', runAsHostUser: 'm' }, 'command'],
      [{ name: 'a', command: 'x\u0000', runAsHostUser: 'm' }, 'command'],
      [{ name: 'a', command: 'x', runAsHostUser: 'root;id' }, 'run_as_host_user'],
      [{ name: 'a', command: 'x', args: ['ok', 'bad\u202e'], runAsHostUser: 'm' }, 'args[1]'],
      [
        {
          name: 'a',
          command: 'x',
          runAsHostUser: 'm',
          labels: { 'teleport.internal/app-sub-kind': 'x' },
        },
        'labels',
      ],
      [{ name: 'a', command: 'x', runAsHostUser: 'm', labels: { env: 'a,b' } }, 'labels.env'],
      [{ name: 'a', command: 'x', runAsHostUser: 'm', labels: { '*': '*' } }, 'labels'],
    ];
    for (const [spec, field] of table) {
      assert.throws(
        () => buildMcpAppDocument(spec),
        (e: unknown) =>
          e instanceof AppError && e.code === 'bad_parameter' && e.details?.field === field,
        JSON.stringify(spec),
      );
    }
  });

  it('reads back the editable spec of an existing app, without internal labels', () => {
    const spec = specFromDocument({
      kind: 'app',
      metadata: { name: 'fs', labels: { env: 'dev', 'teleport.internal/app-sub-kind': 'mcp' } },
      spec: {
        uri: 'mcp+stdio://',
        insecure_skip_verify: false,
        mcp: { command: 'npx', args: ['a'], run_as_host_user: 'mcp' },
      },
    });
    assert.deepEqual(spec, {
      name: 'fs',
      labels: { env: 'dev' },
      uri: 'mcp+stdio://',
      command: 'npx',
      args: ['a'],
      runAsHostUser: 'mcp',
    });
  });
});
