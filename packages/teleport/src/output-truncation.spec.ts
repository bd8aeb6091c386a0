import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import { OUTPUT_CAP_SETTING, truncationNotice } from './output-truncation.js';
import {
  parseApps,
  parseCreatedRequestId,
  parseJsonText,
  parseMcpConfigOutput,
  parseTctlStatus,
  parseVersion,
} from './parsers/index.js';
import * as F from './parsers/fixtures/teleport-md.fixtures.js';

const cut = (text: string, at: number): string => text.slice(0, at) + truncationNotice(at);

// [parser, output cut at the cap, the command the message names]
const CUT: [string, () => unknown, string][] = [
  ['tctl get apps', () => parseApps(cut(F.TCTL_GET_APPS, 200)), 'tctl get apps'],
  [
    'JSON text',
    () => parseJsonText(cut(F.TCTL_GET_NODES, 100), 'tctl get nodes'),
    'tctl get nodes',
  ],
  ['tctl status', () => parseTctlStatus(cut(F.TCTL_STATUS, 60)), 'tctl status'],
  ['tsh version text', () => parseVersion(cut(F.TSH_VERSION_TEXT, 30)), 'tsh version'],
  ['tsh version json', () => parseVersion(cut(F.TSH_VERSION_JSON, 30)), 'tsh version'],
  ['tsh mcp config', () => parseMcpConfigOutput(cut(F.MCP_CONFIG_PRINT, 40)), 'tsh mcp config'],
  [
    'tsh request create',
    () => parseCreatedRequestId(cut(F.TSH_REQUEST_CREATE, 20)),
    'tsh request create',
  ],
];

describe('output cut at the cap', () => {
  for (const [label, parse, command] of CUT) {
    it(`${label}: limit_exceeded naming the cap and the setting`, () => {
      assert.throws(parse, (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.code, 'limit_exceeded');
        assert.ok(err.message.startsWith(`${command} printed more than `), err.message);
        assert.match(err.message, new RegExp(`raise ${OUTPUT_CAP_SETTING.replace(/\./g, '\\.')}`));
        assert.equal(err.details?.setting, OUTPUT_CAP_SETTING);
        return true;
      });
    });
  }

  it('complete output with the notice text elsewhere still parses', () => {
    const apps = parseApps(
      JSON.stringify([
        {
          kind: 'app',
          version: 'v3',
          metadata: { name: 'a', description: `[output truncated at 1 bytes]` },
          spec: { uri: 'http://localhost' },
        },
      ]),
    );
    assert.equal(apps[0]?.name, 'a');
  });
});
