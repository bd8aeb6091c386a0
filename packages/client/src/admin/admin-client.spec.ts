// The admin client against a real in-process AdminService: reads are retried while the server
// says `unavailable`, writes never are, and the key, reason and ticket reach the server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { AppError } from '@tmcp/errors';
import { AdminService, addGrpcService, type GrpcServiceImpl } from '@tmcp/proto';
import { TestPki } from '../testing/test-pki.js';
import { createAdminClient, type AdminClient } from './admin-client.js';

const notUsed = (): never => {
  throw new AppError('not_implemented', 'not used by this test');
};

describe('createAdminClient', () => {
  let server: grpc.Server;
  let address: string;
  let statusFailures = 0;
  let statusCalls = 0;
  let revokeCalls = 0;
  let seen: grpc.Metadata | undefined;
  let pki: TestPki;

  before(async () => {
    pki = await TestPki.create();
    const identity = await pki.issueServerCert();
    server = new grpc.Server();
    const impl = Object.fromEntries(AdminService.methods.map((m) => [m.localName, notUsed]));
    addGrpcService(server, AdminService, {
      ...(impl as unknown as GrpcServiceImpl<typeof AdminService>),
      getStatus: (_request, ctx) => {
        statusCalls++;
        seen = ctx.metadata;
        if (statusFailures > 0) {
          statusFailures--;
          throw new AppError('unavailable', 'database unavailable', { retryAfterMs: 1 });
        }
        return { serverVersion: '1.2.3' };
      },
      revokeJoinToken: () => {
        revokeCalls++;
        throw new AppError('unavailable', 'database unavailable');
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createSsl(
          null,
          [
            {
              cert_chain: Buffer.from(identity.certPem),
              private_key: Buffer.from(identity.keyPem),
            },
          ],
          false,
        ),
        (err, p) => (err === null ? resolve(p) : reject(err)),
      ),
    );
    address = `127.0.0.1:${port}`;
  });
  after(() => server.forceShutdown());

  const client = (overrides: Partial<Parameters<typeof createAdminClient>[0]> = {}): AdminClient =>
    createAdminClient({
      server: address,
      ca: pki.caPem,
      token: 'tmcp_key',
      reason: 'rotate — ticket ünïcode',
      ticket: 'CHG-1',
      sleep: () => Promise.resolve(),
      ...overrides,
    });

  it('retries an idempotent read while the server is unavailable, then succeeds', async () => {
    statusFailures = 2;
    statusCalls = 0;
    const c = client();
    try {
      const status = await c.getStatus({});
      assert.equal(status.serverVersion, '1.2.3');
      assert.equal(statusCalls, 3);
    } finally {
      c.close();
    }
  });

  it('gives up after the configured attempts with the server error', async () => {
    statusFailures = 10;
    statusCalls = 0;
    const c = client({ retry: { attempts: 2 } });
    try {
      await assert.rejects(c.getStatus({}), {
        code: 'unavailable',
        message: 'database unavailable',
      });
      assert.equal(statusCalls, 2);
    } finally {
      c.close();
      statusFailures = 0;
    }
  });

  it('never retries a write', async () => {
    revokeCalls = 0;
    const c = client();
    try {
      await assert.rejects(c.revokeJoinToken({ tokenId: 'x' }), { code: 'unavailable' });
      assert.equal(revokeCalls, 1);
    } finally {
      c.close();
    }
  });

  it('sends the bearer key and the percent-encoded reason and ticket', async () => {
    const c = client();
    try {
      await c.getStatus({});
      assert.equal(seen?.get('authorization')[0], 'Bearer tmcp_key');
      assert.equal(
        decodeURIComponent(String(seen?.get('x-tmcp-reason')[0])),
        'rotate — ticket ünïcode',
      );
      assert.equal(seen?.get('x-tmcp-ticket')[0], 'CHG-1');
    } finally {
      c.close();
    }
  });

  it('--insecure still speaks TLS, without verifying the certificate', async () => {
    const c = client({ ca: undefined, insecure: true });
    try {
      assert.equal((await c.getStatus({})).serverVersion, '1.2.3');
    } finally {
      c.close();
    }
  });

  it('refuses a server whose certificate the trusted roots do not vouch for', async () => {
    const c = client({ ca: undefined, retry: { attempts: 1 } });
    try {
      await assert.rejects(c.getStatus({}), {
        code: 'unavailable',
        message: /^cannot reach the control plane at 127\.0\.0\.1:\d+: .*certificate/,
      });
    } finally {
      c.close();
    }
  });

  it('says which server it could not reach', async () => {
    const c = createAdminClient({ server: '127.0.0.1:1', insecure: true, retry: { attempts: 1 } });
    try {
      await assert.rejects(c.getStatus({}), {
        code: 'unavailable',
        message: /^cannot reach the control plane at 127\.0\.0\.1:1: /,
      });
    } finally {
      c.close();
    }
  });

  const invalid: [string, Parameters<typeof createAdminClient>[0], RegExp][] = [
    ['no server', { server: undefined }, /^no server given: pass --server/],
    [
      'a server without a port',
      { server: 'cp.example.com' },
      /^server: "cp.example.com" is not host:port/,
    ],
    ['--insecure with --ca', { server: 'a:1', insecure: true, ca: '/x' }, /exclude each other/],
    [
      'an unreadable CA file',
      { server: 'a:1', ca: '/nonexistent/ca.pem' },
      /^ca: cannot read \/nonexistent\/ca.pem \(ENOENT\)/,
    ],
  ];
  for (const [title, options, message] of invalid) {
    it(`refuses ${title}`, () => {
      assert.throws(() => createAdminClient(options), { code: 'bad_parameter', message });
    });
  }
});
