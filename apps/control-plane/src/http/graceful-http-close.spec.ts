import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { createLogger } from '../logging/create-logger.js';
import { GracefulHttpClose } from './graceful-http-close.js';

/** A server whose responses wait until the test releases them. */
async function startHeldServer(): Promise<{
  server: Server;
  port: number;
  arrived: Promise<void>;
  release: () => void;
}> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrivedResolve!: () => void;
  const arrived = new Promise<void>((resolve) => (arrivedResolve = resolve));
  const server = createServer((req, res) => {
    if (req.url === '/hold') {
      arrivedResolve();
      void released.then(() => res.end('done'));
    } else {
      res.end('quick');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, arrived, release };
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GracefulHttpClose', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it('lets a request in flight finish, then closes', async () => {
    const held = await startHeldServer();
    server = held.server;
    const sut = new GracefulHttpClose(held.server, createLogger('silent'));
    const inFlight = get(held.port, '/hold');
    await held.arrived;

    const closed = sut.close(60_000);
    assert.equal(held.server.listening, false, 'no new connections once closing');
    held.release();
    assert.deepEqual(await inFlight, { status: 200, body: 'done' });
    await closed;
  });

  it('cuts connections still open when the grace period ends', async () => {
    const held = await startHeldServer();
    server = held.server;
    const sut = new GracefulHttpClose(held.server, createLogger('silent'));
    const inFlight = get(held.port, '/hold');
    await held.arrived;

    await sut.close(10);
    await assert.rejects(inFlight, /socket hang up|ECONNRESET/);
  });
});
