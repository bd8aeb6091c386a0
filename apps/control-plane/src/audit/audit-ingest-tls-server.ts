// The HTTPS listener of audit.ingest_tls, for Teleport's event handler (its fluentd output speaks
// mTLS). The handshake completes only with a client certificate that chains to client_ca_file, and
// the listener serves the ingest routes and nothing else: /mcp, /metrics and the rest stay on the
// main port. Requests go to the same Express app, so the ingest guard sees `socket.authorized`.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { readConfiguredFile } from '../common/configured-file.js';

type IngestTlsConfig = NonNullable<ServerConfig['audit']['ingestTls']>;

/** `/audit/events` and `/audit/events/<tag>`, the routes of AuditIngestController. */
const INGEST_PATH = /^\/audit\/events(?:\/[^/?]*)?(?:\?.*)?$/;

export function createAuditIngestTlsServer(tls: IngestTlsConfig, app: RequestListener): Server {
  const options = {
    cert: readConfiguredFile('audit.ingest_tls.cert_file', tls.certFile),
    key: readConfiguredFile('audit.ingest_tls.key_file', tls.keyFile),
    ca: readConfiguredFile('audit.ingest_tls.client_ca_file', tls.clientCaFile),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2' as const,
  };
  try {
    return createServer(options, (req: IncomingMessage, res: ServerResponse) => {
      if (INGEST_PATH.test(req.url ?? '')) {
        app(req, res);
        return;
      }
      res.writeHead(404, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      });
      res.end(
        JSON.stringify({
          error: { code: 'not_found', message: 'this port serves only POST /audit/events' },
        }),
      );
    });
  } catch (error) {
    throw new AppError(
      'precondition_failed',
      `audit.ingest_tls: cert_file, key_file and client_ca_file must be PEM files of a matching certificate and key and a CA (${error instanceof Error ? error.message : 'invalid'})`,
      { cause: error },
    );
  }
}
