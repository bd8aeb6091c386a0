// What each lease kind connects to: validation with the same validators the agent's argv
// builders use (@tmcp/teleport), the name the policy engine matches, the proto LeaseSpec target
// and the "how to connect" hint shown to the caller.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { AppError } from '@tmcp/errors';
import type { LeaseSpecSchema } from '@tmcp/proto';
import {
  validateDbName,
  validateDbUser,
  validateKubeClusterName,
  validatePort,
  validateResourceName,
  validateSshLogin,
} from '@tmcp/teleport';
import type { LeaseKind } from '../database/entities/index.js';

/** The stored (jsonb) target, normalized: only the keys of its kind, validated. */
export type LeaseTargetValue = Record<string, string | number>;

type SpecTarget = NonNullable<MessageInitShape<typeof LeaseSpecSchema>['target']>;

const FIELDS: Readonly<Record<LeaseKind, readonly string[]>> = {
  proxy_db: ['db', 'db_user', 'db_name'],
  proxy_app: ['app', 'port'],
  proxy_kube: ['kube_cluster'],
  proxy_ssh: ['node', 'login'],
  proxy_mcp: ['app'],
  mcp_db: ['db', 'db_user', 'db_name'],
  vnet: [],
};

/** Validates `raw` as the target of `kind`; unknown keys are refused so typos do not pass. */
export function parseLeaseTarget(kind: LeaseKind, raw: unknown): LeaseTargetValue {
  const input = raw ?? {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw AppError.badParameter('target', 'must be an object');
  }
  const fields = input as Record<string, unknown>;
  const unknownKeys = Object.keys(fields).filter((key) => !FIELDS[kind].includes(key));
  if (unknownKeys.length > 0) {
    const expected = FIELDS[kind].length === 0 ? 'no fields' : FIELDS[kind].join(', ');
    throw AppError.badParameter(
      'target',
      `has unknown field(s) ${unknownKeys.join(', ')} for ${kind} (expected ${expected})`,
    );
  }
  const present = (key: string): boolean => fields[key] !== undefined && fields[key] !== '';
  const target: LeaseTargetValue = {};
  switch (kind) {
    case 'proxy_db':
    case 'mcp_db': {
      const required = kind === 'mcp_db';
      target.db = validateResourceName(fields.db, 'target.db');
      if (required || present('db_user'))
        target.db_user = validateDbUser(fields.db_user, 'target.db_user');
      if (required || present('db_name'))
        target.db_name = validateDbName(fields.db_name, 'target.db_name');
      break;
    }
    case 'proxy_app':
      target.app = validateResourceName(fields.app, 'target.app');
      if (present('port')) target.port = validatePort(fields.port, 'target.port');
      break;
    case 'proxy_kube':
      target.kube_cluster = validateKubeClusterName(fields.kube_cluster, 'target.kube_cluster');
      break;
    case 'proxy_ssh':
      target.node = validateResourceName(fields.node, 'target.node');
      if (present('login')) target.login = validateSshLogin(fields.login, 'target.login');
      break;
    case 'proxy_mcp':
      target.app = validateResourceName(fields.app, 'target.app');
      break;
    case 'vnet':
      break;
  }
  return target;
}

/** The resource name the policy engine matches against allowedTargets (none for vnet). */
export function leaseTargetName(kind: LeaseKind, target: LeaseTargetValue): string | undefined {
  switch (kind) {
    case 'proxy_db':
    case 'mcp_db':
      return str(target.db);
    case 'proxy_app':
    case 'proxy_mcp':
      return str(target.app);
    case 'proxy_kube':
      return str(target.kube_cluster);
    case 'proxy_ssh':
      return str(target.node);
    case 'vnet':
      return undefined;
  }
}

/** The oneof target of the proto LeaseSpec. */
export function specTargetOf(kind: LeaseKind, target: LeaseTargetValue): SpecTarget {
  switch (kind) {
    case 'proxy_db':
      return {
        case: 'db',
        value: { db: str(target.db), dbUser: str(target.db_user), dbName: str(target.db_name) },
      };
    case 'mcp_db':
      return {
        case: 'mcpDb',
        value: { db: str(target.db), dbUser: str(target.db_user), dbName: str(target.db_name) },
      };
    case 'proxy_app':
      return {
        case: 'app',
        value: { app: str(target.app), port: typeof target.port === 'number' ? target.port : 0 },
      };
    case 'proxy_kube':
      return { case: 'kube', value: { kubeCluster: str(target.kube_cluster) } };
    case 'proxy_ssh':
      return { case: 'ssh', value: { node: str(target.node), login: str(target.login) } };
    case 'proxy_mcp':
      return { case: 'mcp', value: { app: str(target.app) } };
    case 'vnet':
      return { case: 'vnet', value: {} };
  }
}

/** One sentence telling the caller how to use an active lease. */
export function connectHint(
  kind: LeaseKind,
  target: LeaseTargetValue,
  listenAddr: string | null,
): string {
  if (listenAddr === null || listenAddr === '') return '';
  const { host, port } = splitHostPort(listenAddr);
  switch (kind) {
    case 'proxy_db': {
      const user = str(target.db_user);
      const name = str(target.db_name);
      const parts = [`host=${host}`, `port=${port}`];
      if (user !== '') parts.push(`user=${user}`);
      if (name !== '') parts.push(`dbname=${name}`);
      return `Connect with: psql "${parts.join(' ')}" (or any client of that database at ${listenAddr}).`;
    }
    case 'proxy_app':
      return typeof target.port === 'number'
        ? `Port ${target.port} of the TCP app is reachable at ${listenAddr} (any client of that service).`
        : `The app is reachable at http://${listenAddr}/ (plain HTTP, tunnelled to the app).`;
    case 'proxy_kube':
      return `Point kubectl at the local kube proxy at ${listenAddr} (see the lease logs for the kubeconfig).`;
    case 'proxy_ssh':
      return `An SSH proxy listens at ${listenAddr}.`;
    case 'proxy_mcp':
    case 'mcp_db':
      return `The MCP server runs on the agent; its tools are federated through this gateway.`;
    case 'vnet':
      return `VNet is up on the agent host.`;
  }
}

function splitHostPort(addr: string): { host: string; port: string } {
  const idx = addr.lastIndexOf(':');
  return idx <= 0
    ? { host: addr, port: '' }
    : { host: addr.slice(0, idx), port: addr.slice(idx + 1) };
}

function str(value: string | number | undefined): string {
  return value === undefined ? '' : String(value);
}
