// Stops an HTTP server the way an orchestrator expects on SIGTERM: no new connections, requests
// in flight may finish within the grace period, keep-alive connections are closed as soon as
// they go idle, and whatever is still open when the grace period ends is cut.
import type { Server } from 'node:http';
import type { Logger } from 'pino';

export class GracefulHttpClose {
  private closing = false;

  constructor(
    private readonly server: Server,
    private readonly logger: Logger,
  ) {
    server.on('request', (_req, res) => {
      if (this.closing) res.setHeader('Connection', 'close');
      // A response finishing during shutdown leaves its connection idle: close it now.
      res.once('finish', () => {
        if (this.closing) setImmediate(() => this.server.closeIdleConnections());
      });
    });
  }

  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const deadline = setTimeout(() => {
      this.logger.warn(
        { grace_ms: graceMs },
        'shutdown grace period over; closing open connections',
      );
      this.server.closeAllConnections();
    }, graceMs);
    try {
      await closed;
    } finally {
      clearTimeout(deadline);
    }
  }
}
