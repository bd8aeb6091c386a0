// A stand-in identity provider for OIDC tests: an ES256 key pair, its JWKS served over real HTTP
// on 127.0.0.1:<random port>, and a signer for access tokens. A second, untrusted key pair signs
// tokens the control plane must refuse. Call stop() in `after`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

export interface TestOidcIssuer {
  /** The `iss` value of every token signed here (also the base URL of the server). */
  readonly issuer: string;
  readonly jwksUri: string;
  /** `kid` of the published key. */
  readonly kid: string;
  /** The published key, as served in the JWKS. */
  readonly publicJwk: JWK;
  /** How many times the JWKS was fetched. */
  jwksFetches(): number;
  /**
   * Signs `claims` as given (no defaults added). `key: 'untrusted'` uses a key absent from the
   * JWKS; `kid` overrides the header's key id (default: the published one).
   */
  sign(
    claims: JWTPayload,
    options?: { key?: 'trusted' | 'untrusted'; kid?: string },
  ): Promise<string>;
  stop(): Promise<void>;
}

export const TEST_OIDC_JWKS_PATH = '/jwks.json';

export async function startTestOidcIssuer(): Promise<TestOidcIssuer> {
  const trusted = await generateKeyPair('ES256');
  const untrusted = await generateKeyPair('ES256');
  const kid = 'tmcp-e2e-key-1';
  const publicJwk: JWK = { ...(await exportJWK(trusted.publicKey)), kid, alg: 'ES256', use: 'sig' };
  const jwks = JSON.stringify({ keys: [publicJwk] });
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === TEST_OIDC_JWKS_PATH) {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  return {
    issuer,
    jwksUri: `${issuer}${TEST_OIDC_JWKS_PATH}`,
    kid,
    publicJwk,
    jwksFetches: () => fetches,
    sign: (claims, options = {}) => {
      const key: CryptoKey =
        options.key === 'untrusted' ? untrusted.privateKey : trusted.privateKey;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: options.kid ?? kid })
        .sign(key);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
