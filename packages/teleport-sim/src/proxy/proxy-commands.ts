// `tsh proxy db|app|kube|ssh` and `tsh vnet`: real listeners on 127.0.0.1 with the banners
// of tool/tsh/common/proxy.go (§3).
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import { teleportHome, type SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { AsciiTable } from '../format/ascii-table.js';
import { goYaml } from '../format/go-yaml.js';
import { readLines } from '../mcp/json-rpc.js';
import { closeServer, listenOn, TcpForwarder, type ForwardTarget } from '../net/tcp-forwarder.js';
import { stringField } from '../tctl/resource-text.js';
import { tshSession } from '../tsh/tsh-session.js';
import { untilStopped } from './until-stopped.js';

const PORT_HINT =
  'To avoid port randomization, you can choose the listening port using the --port flag.\n';
const CONNECT_AD =
  '\nTeleport Connect is a desktop app that can manage database proxies for you.\n' +
  'Learn more at https://goteleport.com/docs/connect-your-client/teleport-connect/#connecting-to-a-database\n';

const PROTOCOL_NAMES: Record<string, string> = {
  postgres: 'PostgreSQL',
  cockroachdb: 'CockroachDB',
  mysql: 'MySQL',
  mongodb: 'MongoDB',
  redis: 'Redis',
  sqlserver: 'SQL Server',
};

function requestedPort(cmd: ParsedCommand): number | undefined {
  const raw = cmd.string('port');
  if (raw === undefined) return undefined;
  const port = Number(raw.split(':')[0]);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw TeleportError.badParameter(`invalid port "${raw}"`);
  return port;
}

/** `--port LOCAL[:TARGET]` of `tsh proxy app` (TARGET: a port of a multi-port TCP app). */
function portMapping(cmd: ParsedCommand): { local?: number; target?: number } {
  const raw = cmd.string('port');
  if (raw === undefined) return {};
  const [local, target, extra] = raw.split(':');
  const parse = (text: string | undefined): number => {
    const n = /^[0-9]{1,5}$/.test(text ?? '') ? Number(text) : NaN;
    if (!(n <= 65535)) throw TeleportError.badParameter(`invalid port mapping "${raw}"`);
    return n;
  };
  if (extra !== undefined) throw TeleportError.badParameter(`invalid port mapping "${raw}"`);
  const targetPort = target === undefined ? 0 : parse(target);
  return { local: parse(local), ...(targetPort === 0 ? {} : { target: targetPort }) };
}

interface PortRange {
  port: number;
  end_port?: number;
}

function tcpPortRanges(raw: unknown): PortRange[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (r): r is PortRange =>
      typeof r === 'object' && r !== null && typeof (r as PortRange).port === 'number',
  );
}

function firstTcpPort(raw: unknown): number | undefined {
  return tcpPortRanges(raw)[0]?.port;
}

/** Teleport's `validateTargetPort` (tool/tsh/common/app_local_proxy.go), same messages. */
function validateTargetPort(
  app: string,
  ranges: PortRange[],
  targetPort: number | undefined,
): number | undefined {
  if (targetPort === undefined) return undefined;
  if (ranges.length === 0) {
    throw TeleportError.badParameter(
      `cannot specify target port ${targetPort} because app "${app}" does not provide access to multiple ports`,
    );
  }
  const inRange = ranges.some(
    (r) => targetPort >= r.port && targetPort <= Math.max(r.end_port ?? 0, r.port),
  );
  if (!inRange) {
    const valid = ranges.map((r) => (r.end_port ? `${r.port}-${r.end_port}` : `${r.port}`));
    throw TeleportError.badParameter(
      `port ${targetPort} is not included in target ports of app "${app}"; valid ports: ${valid.join(', ')}`,
    );
  }
  return targetPort;
}

function hostPort(address: string, defaultPort: number): { host: string; port: number } {
  const stripped = address.replace(/^[a-z+]+:\/\//, '').replace(/\/.*$/, '');
  const idx = stripped.lastIndexOf(':');
  if (idx < 0) return { host: stripped, port: defaultPort };
  return {
    host: stripped.slice(0, idx).replace(/^\[|\]$/g, ''),
    port: Number(stripped.slice(idx + 1)) || defaultPort,
  };
}

export async function proxyDbCommand(cmd: ParsedCommand, ctx: SimContext): Promise<number> {
  const { state, checker } = tshSession(cmd, ctx);
  const name = cmd.arg('db');
  const candidates = state.db.filter((d) => checker.canAccess('db_labels', d));
  const db =
    name === undefined
      ? candidates.length === 1
        ? candidates[0]
        : undefined
      : state.db.find((d) => d.metadata.name === name);
  if (!db) {
    if (name === undefined)
      throw TeleportError.badParameter(
        "please specify the database name, use 'tsh db ls' to see available databases",
      );
    throw TeleportError.notFound(
      `database "${name}" not found, use 'tsh db ls' to see registered databases`,
    );
  }
  const dbUser = cmd.string('db-user') ?? checker.defaultDbUser() ?? checker.username;
  const dbName = cmd.string('db-name') ?? 'postgres';
  if (!checker.canUseDatabase(db, dbUser, dbName)) {
    throw TeleportError.accessDenied(
      'access to db denied. User does not have permissions. Confirm database user and name.',
    );
  }
  const protocol = stringField(db.spec.protocol) || 'postgres';
  const target = hostPort(stringField(db.spec.uri), 5432);
  const forwarder = new TcpForwarder(target, (client) => {
    ctx.audit.emit({
      event: 'db.session.start',
      code: 'TDB00I',
      user: checker.username,
      sid: randomUUID(),
      success: true,
      db_service: db.metadata.name,
      db_protocol: protocol,
      db_uri: stringField(db.spec.uri),
      db_user: dbUser,
      db_name: dbName,
      'addr.remote': `${client.remoteAddress ?? ''}:${client.remotePort ?? 0}`,
    });
  });
  const port = requestedPort(cmd);
  const bound = await forwarder.listen('127.0.0.1', port ?? 0);
  const hint = port === undefined ? PORT_HINT : '';
  if (cmd.bool('tunnel')) {
    ctx.out(
      `Started authenticated tunnel for the ${PROTOCOL_NAMES[protocol] ?? protocol} database "${db.metadata.name}" in cluster "${state.cluster.name}" on 127.0.0.1:${bound}.\n` +
        hint +
        CONNECT_AD +
        '\nUse the following command to connect to the database or to the address above using other database GUI/CLI clients:\n' +
        `  $ psql postgres://${dbUser}@localhost:${bound}/${dbName}\n`,
    );
  } else {
    const home = teleportHome(ctx.env);
    const keys = join(home, 'keys', state.cluster.name);
    ctx.out(
      `Started DB proxy on 127.0.0.1:${bound}\n` +
        hint +
        CONNECT_AD +
        `\nUse the following credentials to connect to the ${db.metadata.name} proxy:\n` +
        `  ca_file=${join(keys, 'cas', `${state.cluster.name}.pem`)}\n` +
        `  cert_file=${join(keys, `${checker.username}-db`, state.cluster.name, `${db.metadata.name}-x509.pem`)}\n` +
        `  key_file=${join(keys, checker.username)}\n\n` +
        `Your database user is "${dbUser}". The target database name is "${dbName}".\n\n`,
    );
  }
  return untilStopped(ctx, () => forwarder.close());
}

export async function proxyAppCommand(cmd: ParsedCommand, ctx: SimContext): Promise<number> {
  const { state, checker } = tshSession(cmd, ctx);
  const name = cmd.arg('app') ?? '';
  const app = state.apps.find((a) => a.metadata.name === name);
  if (!app || !checker.canAccess('app_labels', app))
    throw TeleportError.notFound(`app "${name}" not found`);
  if (app.sub_kind === 'mcp') {
    throw TeleportError.badParameter(
      "MCP applications are not supported. Please see 'tsh mcp login --help' for more details.",
    );
  }
  const mapping = portMapping(cmd);
  const targetPort = validateTargetPort(name, tcpPortRanges(app.spec.tcp_ports), mapping.target);
  const uri = new URL(stringField(app.spec.uri));
  const secure = uri.protocol === 'https:';
  const target: ForwardTarget = {
    host: uri.hostname,
    port:
      targetPort ?? firstTcpPort(app.spec.tcp_ports) ?? (Number(uri.port) || (secure ? 443 : 80)),
    ...(secure
      ? {
          tls: {
            rejectUnauthorized: app.spec.insecure_skip_verify !== true,
            servername: uri.hostname,
          },
        }
      : {}),
  };
  const forwarder = new TcpForwarder(target, () => {
    ctx.audit.emit({
      event: 'app.session.start',
      code: 'T2007I',
      user: checker.username,
      sid: randomUUID(),
      app_name: name,
      app_uri: String(app.spec.uri),
      app_public_addr: stringField(app.spec.public_addr),
      ...(targetPort === undefined ? {} : { app_target_port: targetPort }),
    });
  });
  const bound = await forwarder.listen('127.0.0.1', mapping.local ?? 0);
  const shown = targetPort === undefined ? name : `${name}:${targetPort}`;
  ctx.out(
    `Proxying connections to ${shown} on 127.0.0.1:${bound}\n` +
      (mapping.local === undefined ? PORT_HINT : ''),
  );
  return untilStopped(ctx, () => forwarder.close());
}

export async function proxyKubeCommand(cmd: ParsedCommand, ctx: SimContext): Promise<number> {
  const { state, checker } = tshSession(cmd, ctx);
  const names = cmd.args('kube-clusters');
  const accessible = state.kube_clusters.filter((k) => checker.canAccess('kubernetes_labels', k));
  const clusters = names.length
    ? names.map((n) => {
        const k = accessible.find((c) => c.metadata.name === n);
        if (!k) throw TeleportError.notFound(`kubernetes cluster "${n}" not found`);
        return k;
      })
    : accessible.slice(0, 1);
  if (clusters.length === 0)
    throw TeleportError.badParameter(
      "no Kubernetes clusters found, use 'tsh kube ls' to see registered clusters",
    );
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/version') {
      res.end(
        JSON.stringify({ major: '1', minor: '30', gitVersion: 'v1.30.2', platform: 'linux/amd64' }),
      );
      return;
    }
    res.statusCode = 404;
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'the server could not find the requested resource',
        reason: 'NotFound',
        code: 404,
      }),
    );
  });
  const port = requestedPort(cmd);
  const bound = await listenOn(server, '127.0.0.1', port ?? 0);
  const home = teleportHome(ctx.env);
  const dir = join(
    home,
    'keys',
    state.cluster.name,
    `${checker.username}-kube`,
    state.cluster.name,
  );
  const kubeconfig = join(dir, `localproxy-${bound}-kubeconfig`);
  mkdirSync(dir, { recursive: true });
  const contexts = clusters.map((k) => `${state.cluster.name}-${k.metadata.name}`);
  writeFileSync(
    kubeconfig,
    goYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: clusters.map((k, i) => ({
        name: contexts[i],
        cluster: {
          server: `http://127.0.0.1:${bound}`,
          'tls-server-name': `${k.metadata.name}.kube.teleport.cluster.local`,
        },
      })),
      contexts: clusters.map((k, i) => ({
        name: contexts[i],
        context: {
          cluster: contexts[i],
          user: contexts[i],
          namespace: cmd.string('kube-namespace') ?? 'default',
        },
      })),
      'current-context': contexts[0],
      users: contexts.map((c) => ({ name: c, user: {} })),
    }),
    { mode: 0o600 },
  );
  const table = AsciiTable.withHeaders(['Teleport Cluster Name', 'Kube Cluster Name']);
  for (const k of clusters) table.addRow([state.cluster.name, k.metadata.name]);
  ctx.out(
    'Preparing the following Teleport Kubernetes clusters:\n' +
      table.render() +
      `\nStarted local proxy for Kubernetes on 127.0.0.1:${bound}\n` +
      (port === undefined ? PORT_HINT : '') +
      '\nUse the following config for your Kubernetes applications. For example:\n' +
      `export KUBECONFIG=${kubeconfig}\nkubectl version\n\n`,
  );
  return untilStopped(ctx, () => closeServer(server));
}

export async function proxySshCommand(cmd: ParsedCommand, ctx: SimContext): Promise<number> {
  const { state, checker } = tshSession(cmd, ctx);
  const target = cmd.arg('target') ?? '';
  const at = target.lastIndexOf('@');
  const login = at >= 0 ? target.slice(0, at) : undefined;
  const host = (at >= 0 ? target.slice(at + 1) : target).replace(/:\d+$/, '');
  const node = state.nodes.find((n) => n.spec.hostname === host || n.metadata.name === host);
  if (!node || !checker.canAccess('node_labels', node)) {
    throw TeleportError.notFound(
      `failed to dial target host\n\tlooks like you may have a typo in the hostname "${host}"`,
    );
  }
  if (login !== undefined && !checker.logins().includes(login)) {
    throw TeleportError.accessDenied(`access denied to ${login} connecting to ${host}`);
  }
  ctx.out('SSH-2.0-Teleport\r\n');
  await Promise.race([readLines(ctx.io.stdin, () => undefined), ctx.io.signal]);
  return 0;
}

export async function vnetCommand(cmd: ParsedCommand, ctx: SimContext): Promise<number> {
  tshSession(cmd, ctx);
  ctx.out('VNet is ready.\n');
  return untilStopped(ctx, () => Promise.resolve());
}
