// The error every simulated command fails with: its message is what Teleport prints after
// "ERROR: ", its exit code what the real binary returns (1 for every error, §0.1).

export type TeleportErrorKind =
  | 'bad_parameter'
  | 'not_found'
  | 'already_exists'
  | 'access_denied'
  | 'expired'
  | 'unreachable'
  | 'not_implemented'
  | 'usage'
  | 'internal';

export class TeleportError extends Error {
  override readonly name = 'TeleportError';

  constructor(
    readonly kind: TeleportErrorKind,
    message: string,
    /** Printed without the colored prefix (tctl's connection failure is printed plain). */
    readonly plain = false,
  ) {
    super(message);
  }

  static badParameter(message: string): TeleportError {
    return new TeleportError('bad_parameter', message);
  }

  static notFound(message: string): TeleportError {
    return new TeleportError('not_found', message);
  }

  static accessDenied(message = 'access denied'): TeleportError {
    return new TeleportError('access_denied', message);
  }

  /** `access denied to perform action "list" on "role"` (lib/services AccessDenied format). */
  static actionDenied(verb: string, kind: string): TeleportError {
    return new TeleportError(
      'access_denied',
      `access denied to perform action "${verb}" on "${kind}"`,
    );
  }
}

/** What `utils.FatalError` writes to stderr. */
export function renderError(err: TeleportError): string {
  return err.plain ? `ERROR: ${err.message}\n` : `\x1b[31mERROR: \x1b[0m${err.message}\n`;
}
