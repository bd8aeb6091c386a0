// One entry point for `Authorization` headers: API keys (`tmcp_…`) go to the principals,
// anything else to OIDC when it is configured. Throws AppError: `unauthenticated` (401),
// `access_denied` (403, valid token without a tmcp role) or `unavailable` (503).
import { Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { API_KEY_PREFIX } from '../principals/api-key.js';
import { ApiKeyAuthenticator } from './api-key-authenticator.js';
import type { AuthenticatedActor } from './authenticated-actor.js';
import { parseAuthorizationHeader } from './authorization-header.js';
import { OidcAuthenticator } from './oidc-authenticator.js';

export class AuthenticationError extends AppError {
  /** Whether a token was presented (then WWW-Authenticate carries error="invalid_token"). */
  readonly tokenPresented: boolean;

  constructor(error: AppError, tokenPresented: boolean) {
    super(error.code, error.message, {
      cause: error.cause ?? error,
      ...(error.details === undefined ? {} : { details: error.details }),
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    });
    this.tokenPresented = tokenPresented;
  }
}

@Injectable()
export class BearerAuthenticator {
  private readonly apiKeysEnabled: boolean;

  constructor(
    @Inject(SERVER_CONFIG) config: ServerConfig,
    private readonly apiKeys: ApiKeyAuthenticator,
    private readonly oidc: OidcAuthenticator,
  ) {
    this.apiKeysEnabled = config.auth.apiKeys.enabled;
  }

  /** Throws AuthenticationError. */
  async authenticate(header: string | string[] | undefined | null): Promise<AuthenticatedActor> {
    const parsed = parseAuthorizationHeader(header);
    if (parsed.kind === 'none') {
      throw new AuthenticationError(
        new AppError(
          'unauthenticated',
          'authentication required: send "Authorization: Bearer <API key or access token>"',
        ),
        false,
      );
    }
    if (parsed.kind === 'malformed') {
      throw new AuthenticationError(
        new AppError('unauthenticated', `bad Authorization header: ${parsed.problem}`),
        true,
      );
    }
    try {
      if (parsed.token.startsWith(API_KEY_PREFIX) && this.apiKeysEnabled) {
        return await this.apiKeys.authenticate(parsed.token);
      }
      if (this.oidc.enabled) return await this.oidc.authenticate(parsed.token);
      throw new AppError('unauthenticated', 'invalid bearer token');
    } catch (error) {
      const appError = error instanceof AppError ? error : AppError.internal(error);
      throw new AuthenticationError(appError, true);
    }
  }
}
