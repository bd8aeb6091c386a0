import { loadServerConfig } from '@tmcp/config';
import { createLogger } from '../../logging/create-logger.js';
import { startServer } from '../../server.js';
import type { CliIo } from '../cli-io.js';

export interface ServeOptions {
  config?: string | undefined;
}

/** Serves until SIGTERM or SIGINT, then shuts down gracefully and returns. */
export async function serveCommand(options: ServeOptions, io: CliIo): Promise<void> {
  const config = loadServerConfig({ file: options.config, env: io.env });
  const logger = createLogger(config.service.logLevel);
  const server = await startServer(config, logger);
  const signal = await firstSignal(['SIGTERM', 'SIGINT']);
  logger.info({ signal }, 'shutting down');
  await server.close();
  logger.info('stopped');
}

function firstSignal(signals: NodeJS.Signals[]): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handlers = signals.map((signal) => {
      const handler = (): void => {
        // A second signal during shutdown gets Node's default: immediate termination.
        for (const [other, h] of handlers) process.off(other, h);
        resolve(signal);
      };
      process.on(signal, handler);
      return [signal, handler] as const;
    });
  });
}
