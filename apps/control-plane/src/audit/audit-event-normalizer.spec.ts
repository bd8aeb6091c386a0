import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import { derivedUid, normalizeAuditEvent } from './audit-event-normalizer.js';

// The MCP request example of TELEPORT.md §1.9, with the fields real stored events add.
const MCP_DENIED = {
  code: 'TMCP003E',
  ei: 0,
  event: 'mcp.session.request',
  namespace: 'default',
  server_id: 'a0518380-0d53-4188-ac8b-8ddd8103e45b',
  sid: '6593cf87-9839-4f18-abf8-c54873aaeb4e',
  time: '2025-05-23T11:11:11.555Z',
  uid: '80400ed9-644e-4a6e-ab99-b264b34d0f55',
  user: 'ai-user',
  app_name: 'mcp-everything',
  cluster_name: 'teleport.example.com',
  success: false,
  error: 'access denied',
  message: {
    id: 2,
    method: 'tools/call',
    params: { name: 'write_file', arguments: { path: '/etc/passwd' } },
    jsonrpc: '2.0',
  },
};

function badParameter(body: unknown): AppError {
  try {
    normalizeAuditEvent(body);
  } catch (error) {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'bad_parameter');
    return error;
  }
  assert.fail('expected a bad_parameter error');
}

describe('normalizeAuditEvent', () => {
  it('extracts the stored columns and keeps the whole event as raw', () => {
    const event = normalizeAuditEvent(MCP_DENIED);
    assert.deepEqual(
      { ...event, raw: undefined },
      {
        uid: '80400ed9-644e-4a6e-ab99-b264b34d0f55',
        event: 'mcp.session.request',
        code: 'TMCP003E',
        time: new Date('2025-05-23T11:11:11.555Z'),
        user: 'ai-user',
        success: false,
        cluster: 'teleport.example.com',
        raw: undefined,
      },
    );
    assert.deepEqual(event.raw, MCP_DENIED);
  });

  const successCases: {
    title: string;
    fields: Record<string, unknown>;
    success: boolean | null;
  }[] = [
    {
      title: 'explicit success wins over the code',
      fields: { code: 'T1000W', success: true },
      success: true,
    },
    { title: 'a W code without success is a failure', fields: { code: 'T1000W' }, success: false },
    { title: 'an E code without success is a failure', fields: { code: 'T3002E' }, success: false },
    { title: 'an I code without success is unknown', fields: { code: 'T1000I' }, success: null },
    { title: 'no code and no success is unknown', fields: {}, success: null },
    {
      title: 'a non-boolean success is ignored',
      fields: { code: 'T1000I', success: 'yes' },
      success: null,
    },
  ];
  for (const { title, fields, success } of successCases) {
    it(`success: ${title}`, () => {
      const event = normalizeAuditEvent({
        event: 'user.login',
        time: '2025-01-01T00:00:00Z',
        uid: 'u',
        ...fields,
      });
      assert.equal(event.success, success);
    });
  }

  it('tolerates optional fields of unexpected types and nanosecond timestamps', () => {
    const event = normalizeAuditEvent({
      event: 'session.start',
      time: '2025-05-23T11:11:11.123456789+02:00',
      uid: 'x',
      user: 42,
      code: ['T2000I'],
      cluster_name: '',
    });
    assert.equal(event.user, null);
    assert.equal(event.code, null);
    assert.equal(event.cluster, null);
    assert.equal(event.time.toISOString(), '2025-05-23T09:11:11.123Z');
  });

  it('derives a stable uid from the content when the event has none', () => {
    const a = normalizeAuditEvent({
      event: 'user.login',
      time: '2025-01-01T00:00:00Z',
      user: 'alice',
      b: { y: 1, x: 2 },
    });
    const b = normalizeAuditEvent({
      b: { x: 2, y: 1 },
      user: 'alice',
      time: '2025-01-01T00:00:00Z',
      event: 'user.login',
    });
    const c = normalizeAuditEvent({
      event: 'user.login',
      time: '2025-01-01T00:00:00Z',
      user: 'bob',
      b: { y: 1, x: 2 },
    });
    assert.match(a.uid, /^[0-9a-f]{64}$/);
    assert.equal(a.uid, b.uid, 'key order does not change the uid');
    assert.notEqual(a.uid, c.uid);
    assert.equal(a.uid, derivedUid(a.raw));
  });

  it('masks join tokens, token-named fields and secrets before storage', () => {
    const event = normalizeAuditEvent({
      event: 'join_token.create',
      code: 'TJT00I',
      time: '2025-01-01T00:00:00Z',
      uid: 'jt-1',
      user: 'admin',
      name: '4f8c1e0b9d2a7c6e5f4a3b2c1d0e9f8a',
      roles: ['Node'],
      join_method: 'token',
      nested: {
        token_name: 'abc123',
        password: 'hunter2',
        note: 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl',
      },
      tokens: ['t1', 't2'],
    });
    assert.equal(event.raw.name, '***');
    assert.deepEqual(event.raw.roles, ['Node']);
    assert.equal(event.raw.join_method, 'token');
    assert.equal(event.raw.tokens, '***');
    const nested = event.raw.nested as Record<string, unknown>;
    assert.equal(nested.token_name, '***');
    assert.equal(nested.password, '***');
    assert.ok(!JSON.stringify(event.raw).includes('eyJ'), 'no JWT left');
    assert.ok(!JSON.stringify(event.raw).includes('4f8c1e0b'), 'no join token left');
  });

  it('keeps the name of events that are not about tokens', () => {
    const event = normalizeAuditEvent({
      event: 'role.created',
      time: '2025-01-01T00:00:00Z',
      uid: 'r',
      name: 'auditor',
    });
    assert.equal(event.raw.name, 'auditor');
  });

  const rejections: { title: string; body: unknown; message: RegExp }[] = [
    { title: 'an array', body: [MCP_DENIED], message: /^body: must be one JSON object/ },
    { title: 'a string', body: 'user.login', message: /^body: must be one JSON object/ },
    { title: 'null', body: null, message: /^body: must be one JSON object/ },
    { title: 'no event', body: { time: '2025-01-01T00:00:00Z' }, message: /^event: is required/ },
    {
      title: 'an empty event',
      body: { event: ' ', time: '2025-01-01T00:00:00Z' },
      message: /^event: must not be empty/,
    },
    { title: 'no time', body: { event: 'user.login' }, message: /^time: is required/ },
    {
      title: 'a bad time',
      body: { event: 'user.login', time: 'yesterday' },
      message: /^time: must be an RFC 3339 timestamp/,
    },
    {
      title: 'a numeric uid',
      body: { event: 'user.login', time: '2025-01-01T00:00:00Z', uid: 7 },
      message: /^uid: must be a string/,
    },
  ];
  for (const { title, body, message } of rejections) {
    it(`rejects ${title} naming the field`, () => {
      assert.match(badParameter(body).message, message);
    });
  }
});
