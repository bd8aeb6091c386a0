// `tctl tokens ls|add|rm`, `tctl status`, `tctl version`, `tctl nodes ls`.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { AsciiTable } from '../format/ascii-table.js';
import { goJson } from '../format/go-json.js';
import { parseGoDuration, rfc3339Nano } from '../format/go-time.js';
import { goYamlDocuments } from '../format/go-yaml.js';
import type { Resource, SimState } from '../state/sim-state.js';
import { resourceEvent } from './resource-commands.js';
import { nodesTable, tokensTable } from './resource-text.js';
import { tctlChecker } from './tctl-session.js';

export function tokensLsCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const state = ctx.read();
  tctlChecker(cmd, ctx, state).checkAction('token', 'list', 'read');
  const now = ctx.now().getTime();
  const tokens = state.tokens.filter(
    (t) => !t.metadata.expires || new Date(t.metadata.expires).getTime() > now,
  );
  switch (cmd.string('format')) {
    case 'json':
      ctx.out(goJson(tokens, 4) + '\n');
      return;
    case 'yaml':
      ctx.out(goYamlDocuments(tokens));
      return;
    case 'text':
      for (const t of tokens) ctx.out(t.metadata.name + '\n');
      return;
    default:
      if (tokens.length === 0) {
        ctx.out('No active tokens found.\n');
        return;
      }
      ctx.out(tokensTable(tokens, ctx.now(), cmd.bool('with-secrets')));
  }
}

const SYSTEM_ROLES: Record<string, string> = {
  node: 'Node',
  app: 'App',
  db: 'Db',
  kube: 'Kube',
  windowsdesktop: 'WindowsDesktop',
  bot: 'Bot',
  proxy: 'Proxy',
  discovery: 'Discovery',
};

export function tokensAddCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const types = (cmd.string('type') ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  if (types.length === 0) throw TeleportError.badParameter('required flag --type not provided');
  const roles = types.map((t) => {
    const role = SYSTEM_ROLES[t];
    if (!role) throw TeleportError.badParameter(`"${t}" is not a valid system role`);
    return role;
  });
  const ttlText = cmd.string('ttl') ?? '30m';
  const ttl = parseGoDuration(ttlText);
  if (ttl === undefined) throw TeleportError.badParameter(`time: invalid duration "${ttlText}"`);
  const name = cmd.string('value') ?? randomBytes(16).toString('hex');
  const expires = rfc3339Nano(new Date(ctx.now().getTime() + ttl));
  const state = ctx.update((s) => {
    const checker = tctlChecker(cmd, ctx, s);
    checker.checkAction('token', 'create');
    const token: Resource = {
      kind: 'token',
      version: 'v2',
      metadata: { name, expires, revision: randomUUID() },
      spec: { roles, join_method: 'token' },
    };
    s.tokens.push(token);
    resourceEvent(ctx, 'token', 'created', name, checker.username);
    return s;
  });
  if (cmd.string('format') === 'json') {
    // json.MarshalIndent(v, "", " ") and no newline (§2.4).
    ctx.out(goJson({ expires, roles, token: name }, 1));
    return;
  }
  const authAddr = state.proxies[0]?.spec.addr;
  const auth = typeof authAddr === 'string' ? authAddr.replace(/:\d+$/, ':3025') : '127.0.0.1:3025';
  ctx.out(
    `The invite token: ${name}\nThis token will expire in ${Math.round(ttl / 60_000)} minutes.\n\n` +
      `Run this on the new node to join the cluster:\n\n` +
      `> teleport start \\\n   --roles=${types.join(',')} \\\n   --token=${name} \\\n   --ca-pin=${state.cluster.caPin} \\\n   --auth-server=${auth}\n\n` +
      `Please note:\n\n  - This invitation token will expire in ${Math.round(ttl / 60_000)} minutes\n  - ${auth} must be reachable from the new node\n`,
  );
}

export function tokensRmCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const name = cmd.arg('token') ?? '';
  ctx.update((s) => {
    const checker = tctlChecker(cmd, ctx, s);
    checker.checkAction('token', 'delete');
    const index = s.tokens.findIndex((t) => t.metadata.name === name);
    if (index < 0) throw TeleportError.notFound(`token "${name}" is not found`);
    s.tokens.splice(index, 1);
    resourceEvent(ctx, 'token', 'deleted', name, checker.username);
  });
  ctx.out(`Token ${name} has been deleted\n`);
}

const PHASE_DESCRIPTION: Record<string, string> = {
  init: 'initialized',
  standby: 'on standby',
  update_clients: 'rotating clients',
  update_servers: 'rotating servers',
  rollback: 'rolling back',
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go layout `Jan _2 15:04:05 UTC`. */
function humanDate(text: string): string {
  const d = new Date(text);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()] ?? ''} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`;
}

/** `types.Rotation.String()`. */
export function rotationText(rotation: Record<string, unknown> | undefined): string {
  const state = typeof rotation?.state === 'string' ? rotation.state : '';
  const lastRotated = typeof rotation?.last_rotated === 'string' ? rotation.last_rotated : '';
  if (state === '' || state === 'standby') {
    if (!lastRotated || lastRotated.startsWith('0001-')) return 'never updated';
    return `rotated ${humanDate(lastRotated)}`;
  }
  const started = typeof rotation?.started === 'string' ? rotation.started : '';
  const grace =
    parseGoDuration(typeof rotation?.grace_period === 'string' ? rotation.grace_period : '0') ?? 0;
  const ending = rfc3339Nano(new Date(new Date(started).getTime() + grace));
  const phase = typeof rotation?.phase === 'string' ? rotation.phase : '';
  const mode = typeof rotation?.mode === 'string' ? rotation.mode : '';
  return `${PHASE_DESCRIPTION[phase] ?? phase} (mode: ${mode}, started: ${humanDate(started)}, ending: ${humanDate(ending)})`;
}

const ALGORITHMS: Record<string, Record<string, string>> = {
  host: { SSH: 'Ed25519', TLS: 'ECDSA P-256' },
  user: { SSH: 'Ed25519', TLS: 'ECDSA P-256' },
  db: { TLS: 'RSA 2048' },
  db_client: { TLS: 'RSA 2048' },
  openssh: { SSH: 'Ed25519' },
  jwt: { JWT: 'ECDSA P-256' },
};

function keyRows(ca: Resource): [protocol: string, status: string, algorithm: string][] {
  const type = typeof ca.spec.type === 'string' ? ca.spec.type : '';
  const rows: [string, string, string][] = [];
  const add = (keys: unknown, status: string): void => {
    const set = (keys ?? {}) as Record<string, unknown[] | undefined>;
    for (const [field, protocol] of [
      ['jwt', 'JWT'],
      ['ssh', 'SSH'],
      ['tls', 'TLS'],
    ] as const) {
      for (const _ of set[field] ?? [])
        rows.push([protocol, status, ALGORITHMS[type]?.[protocol] ?? 'Ed25519']);
    }
  };
  add(ca.spec.active_keys, 'active');
  add(ca.spec.additional_trusted_keys, 'trusted');
  return rows.sort((a, b) => (a[0] === b[0] ? 0 : a[0] < b[0] ? -1 : 1));
}

export function statusText(state: SimState): string {
  // status_command.go labels its rows "Cluster: " (trailing space) in a tabwriter column,
  // hence the two spaces before every value (§2.9).
  const head = AsciiTable.headless(2);
  head.addRow(['Cluster: ', state.cluster.name]);
  head.addRow(['Version: ', state.cluster.version]);
  head.addRow(['CA pins: ', state.cluster.caPin]);
  const keys = AsciiTable.withHeaders([
    'authority',
    'rotation',
    'protocol',
    'status',
    'algorithm',
    'storage',
  ]);
  for (const ca of state.cert_authorities) {
    keyRows(ca).forEach(([protocol, status, algorithm], i) => {
      keys.addRow([
        i === 0 ? String(ca.spec.type) : '',
        i === 0 ? rotationText(ca.spec.rotation as Record<string, unknown> | undefined) : '',
        protocol,
        status,
        algorithm,
        'software',
      ]);
    });
  }
  return head.render() + '\n' + keys.render();
}

export function statusCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const state = ctx.read();
  tctlChecker(cmd, ctx, state).checkAction('cert_authority', 'list', 'read');
  if (cmd.string('format') === 'json') {
    const out = {
      cluster: {
        name: state.cluster.name,
        version: state.cluster.version,
        ca_pins: [state.cluster.caPin],
      },
      authorities: state.cert_authorities.map((ca) => ({
        cluster_name: ca.spec.cluster_name,
        type: ca.spec.type,
        rotation: ca.spec.rotation ?? {},
        keys: keyRows(ca).map(([protocol, status, algorithm]) => ({
          protocol,
          status,
          algorithm,
          storage: 'software',
        })),
      })),
    };
    ctx.out(goJson(out, 4) + '\n');
    return;
  }
  ctx.out(statusText(state));
}

export function versionCommand(_cmd: ParsedCommand, ctx: SimContext): void {
  const state = ctx.read();
  ctx.out(
    `Teleport v${state.cluster.version} git:${state.cluster.gitref} ${state.cluster.runtime}\n`,
  );
}

export function nodesLsCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const state = ctx.read();
  const checker = tctlChecker(cmd, ctx, state);
  checker.checkAction('node', 'list', 'read');
  const nodes = state.nodes.filter((n) => checker.canAccess('node_labels', n));
  if (cmd.string('format') === 'json') ctx.out(goJson(nodes, 4) + '\n');
  else ctx.out(nodesTable(nodes));
}
