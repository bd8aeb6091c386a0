// Who a tctl invocation acts as: without an identity file, the Auth Service host's built-in
// Admin; with `-i`, the identity's user (which also needs `--auth-server`, §4.2).
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { expiredCredentials } from '../faults/fault-knobs.js';
import { readIdentityFile } from '../identity/identity-file.js';
import { AccessChecker } from '../rbac/access-checker.js';
import type { SimState } from '../state/sim-state.js';

export function tctlChecker(cmd: ParsedCommand, ctx: SimContext, state: SimState): AccessChecker {
  const identity = cmd.string('identity');
  if (!identity) return AccessChecker.builtin(state.cluster.authHostId, state.cluster.name);
  if (cmd.strings('auth-server').length === 0) {
    throw TeleportError.badParameter('tctl --identity also requires --auth-server');
  }
  const claims = readIdentityFile(identity);
  if (claims.notAfter <= ctx.now().getTime()) throw expiredCredentials('tctl');
  if (claims.cluster !== state.cluster.name) {
    throw TeleportError.accessDenied(
      `your credentials are for cluster "${claims.cluster}", please run \`tsh login "${state.cluster.name}"\` to log in to the root cluster`,
    );
  }
  return AccessChecker.forUser(claims.user, state.users, state.roles);
}
