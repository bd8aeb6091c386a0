import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseApps } from './parsers/index.js';
import { redact, redactValue } from './redact.js';
import {
  MCP_LS_JSON,
  MCP_LS_TEXT,
  PROXY_DB_TUNNEL_BANNER,
  TCTL_GET_NODES,
  TCTL_GET_ROLES,
  TCTL_STATUS,
  TSH_REQUEST_LS,
  TSH_STATUS_JSON,
} from './parsers/fixtures/teleport-md.fixtures.js';

const PRIVATE_KEY_BODY = 'MIIEowIBAAKCAQEAwJ7xSECRETKEYMATERIALxyz0123456789abcdefABCDEF';
const JOIN_TOKEN = '5d5e2f0d3b1c6a7e8f9a0b1c2d3e4f50';
const B64_PRIVATE_KEY = Buffer.from(
  `-----BEGIN RSA PRIVATE KEY-----\n${PRIVATE_KEY_BODY}\n-----END RSA PRIVATE KEY-----\n`,
).toString('base64');

// [description, text, the secret that must be gone]
const SECRETS: [string, string, string][] = [
  [
    'PEM private key',
    `key:\n-----BEGIN PRIVATE KEY-----\n${PRIVATE_KEY_BODY}\n-----END PRIVATE KEY-----\nok`,
    PRIVATE_KEY_BODY,
  ],
  [
    'RSA key',
    `-----BEGIN RSA PRIVATE KEY-----\n${PRIVATE_KEY_BODY}\n-----END RSA PRIVATE KEY-----`,
    PRIVATE_KEY_BODY,
  ],
  [
    'EC key',
    `-----BEGIN EC PRIVATE KEY-----\n${PRIVATE_KEY_BODY}\n-----END EC PRIVATE KEY-----`,
    PRIVATE_KEY_BODY,
  ],
  [
    'OpenSSH key',
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${PRIVATE_KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----`,
    PRIVATE_KEY_BODY,
  ],
  [
    'certificate',
    `-----BEGIN CERTIFICATE-----\nMIIBcertBODY1234567890\n-----END CERTIFICATE-----`,
    'MIIBcertBODY1234567890',
  ],
  [
    'PEM cut off by the output cap',
    `-----BEGIN PRIVATE KEY-----\n${PRIVATE_KEY_BODY}\n[output truncated at 4194304 bytes]`,
    PRIVATE_KEY_BODY,
  ],
  [
    'PEM inside JSON string',
    `{"key": "-----BEGIN PRIVATE KEY-----\\n${PRIVATE_KEY_BODY}\\n-----END PRIVATE KEY-----\\n"}`,
    PRIVATE_KEY_BODY,
  ],
  [
    'base64 private key (tctl --with-secrets)',
    `{"tls": [{"cert": "x", "key": "${B64_PRIVATE_KEY}"}]}`,
    B64_PRIVATE_KEY.slice(0, 40),
  ],
  [
    'invite token text',
    `The invite token: ${JOIN_TOKEN}\nThis token will expire in 60 minutes.`,
    JOIN_TOKEN,
  ],
  [
    'tokens add json',
    `{\n "expires": "2025-06-01T11:00:00Z",\n "roles": ["Node"],\n "token": "${JOIN_TOKEN}"\n}`,
    JOIN_TOKEN,
  ],
  [
    'tctl tokens ls json name',
    `[\n    {\n        "kind": "token",\n        "version": "v2",\n        "metadata": {\n            "name": "${JOIN_TOKEN}",`,
    JOIN_TOKEN,
  ],
  ['--token=', `teleport start --token=${JOIN_TOKEN} --auth-server=x`, JOIN_TOKEN],
  ['--token value', `teleport node configure --token abcSecretTok123`, 'abcSecretTok123'],
  ['--password=', 'psql --password=hunter2hunter2', 'hunter2hunter2'],
  ['--client-secret', 'tsh mcp login x --client-secret "s3cr3t value"', 's3cr3t value'],
  ['--secret-key', 'aws --secret-key=wJalrXUtnFEMIK7MDENG', 'wJalrXUtnFEMIK7MDENG'],
  ['Bearer', 'Authorization: Bearer abcdef0123456789.xyz', 'abcdef0123456789.xyz'],
  ['bare bearer', 'sent bearer AAAAbbbbCCCCdddd to upstream', 'AAAAbbbbCCCCdddd'],
  ['Basic auth header', 'Authorization: Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz'],
  [
    'postgres URL password',
    'connect postgres://alice:pw-Secret1@db.internal:5432/app',
    'pw-Secret1',
  ],
  ['redis URL password', 'redis://default:r3disPass@127.0.0.1:6379/0', 'r3disPass'],
  ['password= assignment', 'PGPASSWORD=hunter22 psql', 'hunter22'],
  ['JSON password', '{"user":"x","password":"p@ss w0rd"}', 'p@ss w0rd'],
  ['tmcp API key', 'key tmcp_Q2hhbmdlTWUxMjM0NTY3ODkwYWJj created', 'Q2hhbmdlTWUxMjM0NTY3ODkwYWJj'],
  ['tmcp hex API key', 'tmcp_0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef'],
  [
    'JWT',
    'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ',
    'c2lnbmF0dXJlLXNpZ25hdHVyZQ',
  ],
  [
    'identity file SSH cert',
    'ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIE',
    'AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIE',
  ],
];

describe('redact removes secrets', () => {
  for (const [label, text, secret] of SECRETS) {
    it(label, () => {
      const out = redact(text);
      assert.ok(!out.includes(secret), `secret survived: ${out}`);
      assert.match(out, /\*\*\*/);
    });
  }

  it('keeps the shape of redacted JSON parseable', () => {
    const out = redact(`{"password":"x\\"y","token":"${JOIN_TOKEN}","name":"n"}`);
    assert.deepEqual(JSON.parse(out), { password: '***', token: '***', name: 'n' });
  });
});

// [description, a JSON document, the secret that must be gone]: the redacted text must still
// parse, with the same shape.
const JSON_SECRETS: [string, string, string][] = [
  [
    'app args with --api-key=',
    JSON.stringify([
      {
        kind: 'app',
        metadata: { name: 'files' },
        spec: { mcp: { command: 'npx', args: ['--api-key=sk-live-51Habc', '--port', '8080'] } },
      },
    ]),
    'sk-live-51Habc',
  ],
  [
    '--token= in a string',
    '{"cmd":"teleport start --token=abcSecretTok123","n":1}',
    'abcSecretTok123',
  ],
  ['--password x in a string', '{"x":"--password hunter2"}', 'hunter2'],
  ['--password, x as argv', '{"args":["--password", "hunter2", "--verbose"]}', 'hunter2'],
  ['escaped quotes after a flag', '{"x":"--token \\"abc def\\"", "y": 2}', 'abc'],
  ['Bearer', '{"headers":{"Authorization":"Bearer abcdef0123456789.xyz"}}', 'abcdef0123456789.xyz'],
  ['Authorization with an escape', '{"h":"Authorization: Basic dXNlc\\"jpwYXNz"}', 'dXNlc'],
  [
    'URL with a password',
    '{"uri":"postgres://alice:pw-Secret1@db:5432/app","k":"a@b"}',
    'pw-Secret1',
  ],
  [
    'URL password with a JSON escape',
    '{"uri":"postgres://alice:pw\\u0026Secret1@db:5432/app"}',
    'Secret1',
  ],
  [
    'PEM inside a JSON string',
    JSON.stringify({
      key: `-----BEGIN PRIVATE KEY-----\n${PRIVATE_KEY_BODY}\n-----END PRIVATE KEY-----\n`,
    }),
    PRIVATE_KEY_BODY,
  ],
  [
    'PEM cut off inside a JSON string',
    JSON.stringify({ key: `-----BEGIN PRIVATE KEY-----\n${PRIVATE_KEY_BODY}`, next: 'ok' }),
    PRIVATE_KEY_BODY,
  ],
  ['env assignment in args', '{"args":["API_TOKEN=sk-live-xyz\\\\"]}', 'sk-live-xyz'],
  [
    'secret-named key, not a string-only rule',
    '{"authorization":"Basic dXNlcjpwYXNz"}',
    'dXNlcjpwYXNz',
  ],
  [
    'join token named in metadata',
    `[{"kind": "token", "version": "v2", "metadata": {"name": "${JOIN_TOKEN}"}}]`,
    JOIN_TOKEN,
  ],
];

describe('redact keeps JSON documents valid', () => {
  for (const [label, text, secret] of JSON_SECRETS) {
    it(label, () => {
      const out = redact(text);
      assert.ok(!out.includes(secret), `secret survived: ${out}`);
      assert.match(out, /\*\*\*/);
      const parsed: unknown = JSON.parse(out);
      assert.equal(shape(parsed), shape(JSON.parse(text)), 'same keys and nesting');
    });
  }

  it('redacts an app list that parseApps then reads', () => {
    const apps = parseApps(
      redact(
        JSON.stringify([
          {
            kind: 'app',
            version: 'v3',
            metadata: { name: 'files', labels: { 'teleport.internal/app-sub-kind': 'mcp' } },
            spec: {
              uri: 'mcp+stdio://',
              mcp: { command: 'npx', args: ['--api-key=sk-live-51Habc'], run_as_host_user: 'mcp' },
            },
          },
        ]),
      ),
    );
    assert.equal(apps[0]?.name, 'files');
    assert.deepEqual(apps[0]?.mcp?.args, ['--api-key=***']);
  });

  it('keeps the layout between strings byte for byte', () => {
    const text =
      '[\n    {\n        "args": [\n            "--token=abcSecretTok123"\n        ]\n    }\n]';
    assert.equal(
      redact(text),
      '[\n    {\n        "args": [\n            "--token=***"\n        ]\n    }\n]',
    );
  });

  it('makes JSON fragments in free text no less valid', () => {
    // Not a document (cut off by the output cap), so the text rules run; the strings they touch
    // stay closed.
    const fragment =
      '{"a":"--password hunter2","b":"x://u:p@h","c":"--token=t0k3n\\"q","d":"--client-secret ", "e": "keep"}';
    const out = redact(`${fragment}\n[output truncated at 10 bytes]`);
    assert.ok(!/hunter2|t0k3n/.test(out), out);
    const parsed = JSON.parse(out.split('\n')[0] ?? '') as Record<string, string>;
    assert.deepEqual(Object.keys(parsed), ['a', 'b', 'c', 'd', 'e']);
    assert.equal(parsed.e, 'keep');
  });
});

/** Keys and nesting of a JSON value, without the string values. */
function shape(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? 's' : v));
}

const ORDINARY: [string, string][] = [
  ['node listing', TCTL_GET_NODES],
  ['role listing', TCTL_GET_ROLES],
  ['mcp ls json', MCP_LS_JSON],
  ['mcp ls table', MCP_LS_TEXT],
  ['request ls json', TSH_REQUEST_LS],
  ['tsh status json', TSH_STATUS_JSON],
  ['tctl status with CA pin', TCTL_STATUS],
  ['db tunnel banner (user, no password)', PROXY_DB_TUNNEL_BANNER],
  ['uuid', '5b6f1a4e-2c3d-4e5f-8a9b-0c1d2e3f4a5b'],
  ['git sha', 'git:v17.4.8-0-g1a2b3c4 commit 9fceb02d0ae598e95dc970b74767f19372d61af8'],
  ['timestamps', '2025-06-01T10:10:00.123456Z 02 Jan 25 10:00 UTC'],
  [
    'token table header',
    'Token  Type  Labels  Expiry Time (UTC)\n-----  ----  ------  -----------------',
  ],
  ['metric names', 'tmcp_operations_total{capability="inventory.nodes"} 3'],
  ['words about secrets', 'Basic information: the password policy requires rotation; see --help.'],
  ['flags without secrets', 'tsh --proxy=teleport.example.com:443 --identity=/var/lib/identity ls'],
  ['url without password', 'https://goteleport.com/docs/enroll-resources/mcp-access/rbac/'],
];

describe('redact leaves ordinary output untouched', () => {
  for (const [label, text] of ORDINARY) {
    it(label, () => assert.equal(redact(text), text));
  }
});

describe('redactValue', () => {
  it('replaces secret-named keys and redacts nested strings without touching the input', () => {
    const input = {
      name: 'alice',
      password: 'hunter2',
      nested: { Authorization: 'Bearer x', list: ['ok', `--token=${JOIN_TOKEN}`] },
      count: 3,
      none: null,
    };
    const out = redactValue(input);
    assert.deepEqual(out, {
      name: 'alice',
      password: '***',
      nested: { Authorization: '***', list: ['ok', '--token=***'] },
      count: 3,
      none: null,
    });
    assert.equal(input.password, 'hunter2');
  });

  it('redacts the argv element after a bare secret flag', () => {
    assert.deepEqual(redactValue(['serve', '--password', 'hunter2', '--token', '--verbose']), [
      'serve',
      '--password',
      '***',
      '--token',
      '--verbose',
    ]);
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    assert.deepEqual(redactValue(a), { name: 'a', self: '[circular]' });
  });
});
