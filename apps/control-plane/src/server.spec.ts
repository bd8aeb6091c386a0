// Integration (real PostgreSQL and Redis): the HTTP surface startServer() assembles — /metrics
// behind its scrape token, /mcp in the request log and HTTP metrics with its auth refusals
// counted, and the audit ingest mTLS listener.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseServerConfig } from '@tmcp/config';
import { CertificateAuthority } from './agents/certificate-authority.js';
import { makeCsr } from './agents/fake-agent.testing.js';
import { systemClock } from './common/clock.js';
import { connectDataSource } from './database/data-source.js';
import { PrincipalEntity, RoleEntity } from './database/entities/index.js';
import { createLogger } from './logging/create-logger.js';
import { PrincipalsService } from './principals/principals.service.js';
import { startServer, type RunningServer } from './server.js';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './testing/test-database.js';

const METRICS_TOKEN = `metrics-${randomBytes(12).toString('hex')}`;

interface ClientIdentity {
  certPem: string;
  keyPem: string;
}

/** A client certificate signed by `ca` (clientAuth, like the event handler's). */
async function clientIdentity(ca: CertificateAuthority): Promise<ClientIdentity> {
  const { csrPem, keyPem } = await makeCsr();
  const cert = await ca.signAgentCsr(csrPem, 'teleport-event-handler', 3600);
  return { certPem: cert.pem, keyPem };
}

/** POSTs one event over TLS; resolves with the status, or rejects when the handshake fails. */
function postOverTls(
  port: number,
  caPem: string,
  identity: ClientIdentity | undefined,
  body: string,
  urlPath = '/audit/events',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: 'POST',
        ca: caPem,
        servername: 'localhost',
        ...(identity === undefined ? {} : { cert: identity.certPem, key: identity.keyPem }),
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function event(uid: string): string {
  return JSON.stringify({
    code: 'T1000I',
    event: 'user.login',
    time: new Date().toISOString(),
    uid,
    user: 'alice',
    success: true,
    cluster_name: 'teleport.example.com',
  });
}

describe('startServer: HTTP surface', () => {
  let db: TestDatabase;
  let dir: string;
  let server: RunningServer;
  let ca: CertificateAuthority;
  let foreignCa: CertificateAuthority;
  let apiKey: string;
  const logLines: Record<string, unknown>[] = [];
  const redisPrefix = `tmcp-t-${randomBytes(4).toString('hex')}`;

  before(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'tmcp-server-spec-'));
    ca = await CertificateAuthority.loadOrCreate(path.join(dir, 'ingest-ca'));
    foreignCa = await CertificateAuthority.loadOrCreate(path.join(dir, 'foreign-ca'));
    const serverCert = await ca.issueServerCertificate(['127.0.0.1']);
    const files = {
      cert: path.join(dir, 'ingest.crt'),
      key: path.join(dir, 'ingest.key'),
      clientCa: path.join(dir, 'client-ca.crt'),
    };
    writeFileSync(files.cert, serverCert.certPem);
    writeFileSync(files.key, serverCert.keyPem);
    writeFileSync(files.clientCa, ca.certificatePem);

    const config = parseServerConfig({
      database: { url: db.url },
      redis: { url: TEST_REDIS_URL, key_prefix: redisPrefix },
      service: { host: '127.0.0.1', port: 0, max_body_bytes: 4096 },
      grpc: { host: '127.0.0.1', port: 0 },
      agent_service: { host: '127.0.0.1', port: 0, ca_dir: path.join(dir, 'agent-ca') },
      metrics: { bearer_token: METRICS_TOKEN },
      audit: {
        ingest_tls: {
          host: '127.0.0.1',
          port: 0,
          cert_file: files.cert,
          key_file: files.key,
          client_ca_file: files.clientCa,
        },
      },
    });
    const logger = createLogger('info', {
      write(line: string) {
        logLines.push(JSON.parse(line) as Record<string, unknown>);
      },
    });
    server = await startServer(config, logger);

    const dataSource = await connectDataSource(db.config, logger);
    try {
      const principals = new PrincipalsService(
        dataSource.getRepository(PrincipalEntity),
        dataSource.getRepository(RoleEntity),
        systemClock,
        { N: 1024, r: 8, p: 1 },
      );
      apiKey = (await principals.create({ name: 'reader', kind: 'user', role: 'readonly' })).apiKey;
    } finally {
      await dataSource.destroy();
    }
  });

  after(async () => {
    await server?.close();
    await db?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${server.httpUrl}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    assert.equal(res.status, 200);
    return res.text();
  };

  /** The value of one series in a scrape, 0 when absent. */
  const sample = (scrapeText: string, series: string): number => {
    const line = scrapeText.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };

  describe('/metrics', () => {
    it('refuses a scrape without the bearer token (401 with a challenge)', async () => {
      const res = await fetch(`${server.httpUrl}/metrics`);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'unauthenticated');
    });

    it('refuses a wrong token and an API key of the MCP gateway', async () => {
      for (const token of [`${METRICS_TOKEN}x`, apiKey]) {
        const res = await fetch(`${server.httpUrl}/metrics`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(res.status, 401);
        await res.body?.cancel();
      }
    });

    it('serves the Prometheus exposition with the token', async () => {
      const res = await fetch(`${server.httpUrl}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      assert.match(text, /^# HELP tmcp_http_requests_total /m);
      assert.ok(
        sample(text, 'tmcp_auth_failures_total{endpoint="metrics",reason="missing_token"}') >= 1,
      );
      assert.ok(
        sample(text, 'tmcp_auth_failures_total{endpoint="metrics",reason="invalid_token"}') >= 2,
      );
    });

    it('keeps /healthz anonymous', async () => {
      const res = await fetch(`${server.httpUrl}/healthz`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    });
  });

  describe('/mcp in the request log and the HTTP metrics', () => {
    const post = (headers: Record<string, string>, body?: string): Promise<Response> =>
      fetch(`${server.httpUrl}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: body ?? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });

    const mcpLogLines = (): Record<string, unknown>[] =>
      logLines.filter((l) => l.msg === 'request' && l.path === '/mcp');

    it('logs and counts refusals by reason, without the Authorization header', async () => {
      const before = await scrape();
      const seen = mcpLogLines().length;
      const badKey = `tmcp_${'x'.repeat(40)}`;
      const refusals: { headers: Record<string, string>; status: number; reason: string }[] = [
        { headers: {}, status: 401, reason: 'missing_token' },
        { headers: { authorization: `Bearer ${badKey}` }, status: 401, reason: 'invalid_token' },
        {
          headers: { authorization: `Bearer ${apiKey}`, origin: 'https://evil.example' },
          status: 403,
          reason: 'forbidden_origin',
        },
      ];
      for (const refusal of refusals) {
        const res = await post({ 'x-request-id': `req-${refusal.reason}`, ...refusal.headers });
        assert.equal(res.status, refusal.status, refusal.reason);
        assert.equal(res.headers.get('x-request-id'), `req-${refusal.reason}`);
        await res.body?.cancel();
      }
      const after = await scrape();
      for (const { reason } of refusals) {
        const series = `tmcp_auth_failures_total{endpoint="mcp",reason="${reason}"}`;
        assert.equal(sample(after, series) - sample(before, series), 1, reason);
      }
      const unauthorized = 'tmcp_http_requests_total{route="/mcp",method="POST",status="401"}';
      assert.equal(sample(after, unauthorized) - sample(before, unauthorized), 2);

      const lines = mcpLogLines().slice(seen);
      assert.deepEqual(
        lines.map((l) => [l.req_id, l.method, l.status]),
        refusals.map((r) => [`req-${r.reason}`, 'POST', r.status]),
      );
      for (const line of lines) {
        assert.equal(line.actor, undefined);
        assert.equal(typeof line.duration_ms, 'number');
      }
      const logged = JSON.stringify(logLines);
      assert.ok(!logged.includes(badKey), 'a presented token reached the log');
      assert.ok(!logged.includes(apiKey), 'an API key reached the log');
    });

    it('logs the actor of an authenticated request, and a 413 after authentication', async () => {
      const seen = mcpLogLines().length;
      const ok = await post(
        { authorization: `Bearer ${apiKey}`, 'mcp-protocol-version': '2025-11-25' },
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'spec', version: '1' },
          },
        }),
      );
      assert.equal(ok.status, 200);
      await ok.text();
      const large = await post(
        { authorization: `Bearer ${apiKey}` },
        JSON.stringify({
          jsonrpc: '2.0',
          id: 2,
          method: 'ping',
          params: { pad: 'x'.repeat(8192) },
        }),
      );
      assert.equal(large.status, 413);
      await large.body?.cancel();

      const lines = mcpLogLines().slice(seen);
      assert.deepEqual(
        lines.map((l) => [l.status, l.actor]),
        [
          [200, 'reader'],
          [413, 'reader'],
        ],
      );
      const text = await scrape();
      assert.ok(
        sample(text, 'tmcp_http_requests_total{route="/mcp",method="POST",status="413"}') >= 1,
      );
    });
  });

  describe('audit ingest over mTLS', () => {
    it('accepts an event from a client certificate signed by the client CA', async () => {
      const port = server.auditIngestTlsPort;
      assert.ok(port !== undefined);
      const res = await postOverTls(
        port,
        ca.certificatePem,
        await clientIdentity(ca),
        event('11111111-1111-4111-8111-111111111111'),
      );
      assert.equal(res.status, 200, res.body);
      assert.equal((JSON.parse(res.body) as { accepted: boolean }).accepted, true);
    });

    it('refuses the handshake without a client certificate', async () => {
      const port = server.auditIngestTlsPort ?? 0;
      await assert.rejects(
        postOverTls(
          port,
          ca.certificatePem,
          undefined,
          event('22222222-2222-4222-8222-222222222222'),
        ),
      );
    });

    it('refuses a client certificate of another CA', async () => {
      const port = server.auditIngestTlsPort ?? 0;
      await assert.rejects(
        postOverTls(
          port,
          ca.certificatePem,
          await clientIdentity(foreignCa),
          event('33333333-3333-4333-8333-333333333333'),
        ),
      );
    });

    it('serves nothing but the ingest routes on the TLS port', async () => {
      const port = server.auditIngestTlsPort ?? 0;
      const res = await postOverTls(
        port,
        ca.certificatePem,
        await clientIdentity(ca),
        '{}',
        '/mcp',
      );
      assert.equal(res.status, 404);
    });

    it('does not accept ingest on the plain port without a token', async () => {
      const res = await fetch(`${server.httpUrl}/audit/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: event('44444444-4444-4444-8444-444444444444'),
      });
      assert.equal(res.status, 503);
      await res.body?.cancel();
    });
  });
});
