import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { CertificateAuthority } from '../agents/certificate-authority.js';
import { adminTransport } from './admin-transport-security.js';

describe('adminTransport', () => {
  const files: Record<string, string> = {
    '/tls/cert.pem': 'CERT',
    '/tls/key.pem': 'KEY',
    '/tls/ca.pem': 'CA',
  };
  const readFile = (path: string): Buffer => {
    const content = files[path];
    if (content === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return Buffer.from(content);
  };
  const dir = mkdtempSync(join(tmpdir(), 'admin-tls-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const internal = () => CertificateAuthority.loadOrCreate(dir);

  it('without TLS files, serves TLS with a certificate of the control plane CA that a client verifies', async () => {
    const ca = await internal();
    const transport = await adminTransport({ host: '127.0.0.1', port: 0, tls: {} }, ca, readFile);
    assert.equal(transport.caFile, join(dir, 'ca.crt'));
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', transport.credentials, (err, p) =>
        err === null ? resolve(p) : reject(err),
      ),
    );
    try {
      // A TLS handshake that checks the chain against ca.crt and the name 127.0.0.1.
      const peer = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({
          host: '127.0.0.1',
          port,
          ca: readFileSync(join(dir, 'ca.crt')),
          ALPNProtocols: ['h2'],
        });
        socket.once('secureConnect', () => {
          resolve(String(socket.getPeerCertificate().subject.CN));
          socket.destroy();
        });
        socket.once('error', reject);
      });
      assert.equal(peer, 'tmcp agent service');
    } finally {
      server.forceShutdown();
    }
  });

  it('with TLS files configured, uses them and names no internal CA file', async () => {
    const ca = await internal();
    const transport = await adminTransport(
      { host: '0.0.0.0', port: 0, tls: { certFile: '/tls/cert.pem', keyFile: '/tls/key.pem' } },
      ca,
      readFile,
    );
    assert.equal(transport.caFile, undefined);
  });

  it('reports an unreadable certificate file by its setting', async () => {
    await assert.rejects(
      adminTransport(
        {
          host: '0.0.0.0',
          port: 0,
          tls: { certFile: '/tls/missing.pem', keyFile: '/tls/key.pem' },
        },
        await internal(),
        readFile,
      ),
      {
        code: 'bad_parameter',
        message: 'grpc.tls.cert_file: cannot read /tls/missing.pem (ENOENT)',
      },
    );
  });

  it('with a client CA, still serves clients that present no certificate (asked, not required)', async () => {
    const ca = await internal();
    const transport = await adminTransport(
      { host: '127.0.0.1', port: 0, tls: { caFile: join(dir, 'ca.crt') } },
      ca,
      (file) => readFileSync(file),
    );
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', transport.credentials, (err, p) =>
        err === null ? resolve(p) : reject(err),
      ),
    );
    try {
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const socket = tls.connect({
          host: '127.0.0.1',
          port,
          ca: readFileSync(join(dir, 'ca.crt')),
          ALPNProtocols: ['h2'],
        });
        socket.once('secureConnect', () => {
          resolve(socket.authorized);
          socket.destroy();
        });
        socket.once('error', reject);
      });
      assert.equal(authorized, true);
    } finally {
      server.forceShutdown();
    }
  });

  it('reports an unreadable client CA file by its setting', async () => {
    await assert.rejects(
      adminTransport(
        { host: '127.0.0.1', port: 0, tls: { caFile: '/tls/missing-ca.pem' } },
        await internal(),
        readFile,
      ),
      {
        code: 'bad_parameter',
        message: 'grpc.tls.ca_file: cannot read /tls/missing-ca.pem (ENOENT)',
      },
    );
  });
});
