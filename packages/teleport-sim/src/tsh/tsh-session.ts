// Who a tsh invocation acts as. The simulator supports the non-interactive way the product
// uses: an identity file (`-i`, TELEPORT_IDENTITY_FILE) together with `--proxy` (§4.1).
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { expiredCredentials } from '../faults/fault-knobs.js';
import {
  readIdentityFile,
  writeIdentityFile,
  type IdentityClaims,
} from '../identity/identity-file.js';
import { rfc3339Nano } from '../format/go-time.js';
import { APPROVED } from '../requests/access-requests.js';
import { AccessChecker } from '../rbac/access-checker.js';
import type { SimState } from '../state/sim-state.js';

export interface TshSession {
  state: SimState;
  claims: IdentityClaims;
  checker: AccessChecker;
  /** The proxy address as given, `https://` stripped. */
  proxy: string;
  expired: boolean;
}

export function proxyAddress(cmd: ParsedCommand): string | undefined {
  const raw = cmd.string('proxy');
  return raw ? raw.replace(/^https:\/\//i, '').replace(/\/+$/, '') : undefined;
}

/** Resolves the identity; an expired one fails unless `allowExpired` (callers then report it). */
export function tshSession(cmd: ParsedCommand, ctx: SimContext, allowExpired = false): TshSession {
  const identity = cmd.string('identity');
  const proxy = proxyAddress(cmd);
  if (identity && !proxy) throw TeleportError.badParameter('tsh --identity also requires --proxy');
  if (!identity) {
    if (!proxy)
      throw TeleportError.badParameter('No proxy address specified, missed --proxy flag?');
    throw TeleportError.notFound('Not logged in.');
  }
  const claims = readIdentityFile(identity);
  const state = ctx.read();
  const expired = claims.notAfter <= ctx.now().getTime();
  if (expired && !allowExpired) throw expiredCredentials('tsh');
  const checker = AccessChecker.forUser(
    claims.user,
    state.users,
    state.roles,
    requestedRoles(state, claims.activeRequests ?? []),
  );
  return { state, claims, checker, proxy: proxy ?? '', expired };
}

/** The roles the approved active requests add to the certificate. */
function requestedRoles(state: SimState, ids: readonly string[]): string[] {
  return state.access_requests
    .filter((r) => ids.includes(r.metadata.name) && r.spec.state === APPROVED)
    .flatMap((r) => (Array.isArray(r.spec.roles) ? r.spec.roles.map(String) : []));
}

/**
 * Re-issues the session's certificates carrying `activeRequests` (tsh's `reissueWithRequests`).
 * The simulator writes them back into the identity file, so the change outlives the process
 * and later commands with the same `-i` see it (real tsh keeps identity-file keys in memory).
 */
export function reissueWithRequests(
  cmd: ParsedCommand,
  ctx: SimContext,
  session: TshSession,
  activeRequests: readonly string[],
): TshSession {
  const { activeRequests: _previous, ...rest } = session.claims;
  const claims: IdentityClaims = {
    ...rest,
    ...(activeRequests.length ? { activeRequests: [...activeRequests] } : {}),
  };
  writeIdentityFile(cmd.string('identity') ?? '', claims);
  const checker = AccessChecker.forUser(
    claims.user,
    session.state.users,
    session.state.roles,
    requestedRoles(session.state, activeRequests),
  );
  ctx.audit.emit({
    event: 'cert.create',
    code: 'TC000I',
    user: claims.user,
    cert_type: 'user',
    identity: {
      user: claims.user,
      roles: [...checker.roleNames],
      expires: rfc3339Nano(new Date(claims.notAfter)),
      ...(activeRequests.length ? { active_requests: [...activeRequests] } : {}),
    },
  });
  return { ...session, claims, checker };
}
