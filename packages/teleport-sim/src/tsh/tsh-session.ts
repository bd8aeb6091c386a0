// Who a tsh invocation acts as. The simulator supports the non-interactive way the product
// uses: an identity file (`-i`, TELEPORT_IDENTITY_FILE) together with `--proxy` (§4.1).
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { expiredCredentials } from '../faults/fault-knobs.js';
import { readIdentityFile, type IdentityClaims } from '../identity/identity-file.js';
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
  const checker = AccessChecker.forUser(claims.user, state.users, state.roles);
  return { state, claims, checker, proxy: proxy ?? '', expired };
}
