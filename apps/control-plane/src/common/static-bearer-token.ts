// A shared secret presented as `Authorization: Bearer <token>` by a machine client (Prometheus,
// Teleport's event handler). Only a digest is kept, and digests are compared: equal lengths,
// constant time, so neither the token nor its length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

export type BearerTokenCheck = 'ok' | 'missing' | 'invalid';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export class StaticBearerToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  /** `missing`: no Authorization header or not a Bearer one; `invalid`: another token. */
  check(header: string | undefined): BearerTokenCheck {
    const presented = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (presented === undefined) return 'missing';
    return timingSafeEqual(sha256(presented), this.digest) ? 'ok' : 'invalid';
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
