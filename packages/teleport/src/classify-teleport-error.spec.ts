import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErrorCode } from '@tmcp/errors';
import {
  classifyTeleportError,
  describeCommand,
  teleportErrorMessage,
} from './classify-teleport-error.js';

const RED = '\x1b[31mERROR: \x1b[0m';
const TCTL_ARGV = ['--identity=/id', '--auth-server=p:443', 'get', 'roles', '--format=json'];
const TSH_ARGV = ['--proxy=p:443', '--identity=/id', 'mcp', 'ls', '--format=json'];

// [stderr as Teleport prints it, tool, expected code, a fragment the message must contain]
const TABLE: [string, 'tsh' | 'tctl', ErrorCode, RegExp][] = [
  [
    `${RED}your credentials have expired, please login using \`tsh login\`\n`,
    'tctl',
    'credentials_expired',
    /tctl auth sign/,
  ],
  [
    'ERROR: remote error: tls: expired certificate\n',
    'tsh',
    'credentials_expired',
    /renew the identity file/,
  ],
  ['ERROR: Active profile expired.\n', 'tsh', 'credentials_expired', /expired/],
  ['ERROR: Not logged in.\n', 'tsh', 'credentials_expired', /identity file/],
  [
    'ERROR: tctl must be used on an Auth Service host or provided with credentials by logging in with tsh first.\n',
    'tctl',
    'credentials_expired',
    /identity file/,
  ],
  [
    'ERROR: your credentials are for cluster "leaf", please run `tsh login "root"` to log in to the root cluster\n',
    'tctl',
    'credentials_expired',
    /cluster "leaf"/,
  ],
  [
    `${RED}access denied to perform action "list" on "role"\n`,
    'tctl',
    'access_denied',
    /"list" verb on "role".*resources: \[role\], verbs: \[list\]/,
  ],
  [
    'ERROR: access denied to root connecting to node-1\n',
    'tsh',
    'access_denied',
    /login "root".*"node-1"/,
  ],
  [
    'ERROR: request 0193a2f1 has been set to DENIED, reason="not today"\n',
    'tsh',
    'access_denied',
    /0193a2f1 was denied \(reason: not today\)/,
  ],
  ['ERROR: access denied\n', 'tsh', 'access_denied', /check the roles/],
  [
    'ERROR: Cannot connect to the auth server. Is the auth server running on "teleport.example.com:443"?\n',
    'tctl',
    'unreachable',
    /"teleport\.example\.com:443".*check the configured/,
  ],
  [
    'ERROR: dial tcp 10.0.0.1:443: connect: connection refused\n',
    'tsh',
    'unreachable',
    /check the proxy address/,
  ],
  [
    'ERROR: No proxy address specified, missed --proxy flag?\n',
    'tsh',
    'precondition_failed',
    /no Teleport proxy address is configured; set the cluster's proxy/,
  ],
  [
    `${RED}open /id: permission denied\n`,
    'tctl',
    'precondition_failed',
    /identity file \/id cannot be read \(permission denied\); check the cluster's identity_file/,
  ],
  [
    'ERROR: open /var/lib/tmcp/teleport/keys/p/alice: permission denied\n',
    'tsh',
    'precondition_failed',
    /the file \/var\/lib\/tmcp\/teleport\/keys\/p\/alice cannot be read/,
  ],
  [
    `${RED}open /id: no such file or directory\n`,
    'tsh',
    'precondition_failed',
    /identity file \/id does not exist; check the cluster's identity_file/,
  ],
  [
    'ERROR: open /nonexistent: no such file or directory\n',
    'tctl',
    'precondition_failed',
    /the file \/nonexistent does not exist/,
  ],
  [
    'ERROR: failed to parse identity file: PEM data not found\n',
    'tctl',
    'precondition_failed',
    /identity file \/id is not a usable Teleport identity file \(PEM data not found\); issue a new one.*identity_file/,
  ],
  [
    // The simulator's wording names the file.
    `${RED}failed to parse identity file /id: no TLS certificate found\n`,
    'tsh',
    'precondition_failed',
    /identity file \/id is not a usable Teleport identity file \(no TLS certificate found\)/,
  ],
  [
    'ERROR: access to db denied. User does not have permissions. Confirm database user and name.\n',
    'tsh',
    'access_denied',
    /denied access to the database.*db_users and db_names/,
  ],
  [
    'ERROR: tsh --identity also requires --proxy\n',
    'tsh',
    'bad_parameter',
    /set the cluster's proxy/,
  ],
  ['ERROR: tctl --identity also requires --auth-server\n', 'tctl', 'bad_parameter', /authServer/],
  ['ERROR: node with ID "5b6f" not found\n', 'tctl', 'not_found', /node "5b6f" was not found/],
  ['ERROR: proxy with ID "p-1" not found\n', 'tctl', 'not_found', /proxy "p-1"/],
  ['ERROR: role "ghost" not found\n', 'tctl', 'not_found', /role "ghost"/],
  ['ERROR: no MCP servers found\n', 'tsh', 'not_found', /not found/],
  [
    `ERROR: unsupported resource: "foo" - resources should be expressed as 'type/name', for example 'connector/github'\n`,
    'tctl',
    'bad_parameter',
    /"foo"/,
  ],
  [
    'ERROR: request reason must be specified (required by static role configuration)\n',
    'tsh',
    'bad_parameter',
    /provide a reason/,
  ],
  [
    "ERROR: must supply exactly one of '--approve' or '--deny'\n",
    'tsh',
    'bad_parameter',
    /exactly one/,
  ],
  [
    'ERROR: You must specify --db-user and --db-name flags used to connect to the database\n',
    'tsh',
    'bad_parameter',
    /--db-user/,
  ],
  ['ERROR: application "fs" already exists\n', 'tctl', 'already_exists', /"fs" already exists/],
  ['ERROR: user "alice" already registered\n', 'tctl', 'already_exists', /"alice" already exists/],
  ['ERROR: expected command but got "mcp"\n', 'tsh', 'teleport_error', /tsh ≥ 18\.1\.0/],
  ["ERROR: unknown long flag '--tunnel'\n", 'tsh', 'teleport_error', /--tunnel; upgrade/],
  [
    'ERROR: something unexpected happened\n',
    'tsh',
    'teleport_error',
    /something unexpected happened/,
  ],
];

describe('classifyTeleportError', () => {
  for (const [stderr, tool, code, message] of TABLE) {
    it(`${code}: ${teleportErrorMessage(stderr).slice(0, 60)}`, () => {
      const err = classifyTeleportError({
        tool,
        argv: tool === 'tsh' ? TSH_ARGV : TCTL_ARGV,
        exitCode: 1,
        stderr,
      });
      assert.equal(err.code, code);
      assert.match(err.message, message);
      assert.equal(err.details?.exitCode, 1);
    });
  }

  it('names the command without its global flags', () => {
    assert.equal(describeCommand('tctl', TCTL_ARGV), 'tctl get roles');
    assert.equal(describeCommand('tsh', TSH_ARGV), 'tsh mcp ls');
    assert.equal(describeCommand('tctl', ['get', 'role/x', '--format=json']), 'tctl get');
  });

  it('reads the user message of a debug error report', () => {
    const stderr =
      'ERROR REPORT:\nOriginal Error: *trace.AccessDeniedError access denied to perform action "read" on "user"\nStack Trace:\n\tfoo.go:1\nUser Message: access denied to perform action "read" on "user"\n';
    const err = classifyTeleportError({ tool: 'tctl', argv: TCTL_ARGV, exitCode: 1, stderr });
    assert.equal(err.code, 'access_denied');
    assert.match(err.message, /"read" verb on "user"/);
  });

  it('binary missing from a spawn error', () => {
    const spawnError = Object.assign(new Error('spawn /opt/tsh ENOENT'), { code: 'ENOENT' });
    const err = classifyTeleportError({
      tool: 'tsh',
      argv: TSH_ARGV,
      exitCode: null,
      stderr: '',
      spawnError,
      binary: '/opt/tsh',
    });
    assert.equal(err.code, 'binary_missing');
    assert.match(err.message, /\/opt\/tsh was not found.*set tsh_path in the configuration/);
  });

  it('timeout says what to check', () => {
    const err = classifyTeleportError({
      tool: 'tctl',
      argv: TCTL_ARGV,
      exitCode: null,
      stderr: '',
      timedOut: true,
      timeoutMs: 30_000,
    });
    assert.equal(err.code, 'timeout');
    assert.match(err.message, /tctl get roles did not finish within 30 s/);
  });

  it('redacts secrets from the message and the stderr detail', () => {
    const stderr =
      'ERROR: failed to join with token 5d5e2f0d3b1c6a7e8f9a0b1c2d3e4f50: postgres://u:hunter2@db refused\n';
    const err = classifyTeleportError({ tool: 'tsh', argv: TSH_ARGV, exitCode: 1, stderr });
    const serialized = JSON.stringify({ message: err.message, details: err.details });
    assert.doesNotMatch(serialized, /5d5e2f0d3b1c6a7e8f9a0b1c2d3e4f50|hunter2/);
  });
});
