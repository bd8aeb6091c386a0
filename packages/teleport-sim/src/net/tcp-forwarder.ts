// A local TCP listener that forwards every connection to a target (optionally over TLS), and
// can be closed with all its connections — the data path of `tsh proxy db|app`.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { TeleportError } from '../cli/teleport-error.js';

export interface ForwardTarget {
  host: string;
  port: number;
  tls?: { rejectUnauthorized: boolean; servername?: string };
}

export class TcpForwarder {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(
    private readonly target: ForwardTarget,
    private readonly onConnection: (client: Socket) => void = () => undefined,
  ) {
    this.server = createServer((client) => this.forward(client));
  }

  /** Binds `host:port` (0 = random) and returns the port. */
  listen(host: string, port: number): Promise<number> {
    return listenOn(this.server, host, port);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return closeServer(this.server);
  }

  private forward(client: Socket): void {
    this.onConnection(client);
    const upstream = this.target.tls
      ? tlsConnect({ host: this.target.host, port: this.target.port, ...this.target.tls })
      : connect({ host: this.target.host, port: this.target.port });
    this.track(client);
    this.track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const teardown = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', teardown);
    upstream.on('error', teardown);
    client.on('close', teardown);
    upstream.on('close', teardown);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}

export function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const reason = err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.message;
      reject(new TeleportError('internal', `listen tcp ${host}:${port}: ${reason}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    if ('closeAllConnections' in server && typeof server.closeAllConnections === 'function') {
      (server.closeAllConnections as () => void)();
    }
  });
}
