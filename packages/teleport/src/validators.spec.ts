import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import {
  labelSelectorFromMap,
  validateAccessRequestId,
  validateClusterName,
  validateDbName,
  validateDbUser,
  validateKubeClusterName,
  validateLabel,
  validateLabelSelector,
  validateListenAddress,
  validateMcpDbUri,
  validateMcpToolPattern,
  validateNodeHost,
  validatePort,
  validateReason,
  validateRequestResourceId,
  validateResourceName,
  validateSshLogin,
  validateTicketId,
  validateUsername,
} from './validators.js';

const INJECTION_CORPUS: readonly string[] = [
  '--proxy=evil',
  '-h',
  'a b',
  'x\ny',
  'nul\u0000byte',
  'bidi\u202eevil',
  'n'.repeat(10_000),
  '../',
  '$(id)',
  ';rm -rf /',
];

// Free text travels as one argv element, so spaces and shell punctuation are legitimate in a
// reason; everything that could be read as a flag or hide text is still refused.
const REASON_MAY_CONTAIN = new Set(['a b', '../', '$(id)', ';rm -rf /']);

const VALIDATORS: [string, (v: unknown) => unknown, string][] = [
  ['resource name', validateResourceName, 'name'],
  ['username', validateUsername, 'user'],
  ['db user', validateDbUser, 'db_user'],
  ['db name', validateDbName, 'db_name'],
  ['kube cluster', validateKubeClusterName, 'kube_cluster'],
  ['cluster name', validateClusterName, 'cluster'],
  ['ssh login', validateSshLogin, 'login'],
  ['node host', validateNodeHost, 'host'],
  ['access request id', validateAccessRequestId, 'request_id'],
  ['ticket', validateTicketId, 'ticket'],
  ['label', validateLabel, 'label'],
  ['label selector', validateLabelSelector, 'labels'],
  ['listen address', validateListenAddress, 'listen_addr'],
  ['mcp tool pattern', validateMcpToolPattern, 'mcp_tools'],
  ['request resource id', validateRequestResourceId, 'resource'],
  ['mcp db uri', validateMcpDbUri, 'uri'],
  ['port', validatePort, 'port'],
  ['reason', validateReason, 'reason'],
];

function rejects(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    assert.equal(err.code, 'bad_parameter');
    assert.equal(err.details?.field, field);
    return true;
  });
}

describe('validators refuse the injection corpus', () => {
  for (const [label, validate, field] of VALIDATORS) {
    for (const bad of INJECTION_CORPUS) {
      if (label === 'reason' && REASON_MAY_CONTAIN.has(bad)) continue;
      it(`${label} rejects ${JSON.stringify(bad.slice(0, 20))}`, () => {
        rejects(() => validate(bad), field);
      });
    }
    it(`${label} rejects non-strings and empty values`, () => {
      rejects(() => validate(''), field);
      rejects(() => validate({ toString: () => 'x' }), field);
    });
  }

  it('a reason may hold spaces and punctuation as plain text', () => {
    for (const ok of REASON_MAY_CONTAIN) assert.equal(validateReason(ok), ok);
    rejects(() => validateReason('   '), 'reason');
    rejects(() => validateReason('tab\there'), 'reason');
  });

  it('the error names the caller field', () => {
    rejects(() => validateResourceName('-x', 'target.db'), 'target.db');
  });

  it('every Unicode format/bidi control is refused, not just U+202E', () => {
    for (const ch of ['\u200b', '\u2066', '\u2069', '\ufeff', '\u2028', '\u0085', '\u007f']) {
      rejects(() => validateResourceName(`a${ch}b`), 'name');
    }
  });
});

describe('validators accept ordinary values', () => {
  const table: [string, (v: unknown) => unknown, unknown, unknown][] = [
    ['node uuid', validateResourceName, '5b6f1a4e-2c3d-4e5f-8a9b-0c1d2e3f4a5b', undefined],
    ['role', validateResourceName, 'mcp-user', undefined],
    ['sso user', validateUsername, 'alice@example.com', undefined],
    ['bot user', validateUsername, 'bot-ci', undefined],
    ['db user', validateDbUser, 'postgres', undefined],
    ['db name', validateDbName, 'app_db', undefined],
    ['kube', validateKubeClusterName, 'dev-cluster', undefined],
    ['login', validateSshLogin, 'ubuntu', undefined],
    ['host ip', validateNodeHost, '10.0.0.5', undefined],
    ['request id', validateAccessRequestId, '0193a2f1-5d5e-7b8a-9c1e-2f3a4b5c6d7e', undefined],
    ['ticket', validateTicketId, 'INC-42', undefined],
    ['label', validateLabel, 'teleport.internal/app-sub-kind=mcp', undefined],
    ['selector', validateLabelSelector, 'env=dev,team=db', undefined],
    ['glob tool', validateMcpToolPattern, 'read_*', undefined],
    ['regex tool', validateMcpToolPattern, '^search_[a-z]+$', undefined],
    ['all tools', validateMcpToolPattern, '*', undefined],
    ['resource id', validateRequestResourceId, '/teleport.example.com/node/5b6f', undefined],
    ['port string', validatePort, '5432', 5432],
    [
      'db uri (canonicalised)',
      validateMcpDbUri,
      'teleport://clusters/root/databases/pg?dbUser=alice&dbName=postgres',
      'teleport://clusters/root/databases/pg?dbName=postgres&dbUser=alice',
    ],
  ];
  for (const [label, validate, input, expected] of table) {
    it(label, () => assert.deepEqual(validate(input), expected ?? input));
  }

  it('listen addresses are loopback unless allowed', () => {
    assert.deepEqual(validateListenAddress('127.0.0.1:5432'), { host: '127.0.0.1', port: 5432 });
    assert.deepEqual(validateListenAddress('localhost:0'), { host: 'localhost', port: 0 });
    rejects(() => validateListenAddress('0.0.0.0:5432'), 'listen_addr');
    assert.deepEqual(
      validateListenAddress('0.0.0.0:5432', 'listen_addr', { allowNonLoopback: true }),
      {
        host: '0.0.0.0',
        port: 5432,
      },
    );
    rejects(() => validateListenAddress('127.0.0.1:70000'), 'listen_addr');
  });

  it('ports are integers in range', () => {
    rejects(() => validatePort(0), 'port');
    rejects(() => validatePort(1.5), 'port');
    rejects(() => validatePort('80; rm'), 'port');
    assert.equal(validatePort(0, 'port', { allowZero: true }), 0);
  });

  it('labels need key=value and no commas', () => {
    rejects(() => validateLabel('env'), 'label');
    rejects(() => validateLabel('=dev'), 'label');
    rejects(() => validateLabel('env=dev,x=y'), 'label');
    rejects(() => validateLabelSelector('env=dev,--all'), 'labels');
  });

  it('a label map becomes a sorted selector', () => {
    assert.equal(labelSelectorFromMap({ team: 'db', env: 'dev' }), 'env=dev,team=db');
  });

  it('tool patterns: bad regexes and trait templates are refused', () => {
    rejects(() => validateMcpToolPattern('^a(b$'), 'mcp_tools');
    rejects(() => validateMcpToolPattern('{{internal.mcp_tools}}'), 'mcp_tools');
    rejects(() => validateMcpToolPattern('a,b'), 'mcp_tools');
  });

  it('db URIs: only the teleport scheme and known parameters', () => {
    rejects(() => validateMcpDbUri('postgres://clusters/root/databases/pg'), 'uri');
    rejects(() => validateMcpDbUri('teleport://clusters/root/databases/pg?host=evil'), 'uri');
    rejects(() => validateMcpDbUri('teleport://clusters/root/databases/pg?dbUser=-x'), 'uri');
  });
});
