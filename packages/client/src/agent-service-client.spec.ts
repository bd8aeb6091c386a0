// The agent client against a real grpc-js server over TLS on 127.0.0.1: trust by CA pin, by CA
// PEM, refusal without either, mutual TLS identity, and the generated key and CSR.
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import * as grpc from '@grpc/grpc-js';
import { AppError } from '@tmcp/errors';
import { AgentService, addGrpcService } from '@tmcp/proto';
import { createAgentServiceClient, type AgentServiceClient } from './agent-service-client.js';
import { generateAgentKeyAndCsr } from './agent-key-and-csr.js';
import { caPinOf, normalizeCaPin } from './ca-pin.js';
import { TestPki } from './testing/test-pki.js';

describe('generateAgentKeyAndCsr', () => {
  it('creates a P-256 key and a CSR for it with the name as subject', async () => {
    const { keyPem, csrPem } = await generateAgentKeyAndCsr('jumpbox-1');
    const key = createPrivateKey(keyPem);
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    assert.equal(csr.subject, 'CN=jumpbox-1');
    assert.equal(await csr.verify(), true);
  });

  for (const name of ['', '-flag', 'a b', 'x'.repeat(64)]) {
    it(`refuses the name ${JSON.stringify(name)}`, async () => {
      await assert.rejects(generateAgentKeyAndCsr(name), { code: 'bad_parameter' });
    });
  }
});

describe('normalizeCaPin', () => {
  const hex = 'ab'.repeat(32);
  for (const input of [
    hex,
    `sha256:${hex}`,
    `SHA256:${hex.toUpperCase()}`,
    hex.replace(/(..)(?!$)/g, '$1:'),
  ]) {
    it(`accepts ${input.slice(0, 16)}…`, () => assert.equal(normalizeCaPin(input), hex));
  }
  it('refuses a short pin', () =>
    assert.throws(() => normalizeCaPin('sha256:abcd'), { code: 'bad_parameter' }));
});

describe('createAgentServiceClient', () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let server: grpc.Server;
  let address: string;
  const clients: AgentServiceClient[] = [];

  before(async () => {
    pki = await TestPki.create();
    otherPki = await TestPki.create('another-ca');
    const serverCert = await pki.issueServerCert();
    const provider: grpc.experimental.CertificateProvider = {
      addCaCertificateListener: (l) =>
        queueMicrotask(() => l({ caCertificate: Buffer.from(pki.caPem) })),
      removeCaCertificateListener: () => undefined,
      addIdentityCertificateListener: (l) =>
        queueMicrotask(() =>
          l({
            certificate: Buffer.from(serverCert.certPem),
            privateKey: Buffer.from(serverCert.keyPem),
          }),
        ),
      removeIdentityCertificateListener: () => undefined,
    };
    server = new grpc.Server();
    addGrpcService(server, AgentService, {
      enroll: (request) => {
        if (request.joinToken !== 'good')
          throw new AppError(
            'access_denied',
            'the join token is invalid or was already used; ask an admin for a new one',
          );
        return { agentId: 'agent-1' };
      },
      renewCertificate: (_request, ctx) => ({
        agentId: String(ctx.peerCertificate?.subject.CN ?? 'none'),
      }),
      // eslint-disable-next-line require-yield
      async *connect() {
        await Promise.resolve();
        throw new AppError('not_implemented', 'not in this test');
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false),
        (err, p) => (err ? reject(err) : resolve(p)),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  after(async () => {
    for (const c of clients) c.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  const track = (c: AgentServiceClient): AgentServiceClient => (clients.push(c), c);

  it('trusts the server by CA pin alone and maps server errors to AppError', async () => {
    const client = track(await createAgentServiceClient({ address, caPin: `sha256:${pki.caPin}` }));
    assert.equal((await client.enroll({ joinToken: 'good' })).agentId, 'agent-1');
    await assert.rejects(client.enroll({ joinToken: 'reused' }), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'access_denied');
      assert.match(err.message, /join token is invalid/);
      return true;
    });
  });

  it('refuses a server whose chain does not match the pin', async () => {
    await assert.rejects(createAgentServiceClient({ address, caPin: otherPki.caPin }), {
      code: 'unauthenticated',
      message: /no certificate matching the CA pin/,
    });
  });

  it('fails the call when the CA given does not sign the server certificate', async () => {
    const client = track(
      await createAgentServiceClient({ address, caPem: otherPki.caPem, defaultDeadlineMs: 5_000 }),
    );
    await assert.rejects(client.enroll({ joinToken: 'good' }), { code: 'unavailable' });
  });

  it('fails the call when the CA matches but the pin does not', async () => {
    const client = track(
      await createAgentServiceClient({
        address,
        caPem: pki.caPem,
        caPin: otherPki.caPin,
        defaultDeadlineMs: 5_000,
      }),
    );
    await assert.rejects(client.enroll({ joinToken: 'good' }), { code: 'unavailable' });
  });

  it('refuses to build a client that trusts nothing unless told to skip verification', async () => {
    await assert.rejects(createAgentServiceClient({ address }), {
      code: 'bad_parameter',
      message: /ca pin/i,
    });
    const client = track(await createAgentServiceClient({ address, insecureSkipVerify: true }));
    assert.equal((await client.enroll({ joinToken: 'good' })).agentId, 'agent-1');
  });

  it('presents the agent certificate for mutual TLS', async () => {
    const agent = await pki.issueClientCert('agent-42');
    const client = track(
      await createAgentServiceClient({
        address,
        caPem: pki.caPem,
        keyPem: agent.keyPem,
        certPem: agent.certPem,
      }),
    );
    assert.equal((await client.renewCertificate({})).agentId, 'agent-42');
  });

  it('explains when a server sends no CA in its chain, so a pin alone cannot work', async () => {
    const { keyPem, certPem } = await pki.issueServerCert();
    const leafOnly = certPem.slice(0, certPem.indexOf('-----END CERTIFICATE-----') + 25);
    const other = new grpc.Server();
    addGrpcService(other, AgentService, {
      enroll: () => ({ agentId: 'x' }),
      renewCertificate: () => ({ agentId: 'x' }),
      // eslint-disable-next-line require-yield
      async *connect() {
        await Promise.resolve();
        throw new AppError('not_implemented', 'not in this test');
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      other.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createSsl(null, [
          { private_key: Buffer.from(keyPem), cert_chain: Buffer.from(leafOnly) },
        ]),
        (err, p) => (err ? reject(err) : resolve(p)),
      ),
    );
    try {
      await assert.rejects(
        createAgentServiceClient({ address: `127.0.0.1:${port}`, caPin: pki.caPin }),
        {
          code: 'unauthenticated',
          message: /sends only its own certificate.*--ca-file/,
        },
      );
    } finally {
      other.forceShutdown();
    }
  });

  it('reports an unreachable server as unavailable', async () => {
    await assert.rejects(createAgentServiceClient({ address: '127.0.0.1:1', caPin: pki.caPin }), {
      code: 'unavailable',
      message: /cannot reach the control plane/,
    });
  });

  it('computes the pin of a PEM certificate as sha256 of its DER', () => {
    assert.equal(
      caPinOf(pki.caPem),
      new X509Certificate(pki.caPem).fingerprint256.replaceAll(':', '').toLowerCase(),
    );
  });
});
