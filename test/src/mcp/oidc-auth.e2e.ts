// End to end: OIDC access tokens against a real JWKS. A stand-in identity provider serves its
// keys over HTTP; the real tmcp-server (spawned, configured through TMCP_AUTH__OIDC__* only)
// fetches them with jose, checks issuer, audience, expiry and not-before with clock skew, maps the
// groups claim to tmcp roles, and refuses everything else with an RFC 6750 challenge that points
// at the RFC 9728 metadata. Clients: the official SDK v2 client and raw HTTP.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  Client,
  ProtocolError,
  SdkHttpError,
  StreamableHTTPClientTransport,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client';
import { SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import {
  createE2eDatabase,
  deleteRedisKeys,
  E2E_REDIS_URL,
  startControlPlane,
  startTestOidcIssuer,
  type ControlPlaneProcess,
  type E2eDatabase,
  type TestOidcIssuer,
} from '../support/index.js';

const AUDIENCE = 'tmcp-gateway';
const CLOCK_SKEW_SECONDS = 30;
/** Every tool the built-in readonly role may call (docs/policy.md; passthrough is off). */
const READONLY_TOOLS = [
  'list_nodes',
  'list_proxies',
  'list_roles',
  'list_users',
  'list_tokens',
  'list_cas',
  'get_auth_preference',
  'list_apps',
  'list_databases',
  'list_mcp_servers',
  'run_health_check',
  'scan_rbac',
  'diagnose_mcp_access',
  'search_audit',
  'detect_audit_anomalies',
  'list_access_requests',
  'show_access_request',
  'get_proxy_status',
  'get_proxy_logs',
  'list_proxies_leases',
].sort();

const TOOLS_LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

interface JsonRpcErrorBody {
  error: { code: number; message: string; data?: { code?: string } };
}

describe('OIDC access tokens against a real JWKS (end to end)', () => {
  let db: E2eDatabase;
  let idp: TestOidcIssuer;
  let server: ControlPlaneProcess;
  const redisPrefix = `tmcp-e2e-oidc-${randomBytes(4).toString('hex')}`;
  const clients: Client[] = [];

  before(async () => {
    idp = await startTestOidcIssuer();
    db = await createE2eDatabase();
    server = await startControlPlane({
      databaseUrl: db.url,
      redisUrl: E2E_REDIS_URL,
      redisKeyPrefix: redisPrefix,
      config: { service: { log_level: 'info' } },
      env: {
        TMCP_AUTH__OIDC__ISSUER: idp.issuer,
        TMCP_AUTH__OIDC__AUDIENCE: AUDIENCE,
        TMCP_AUTH__OIDC__JWKS_URI: idp.jwksUri,
        TMCP_AUTH__OIDC__ROLES_CLAIM: 'groups',
        // A map through the environment is a YAML flow mapping.
        TMCP_AUTH__OIDC__ROLE_MAPPING: '{tmcp-auditors: readonly, tmcp-operators: operator}',
        TMCP_AUTH__OIDC__CLOCK_SKEW_SECONDS: String(CLOCK_SKEW_SECONDS),
      },
      startTimeoutMs: 60_000,
    });
  });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await server?.stop();
    await deleteRedisKeys(redisPrefix);
    await db?.drop();
    await idp?.stop();
  });

  const now = (): number => Math.floor(Date.now() / 1000);

  /** Claims of a good token for `sub`, with `overrides` applied (undefined deletes a claim). */
  function claims(sub: string, overrides: Record<string, unknown> = {}): JWTPayload {
    const merged: Record<string, unknown> = {
      iss: idp.issuer,
      aud: AUDIENCE,
      sub,
      iat: now(),
      exp: now() + 600,
      groups: ['staff', 'tmcp-auditors'],
      ...overrides,
    };
    for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
    return merged;
  }

  async function connect(token: string, mode: VersionNegotiationMode): Promise<Client> {
    const client = new Client(
      { name: 'tmcp-e2e-oidc', version: '1.0.0' },
      { versionNegotiation: { mode } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    clients.push(client);
    return client;
  }

  function post(token: string, body = TOOLS_LIST): Promise<Response> {
    return fetch(server.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body,
    });
  }

  /** The auth-params of a `Bearer` challenge (RFC 6750 §3), or undefined for another scheme. */
  function bearerChallenge(header: string | null): Record<string, string> | undefined {
    if (header === null || !/^Bearer\s/i.test(header)) return undefined;
    const params: Record<string, string> = {};
    for (const m of header.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/gi)) {
      params[(m[1] ?? '').toLowerCase()] = m[2] ?? '';
    }
    return params;
  }

  const metadataUrl = (): string => `${server.baseUrl}/.well-known/oauth-protected-resource`;

  it('publishes the issuer as the authorization server (RFC 9728)', async () => {
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      const res = await fetch(`${server.baseUrl}${path}`);
      assert.equal(res.status, 200, path);
      const meta = (await res.json()) as { resource: string; authorization_servers?: string[] };
      assert.equal(meta.resource, server.mcpUrl, path);
      assert.deepEqual(meta.authorization_servers, [idp.issuer], path);
    }
  });

  for (const mode of ['legacy', { pin: '2026-07-28' }] as const) {
    const era = typeof mode === 'string' ? '2025' : '2026-07-28';
    it(`a token whose group maps to readonly lists exactly the read tools (${era})`, async () => {
      const client = await connect(await idp.sign(claims(`auditor-${era}`)), mode);
      const names = (await client.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(names, READONLY_TOOLS);
    });
  }

  it('a readonly token runs a read tool and is denied a mutating one, recorded as oidc:<sub>', async () => {
    const sub = `auditor-${randomBytes(4).toString('hex')}`;
    const client = await connect(
      await idp.sign(claims(sub, { email: `${sub}@example.com` })),
      'legacy',
    );
    const read = await client.callTool({ name: 'search_audit', arguments: { hours: 1 } });
    assert.notEqual(read.isError, true, JSON.stringify(read.content));

    await assert.rejects(
      client.callTool({
        name: 'create_access_request',
        arguments: { roles: ['auditor'], reason: 'e2e: must be refused for readonly' },
      }),
      (e: unknown) => e instanceof ProtocolError && e.code === -32003,
    );
    const rows = await db.query<{ tool: string; status: string; capability: string }>(
      `SELECT tool, status, capability FROM operations WHERE actor = $1 ORDER BY started_at`,
      [`oidc:${sub}`],
    );
    assert.deepEqual(rows, [
      { tool: 'search_audit', status: 'succeeded', capability: 'audit.search' },
      { tool: 'create_access_request', status: 'denied', capability: 'access_request.create' },
    ]);
  });

  it('honours the configured clock skew for exp and nbf', async () => {
    const justExpired = await idp.sign(claims('skew-exp', { exp: now() - 10 }));
    const almostValid = await idp.sign(claims('skew-nbf', { nbf: now() + 10 }));
    for (const token of [justExpired, almostValid]) {
      const res = await post(token);
      assert.equal(res.status, 200, await res.text());
    }
  });

  /** Tokens that must be refused with 401 invalid_token, and what the message must say. */
  const refused: {
    name: string;
    token: () => Promise<string>;
    message: RegExp;
  }[] = [
    {
      name: 'wrong audience',
      token: () => idp.sign(claims('bad-aud', { aud: 'another-api' })),
      message: /aud claim/,
    },
    {
      name: 'wrong issuer',
      token: () => idp.sign(claims('bad-iss', { iss: 'https://evil.example/realms/tmcp' })),
      message: /iss claim/,
    },
    {
      name: 'expired beyond the clock skew',
      token: () =>
        idp.sign(claims('expired', { iat: now() - 3600, exp: now() - 3 * CLOCK_SKEW_SECONDS })),
      message: /expired/,
    },
    {
      name: 'not yet valid beyond the clock skew',
      token: () => idp.sign(claims('early', { nbf: now() + 3 * CLOCK_SKEW_SECONDS })),
      message: /nbf claim/,
    },
    {
      name: 'signed by a key absent from the JWKS',
      token: () => idp.sign(claims('rogue'), { key: 'untrusted', kid: 'rogue-key' }),
      message: /invalid access token/,
    },
    {
      name: "signed by another key under the published key's kid",
      token: () => idp.sign(claims('rogue-kid'), { key: 'untrusted' }),
      message: /invalid access token/,
    },
    {
      name: 'alg none',
      token: () => Promise.resolve(new UnsecuredJWT(claims('unsigned')).encode()),
      message: /invalid access token/,
    },
    {
      name: 'HS256 keyed with the public key (algorithm confusion)',
      token: () =>
        new SignJWT(claims('confused'))
          .setProtectedHeader({ alg: 'HS256', kid: idp.kid })
          .sign(new TextEncoder().encode(JSON.stringify(idp.publicJwk))),
      message: /invalid access token/,
    },
    {
      name: 'payload edited after signing (groups raised to operator)',
      token: async () => {
        const [header, , signature] = (await idp.sign(claims('tamper'))).split('.');
        const payload = Buffer.from(
          JSON.stringify(claims('tamper', { groups: ['tmcp-operators'] })),
        ).toString('base64url');
        return `${header}.${payload}.${signature}`;
      },
      message: /invalid access token/,
    },
    {
      name: 'no subject',
      token: () => idp.sign(claims('ignored', { sub: undefined })),
      message: /subject/,
    },
    {
      name: 'not a JWT at all',
      token: () => Promise.resolve('definitely-not-a-jwt'),
      message: /invalid (access|bearer) token/,
    },
  ];

  for (const c of refused) {
    it(`refuses a token: ${c.name} → 401 invalid_token with the metadata URL`, async () => {
      const res = await post(await c.token());
      const body = (await res.json()) as JsonRpcErrorBody;
      assert.equal(res.status, 401, JSON.stringify(body));
      const challenge = bearerChallenge(res.headers.get('www-authenticate'));
      assert.ok(challenge, `a Bearer challenge, got ${res.headers.get('www-authenticate')}`);
      assert.equal(challenge.error, 'invalid_token');
      assert.equal(challenge.resource_metadata, metadataUrl());
      assert.equal(body.error.data?.code, 'unauthenticated');
      assert.match(body.error.message, c.message);
    });
  }

  it('the SDK client reports a refused token as HTTP 401 with the reason', async () => {
    const expired = await idp.sign(claims('sdk-expired', { exp: now() - 3600 }));
    const client = new Client({ name: 'tmcp-e2e-oidc', version: '1.0.0' });
    await assert.rejects(
      client.connect(
        new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
          requestInit: { headers: { Authorization: `Bearer ${expired}` } },
        }),
      ),
      (e: unknown) =>
        e instanceof SdkHttpError && e.status === 401 && e.message.includes('expired'),
    );
    await client.close();
  });

  it('a valid token whose groups map to no role → 403 with an insufficient_scope challenge', async () => {
    const res = await post(await idp.sign(claims('marketing', { groups: ['marketing'] })));
    const body = (await res.json()) as JsonRpcErrorBody;
    assert.equal(res.status, 403, JSON.stringify(body));
    assert.equal(body.error.data?.code, 'access_denied');
    assert.match(body.error.message, /no groups value mapped to a tmcp role/);
    const challenge = bearerChallenge(res.headers.get('www-authenticate'));
    assert.ok(challenge, `a Bearer challenge, got ${res.headers.get('www-authenticate')}`);
    assert.equal(challenge.error, 'insufficient_scope');
    assert.equal(challenge.resource_metadata, metadataUrl());
    const rows = await db.query(`SELECT 1 FROM operations WHERE actor = 'oidc:marketing'`);
    assert.equal(rows.length, 0, 'refused before any operation');
  });

  it('fetched the JWKS over HTTP (and not once per request)', () => {
    assert.ok(idp.jwksFetches() >= 1);
    // Refetches happen only for an unknown kid, at most once per 30 s cooldown.
    assert.ok(idp.jwksFetches() <= 5, `JWKS fetched ${idp.jwksFetches()} times`);
  });
});
