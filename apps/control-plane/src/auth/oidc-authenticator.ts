// OIDC/JWT access tokens (optional, `auth.oidc`): signature against the issuer's JWKS (fetched
// and cached by jose), issuer, audience, expiry with clock skew; the roles claim is mapped to
// tmcp roles.
import { Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import type { AuthenticatedActor } from './authenticated-actor.js';
import { rolesFromClaims } from './oidc-role-mapping.js';

type OidcConfig = NonNullable<ServerConfig['auth']['oidc']>;

@Injectable()
export class OidcAuthenticator {
  private readonly oidc: OidcConfig | undefined;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(@Inject(SERVER_CONFIG) config: ServerConfig) {
    this.oidc = config.auth.oidc;
    this.jwks =
      this.oidc === undefined
        ? undefined
        : createRemoteJWKSet(new URL(this.oidc.jwksUri), {
            timeoutDuration: 5_000,
            cooldownDuration: 30_000,
            cacheMaxAge: 10 * 60_000,
          });
  }

  get enabled(): boolean {
    return this.oidc !== undefined;
  }

  get issuer(): string | undefined {
    return this.oidc?.issuer;
  }

  async authenticate(token: string): Promise<AuthenticatedActor> {
    const oidc = this.oidc;
    const jwks = this.jwks;
    if (oidc === undefined || jwks === undefined) {
      throw new AppError('unauthenticated', 'invalid bearer token');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: oidc.issuer,
        audience: oidc.audience,
        clockTolerance: oidc.clockSkewSeconds,
      }));
    } catch (error) {
      throw refusal(error);
    }
    const subject = payload.sub;
    if (subject === undefined || subject === '') {
      throw new AppError('unauthenticated', 'the access token has no subject (sub claim)');
    }
    const roles = rolesFromClaims(payload, oidc);
    if (roles.length === 0) {
      throw new AppError(
        'access_denied',
        `the access token carries no ${oidc.rolesClaim} value mapped to a tmcp role; ask an admin to map your group in auth.oidc.role_mapping`,
      );
    }
    const email = typeof payload.email === 'string' ? payload.email : undefined;
    const username =
      typeof payload.preferred_username === 'string' ? payload.preferred_username : undefined;
    return {
      id: `oidc:${subject}`,
      name: email ?? username ?? subject,
      roles,
      kind: 'user',
      via: 'oidc',
      principalId: undefined,
    };
  }
}

function refusal(error: unknown): AppError {
  if (error instanceof joseErrors.JWTExpired) {
    return new AppError('unauthenticated', 'the access token has expired; get a new one', {
      cause: error,
    });
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return new AppError(
      'unauthenticated',
      `the access token was refused: ${error.claim} claim check failed`,
      {
        cause: error,
      },
    );
  }
  if (
    error instanceof joseErrors.JWKSTimeout ||
    (error instanceof Error && !(error instanceof joseErrors.JOSEError))
  ) {
    return new AppError(
      'unavailable',
      'cannot verify the access token right now (identity provider keys unreachable); try again',
      {
        cause: error,
        retryAfterMs: 5_000,
      },
    );
  }
  return new AppError('unauthenticated', 'invalid access token', { cause: error });
}
