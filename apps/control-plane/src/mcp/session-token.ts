// 2025-era `Mcp-Session-Id` values as self-verifying tokens (RFD 0002): any replica holding the
// shared key checks MAC, expiry and owner, so no replica keeps a session table. Only DELETE
// needs shared state (the revocation list in Redis). Signed, not encrypted: the claims are
// readable by the holder, so they carry the actor id and nothing secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export interface SessionClaims {
  /** The actor the session was opened for; anyone else presenting it gets 404. */
  readonly sub: string;
  /** Protocol version negotiated at initialize. */
  readonly pv: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /** Unique id: what DELETE revokes and what operations record as session_id. */
  readonly jti: string;
}

const claimsSchema = z.strictObject({
  sub: z.string().min(1).max(300),
  pv: z.string().min(1).max(32),
  exp: z.number().int().positive(),
  jti: z.string().regex(/^[A-Za-z0-9_-]{16}$/),
});

export const MIN_SESSION_KEY_BYTES = 32;
const VERSION = 's1';
const DOMAIN = 'tmcp mcp-session v1:';

export class SessionTokenCodec {
  constructor(
    private readonly key: Buffer,
    private readonly ttlSeconds: number,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    if (key.length < MIN_SESSION_KEY_BYTES) {
      throw new RangeError(`the session key must be at least ${MIN_SESSION_KEY_BYTES} bytes`);
    }
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
      throw new RangeError('the session TTL must be a positive whole number of seconds');
    }
  }

  mint(sub: string, pv: string): { token: string; claims: SessionClaims } {
    const claims: SessionClaims = {
      sub,
      pv,
      exp: this.nowSeconds() + this.ttlSeconds,
      jti: randomBytes(12).toString('base64url'),
    };
    const body = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
    return { token: `${VERSION}.${body}.${this.mac(body)}`, claims };
  }

  /** The claims of a genuine, unexpired token; undefined for anything else. */
  verify(token: string): SessionClaims | undefined {
    if (token.length > 1024) return undefined;
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [version, body, mac] = parts as [string, string, string];
    if (version !== VERSION) return undefined;
    const want = Buffer.from(this.mac(body), 'utf8');
    const got = Buffer.from(mac, 'utf8');
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const parsed = claimsSchema.safeParse(raw);
    if (!parsed.success || parsed.data.exp <= this.nowSeconds()) return undefined;
    return parsed.data;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(DOMAIN).update(body).digest('base64url');
  }
}
