// Byte-exact goldens of `tsh mcp ls` from Teleport's tool/tsh/common/testdata (TELEPORT.md §1.2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goJson } from '../format/go-json.js';
import type { Resource } from '../state/sim-state.js';
import { mcpAppJson, mcpLsText } from './mcp-commands.js';

function app(name: string): Resource {
  return {
    kind: 'app',
    sub_kind: 'mcp',
    version: 'v3',
    metadata: {
      name,
      description: 'description',
      labels: { env: 'dev', 'teleport.internal/app-sub-kind': 'mcp' },
      revision: 'r',
    },
    spec: {
      uri: 'mcp+stdio://',
      insecure_skip_verify: false,
      mcp: { command: 'test', args: ['arg'], run_as_host_user: 'test' },
    },
  };
}

const rows = [
  { app: app('allow-read'), allowed: ['read_*'], denied: [] },
  { app: app('deny-write'), allowed: ['*'], denied: ['write_*'] },
];

describe('tsh mcp ls goldens', () => {
  it('text_format.golden', () => {
    assert.equal(
      mcpLsText(rows, false),
      'Name       Description Type  Allowed Tools       Labels  \n' +
        '---------- ----------- ----- ------------------- ------- \n' +
        'allow-read description stdio [read_*]            env=dev \n' +
        'deny-write description stdio [*], except: [wr... env=dev \n' +
        '\n',
    );
  });

  it('text_format_in_verbose.golden', () => {
    assert.equal(
      mcpLsText(rows, true),
      'Name       Description Type  Labels                                     Command Args Allowed Tools          \n' +
        '---------- ----------- ----- ------------------------------------------ ------- ---- ---------------------- \n' +
        'allow-read description stdio env=dev,teleport.internal/app-sub-kind=mcp test    arg  [read_*]               \n' +
        'deny-write description stdio env=dev,teleport.internal/app-sub-kind=mcp test    arg  [*], except: [write_*] \n' +
        '\n',
    );
  });

  it('JSON_format.golden: field order, permissions, denied omitted when empty', () => {
    const json =
      goJson(
        rows.map((r) => mcpAppJson(r.app, r.allowed, r.denied)),
        2,
      ) + '\n';
    const expected = (name: string, tools: string): string =>
      `  {\n    "kind": "app",\n    "sub_kind": "mcp",\n    "version": "v3",\n    "metadata": {\n      "name": "${name}",\n      "description": "description",\n      "labels": {\n        "env": "dev",\n        "teleport.internal/app-sub-kind": "mcp"\n      }\n    },\n    "spec": {\n      "uri": "mcp+stdio://",\n      "insecure_skip_verify": false,\n      "mcp": {\n        "command": "test",\n        "args": [\n          "arg"\n        ],\n        "run_as_host_user": "test"\n      }\n    },\n    "permissions": {\n      "mcp": {\n        "tools": {\n${tools}\n        }\n      }\n    }\n  }`;
    assert.equal(
      json,
      '[\n' +
        expected('allow-read', '          "allowed": [\n            "read_*"\n          ]') +
        ',\n' +
        expected(
          'deny-write',
          '          "allowed": [\n            "*"\n          ],\n          "denied": [\n            "write_*"\n          ]',
        ) +
        '\n]\n',
    );
  });
});
