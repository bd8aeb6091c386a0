// `tsh version`, `tsh status`, `tsh ls`.
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { AsciiTable } from '../format/ascii-table.js';
import { goJson } from '../format/go-json.js';
import { dateTimeZone, goDuration, rfc3339Nano } from '../format/go-time.js';
import { goYaml } from '../format/go-yaml.js';
import { TELEPORT_VERSION } from '../state/seed-state.js';
import { labelsText, stringField } from '../tctl/resource-text.js';
import { proxyAddress, tshSession, type TshSession } from './tsh-session.js';

const GITREF = `v${TELEPORT_VERSION}-0-g1a2b3c4`;
const RUNTIME = 'go1.24.6';

export function versionCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const proxy = proxyAddress(cmd);
  let proxyVersion: string | undefined;
  if (proxy && !cmd.bool('client')) {
    try {
      proxyVersion = ctx.read().cluster.version;
    } catch (err) {
      ctx.err(
        `Failed to fetch proxy version: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    }
  }
  if (cmd.string('format') === 'json') {
    const out = {
      version: TELEPORT_VERSION,
      gitref: GITREF,
      runtime: RUNTIME,
      ...(proxyVersion ? { proxyVersion, proxyPublicAddress: proxy } : {}),
    };
    ctx.out(goJson(out, 2) + '\n');
    return;
  }
  let text = `Teleport v${TELEPORT_VERSION} git:${GITREF} ${RUNTIME}\n`;
  if (proxyVersion) text += `Proxy version: ${proxyVersion}\nProxy: ${proxy ?? ''}\n`;
  ctx.out(text);
}

const EXTENSIONS = [
  'login-ip',
  'permit-agent-forwarding',
  'permit-port-forwarding',
  'permit-pty',
  'private-key-policy',
];

function profile(session: TshSession): Record<string, unknown> {
  const roles = [...session.checker.roleNames];
  const traits = Object.fromEntries(
    Object.entries(session.checker.traits).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  const logins = session.checker.logins();
  return {
    profile_url: `https://${session.proxy}`,
    username: session.claims.user,
    ...(session.claims.activeRequests?.length
      ? { active_requests: session.claims.activeRequests }
      : {}),
    cluster: session.state.cluster.name,
    ...(roles.length ? { roles } : {}),
    ...(Object.keys(traits).length ? { traits } : {}),
    ...(logins.length ? { logins } : {}),
    kubernetes_enabled: true,
    valid_until: rfc3339Nano(new Date(session.claims.notAfter)),
    extensions: EXTENSIONS,
  };
}

export function statusCommand(cmd: ParsedCommand, ctx: SimContext): void {
  // Unlike the commands that dial the proxy, status only reads profiles: with neither a
  // profile nor an identity there is nothing to show (§2.12, §4.3), whatever --proxy says.
  if (!cmd.string('identity')) throw TeleportError.notFound('Not logged in.');
  const session = tshSession(cmd, ctx, true);
  if (session.expired) throw TeleportError.notFound('Active profile expired.');
  const format = cmd.string('format') ?? 'text';
  if (format === 'json') {
    ctx.out(goJson({ active: profile(session), profiles: [] }, 2) + '\n');
    return;
  }
  if (format === 'yaml') {
    ctx.out(goYaml({ active: profile(session), profiles: [] }));
    return;
  }
  const validFor = Math.round((session.claims.notAfter - ctx.now().getTime()) / 60_000) * 60_000;
  const line = (label: string, value: string, first = false): string =>
    `${first ? '> ' : '  '}${label.padEnd(20)}${value}\n`;
  ctx.out(
    line('Profile URL:', `https://${session.proxy}`, true) +
      line('Logged in as:', session.claims.user) +
      (session.claims.activeRequests?.length
        ? line('Active requests:', session.claims.activeRequests.join(', '))
        : '') +
      line('Cluster:', session.state.cluster.name) +
      line('Roles:', session.checker.roleNames.join(', ')) +
      line('Logins:', session.checker.logins().join(', ')) +
      line('Kubernetes:', 'enabled') +
      line(
        'Valid until:',
        `${dateTimeZone(new Date(session.claims.notAfter))} [valid for ${goDuration(validFor)}]`,
      ) +
      line('Extensions:', EXTENSIONS.join(', ')) +
      '\n',
  );
}

export function lsCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const session = tshSession(cmd, ctx);
  const nodes = session.state.nodes.filter((n) => session.checker.canAccess('node_labels', n));
  if (cmd.string('format') === 'json') {
    ctx.out(goJson(nodes, 2) + '\n');
    return;
  }
  const t = AsciiTable.withHeaders(['Hostname', 'Address', 'Labels']);
  for (const n of nodes) {
    const addr = n.spec.use_tunnel === true ? '⟵ Tunnel' : stringField(n.spec.addr);
    t.addRow([stringField(n.spec.hostname), addr, labelsText(n)]);
  }
  ctx.out(t.render() + '\n');
}
