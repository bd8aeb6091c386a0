// Validators for every value that may end up in a tsh/tctl argv. Each returns a branded type, and
// the argv builders accept only those brands, so an unvalidated string cannot reach a command
// line: argument injection (`--proxy=evil`, `-h`) is impossible by construction. There is never a
// shell, so `$(id)` is harmless, but names are still held to their strict alphabet.
import { AppError } from '@tmcp/errors';

declare const brand: unique symbol;
/** A value that passed the validator named by `B`. */
export type Branded<T, B extends string> = T & { readonly [brand]: B };

export type ResourceName = Branded<string, 'ResourceName'>;
export type Username = Branded<string, 'Username'>;
export type DbUser = Branded<string, 'DbUser'>;
export type DbName = Branded<string, 'DbName'>;
export type Label = Branded<string, 'Label'>;
export type LabelSelector = Branded<string, 'LabelSelector'>;
export type Reason = Branded<string, 'Reason'>;
export type TicketId = Branded<string, 'TicketId'>;
export type Port = Branded<number, 'Port'>;
export type KubeClusterName = Branded<string, 'KubeClusterName'>;
export type SshLogin = Branded<string, 'SshLogin'>;
export type NodeHost = Branded<string, 'NodeHost'>;
export type AccessRequestId = Branded<string, 'AccessRequestId'>;
export type RequestResourceId = Branded<string, 'RequestResourceId'>;
export type McpToolPattern = Branded<string, 'McpToolPattern'>;
export type McpDbUri = Branded<string, 'McpDbUri'>;
export type ClusterName = Branded<string, 'ClusterName'>;

export interface ListenAddress {
  readonly host: string;
  readonly port: Port;
}

export const LIMITS = {
  name: 253,
  username: 256,
  dbUser: 128,
  dbName: 128,
  labelKey: 128,
  labelValue: 256,
  labelSelector: 2048,
  reason: 1024,
  ticket: 64,
  requestId: 64,
  toolPattern: 256,
  uri: 2048,
  sshLogin: 64,
} as const;

// Control characters (C0, DEL, C1), Unicode format controls (bidi overrides/isolates, zero-width
// characters, BOM) and line/paragraph separators: none of these belongs in any argv value.
const FORBIDDEN_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const WHITESPACE = /\s/u;

interface TextRules {
  maxLength: number;
  /** Allowed alphabet (checked after the generic rules, so errors stay specific). */
  pattern?: RegExp;
  patternHint?: string;
  allowWhitespace?: boolean;
  allowSlash?: boolean;
  allowEmpty?: boolean;
}

function checkText(value: unknown, field: string, rules: TextRules): string {
  if (typeof value !== 'string') throw AppError.badParameter(field, 'must be a string');
  if (value.length === 0) {
    if (rules.allowEmpty) return value;
    throw AppError.badParameter(field, 'must not be empty');
  }
  if (value.length > rules.maxLength) {
    throw AppError.badParameter(field, `must be at most ${rules.maxLength} characters`);
  }
  if (FORBIDDEN_CHARS.test(value)) {
    throw AppError.badParameter(
      field,
      'must not contain control characters, NUL or Unicode format/bidi controls',
    );
  }
  if (value.startsWith('-')) {
    throw AppError.badParameter(field, 'must not start with "-" (it would be read as a flag)');
  }
  if (!rules.allowWhitespace && WHITESPACE.test(value)) {
    throw AppError.badParameter(field, 'must not contain whitespace');
  }
  if (!rules.allowSlash && (value.includes('/') || value.includes('\\'))) {
    throw AppError.badParameter(field, 'must not contain "/" or "\\"');
  }
  if (!rules.allowWhitespace && value.includes('..')) {
    throw AppError.badParameter(field, 'must not contain ".."');
  }
  if (rules.pattern && !rules.pattern.test(value)) {
    throw AppError.badParameter(
      field,
      rules.patternHint ?? 'contains characters that are not allowed',
    );
  }
  return value;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@+=-]*$/;

/** A Teleport resource name (role, app, db, node UUID, token name, cluster, …). */
export function validateResourceName(value: unknown, field = 'name'): ResourceName {
  return checkText(value, field, {
    maxLength: LIMITS.name,
    pattern: NAME,
    patternHint:
      'may contain only letters, digits and . _ : @ + = - (starting with a letter or digit)',
  }) as ResourceName;
}

/** A Teleport username (local, SSO e-mail, bot-…). */
export function validateUsername(value: unknown, field = 'user'): Username {
  return checkText(value, field, {
    maxLength: LIMITS.username,
    pattern: NAME,
    patternHint:
      'may contain only letters, digits and . _ : @ + = - (starting with a letter or digit)',
  }) as Username;
}

export function validateDbUser(value: unknown, field = 'db_user'): DbUser {
  return checkText(value, field, {
    maxLength: LIMITS.dbUser,
    pattern: /^[A-Za-z0-9_][A-Za-z0-9._@$:+=-]*$/,
    patternHint: 'may contain only letters, digits and . _ @ $ : + = -',
  }) as DbUser;
}

export function validateDbName(value: unknown, field = 'db_name'): DbName {
  return checkText(value, field, {
    maxLength: LIMITS.dbName,
    pattern: /^[A-Za-z0-9_][A-Za-z0-9._$-]*$/,
    patternHint: 'may contain only letters, digits and . _ $ -',
  }) as DbName;
}

export function validateKubeClusterName(value: unknown, field = 'kube_cluster'): KubeClusterName {
  return checkText(value, field, {
    maxLength: LIMITS.name,
    pattern: /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/,
    patternHint: 'may contain only letters, digits and . _ : @ -',
  }) as KubeClusterName;
}

export function validateClusterName(value: unknown, field = 'cluster'): ClusterName {
  return checkText(value, field, {
    maxLength: LIMITS.name,
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    patternHint: 'may contain only letters, digits and . _ -',
  }) as ClusterName;
}

/** An SSH (host OS) login. */
export function validateSshLogin(value: unknown, field = 'login'): SshLogin {
  return checkText(value, field, {
    maxLength: LIMITS.sshLogin,
    pattern: /^[A-Za-z0-9_][A-Za-z0-9._-]*\$?$/,
    patternHint: 'may contain only letters, digits and . _ -',
  }) as SshLogin;
}

/** A node name: hostname, UUID or IP address (IPv6 in brackets is not accepted; use the name). */
export function validateNodeHost(value: unknown, field = 'host'): NodeHost {
  return checkText(value, field, {
    maxLength: LIMITS.name,
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    patternHint: 'must be a host name, node UUID or IPv4 address',
  }) as NodeHost;
}

export function validateAccessRequestId(value: unknown, field = 'request_id'): AccessRequestId {
  return checkText(value, field, {
    maxLength: LIMITS.requestId,
    pattern: /^[A-Za-z0-9][A-Za-z0-9-]*$/,
    patternHint: 'must be an access request ID (letters, digits and -)',
  }) as AccessRequestId;
}

export function validateTicketId(value: unknown, field = 'ticket'): TicketId {
  return checkText(value, field, {
    maxLength: LIMITS.ticket,
    pattern: /^[A-Za-z0-9][A-Za-z0-9._:#-]*$/,
    patternHint: 'may contain only letters, digits and . _ : # -',
  }) as TicketId;
}

/**
 * A free-text reason (access requests, reviews). Spaces and punctuation are fine — it travels as
 * one argv element — but it is bounded, single-line, free of control and bidi characters, and may
 * not start with "-".
 */
export function validateReason(value: unknown, field = 'reason'): Reason {
  const text = checkText(value, field, {
    maxLength: LIMITS.reason,
    allowWhitespace: true,
    allowSlash: true,
  });
  if (text.trim().length === 0) throw AppError.badParameter(field, 'must not be blank');
  return text as Reason;
}

const LABEL_KEY = /^[A-Za-z0-9_*][A-Za-z0-9._:/*-]*$/;
const LABEL_VALUE = /^[A-Za-z0-9._:/@*+^$|()[\]{}?-]*$/;

/** One `key=value` label. Commas are separators in selectors, so neither part may contain one. */
export function validateLabel(value: unknown, field = 'label'): Label {
  const text = checkText(value, field, {
    maxLength: LIMITS.labelKey + 1 + LIMITS.labelValue,
    allowSlash: true,
    pattern: /^[^,]*$/,
    patternHint: 'must not contain ","',
  });
  const eq = text.indexOf('=');
  if (eq <= 0) throw AppError.badParameter(field, 'must have the form key=value');
  const key = text.slice(0, eq);
  const val = text.slice(eq + 1);
  if (key.length > LIMITS.labelKey || !LABEL_KEY.test(key) || key.includes('..')) {
    throw AppError.badParameter(
      field,
      'label key may contain only letters, digits and . _ : / * -',
    );
  }
  if (val.length > LIMITS.labelValue || !LABEL_VALUE.test(val) || val.includes('..')) {
    throw AppError.badParameter(field, 'label value contains characters that are not allowed');
  }
  return text as Label;
}

/** `k=v,k2=v2` (as `tsh … --labels` and `tsh mcp ls <labels>` take it). */
export function validateLabelSelector(value: unknown, field = 'labels'): LabelSelector {
  const text = checkText(value, field, { maxLength: LIMITS.labelSelector, allowSlash: true });
  for (const part of text.split(',')) validateLabel(part, field);
  return text as LabelSelector;
}

/** A map of labels as a selector, keys sorted so that equal selectors compare equal. */
export function labelSelectorFromMap(
  labels: Record<string, string>,
  field = 'labels',
): LabelSelector {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k] ?? ''}`);
  return validateLabelSelector(parts.join(','), field);
}

export function validatePort(
  value: unknown,
  field = 'port',
  options: { allowZero?: boolean } = {},
): Port {
  const n = typeof value === 'string' && /^[0-9]{1,5}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw AppError.badParameter(field, 'must be an integer port number');
  }
  const min = options.allowZero ? 0 : 1;
  if (n < min || n > 65535) throw AppError.badParameter(field, `must be between ${min} and 65535`);
  return n as Port;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * A local listen address `host:port`. Only loopback hosts are accepted unless the caller (policy)
 * explicitly allows others: a local proxy on 0.0.0.0 would expose the target to the network.
 */
export function validateListenAddress(
  value: unknown,
  field = 'listen_addr',
  options: { allowNonLoopback?: boolean } = {},
): ListenAddress {
  const text = checkText(value, field, { maxLength: 300 });
  const idx = text.lastIndexOf(':');
  if (idx <= 0) throw AppError.badParameter(field, 'must have the form host:port');
  const host = text.slice(0, idx);
  const port = validatePort(text.slice(idx + 1), field, { allowZero: true });
  const isLoopback =
    LOOPBACK_HOSTS.has(host) || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host);
  if (!isLoopback) {
    if (!options.allowNonLoopback) {
      throw AppError.badParameter(
        field,
        'must be a loopback address (127.0.0.1, localhost or [::1])',
      );
    }
    if (!/^(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)$/.test(host)) {
      throw AppError.badParameter(field, 'host must be a host name or IP address');
    }
  }
  return { host, port };
}

/**
 * One entry of `tctl users update --set-mcp-tools`: a literal tool name, a glob or a `^regex$`
 * (Teleport `mcp.tools` semantics). Commas separate entries on the command line.
 */
export function validateMcpToolPattern(value: unknown, field = 'mcp_tools'): McpToolPattern {
  const text = checkText(value, field, { maxLength: LIMITS.toolPattern, allowSlash: true });
  if (text.startsWith('^') && text.endsWith('$') && text.length > 2) {
    if (/[,'"`]/.test(text)) throw AppError.badParameter(field, 'must not contain "," or quotes');
    try {
      new RegExp(text);
    } catch {
      throw AppError.badParameter(field, 'is not a valid regular expression');
    }
    return text as McpToolPattern;
  }
  if (!/^[A-Za-z0-9_*][A-Za-z0-9_.*:-]*$/.test(text)) {
    throw AppError.badParameter(
      field,
      'must be a tool name, a glob (letters, digits, _ . : - and *) or a regular expression ^…$',
    );
  }
  return text as McpToolPattern;
}

/** `/<cluster>/<kind>/<name>[/<sub-resource>]` for `tsh request create --resource`. */
export function validateRequestResourceId(value: unknown, field = 'resource'): RequestResourceId {
  const text = checkText(value, field, { maxLength: LIMITS.uri, allowSlash: true });
  const parts = text.split('/');
  if (parts[0] !== '' || parts.length < 4 || parts.length > 5) {
    throw AppError.badParameter(
      field,
      'must have the form /<cluster>/<kind>/<name>[/<sub-resource>]',
    );
  }
  validateClusterName(parts[1], field);
  const kind = parts[2];
  if (kind === undefined || !/^[a-z_]+$/.test(kind)) {
    throw AppError.badParameter(field, 'resource kind must be lower-case letters and _');
  }
  validateResourceName(parts[3], field);
  if (parts[4] !== undefined) validateResourceName(parts[4], field);
  return text as RequestResourceId;
}

/**
 * `teleport://clusters/<cluster>/databases/<name>?dbName=<db>&dbUser=<user>` (tsh mcp db start).
 * Rebuilt canonically (query keys sorted as url.Values.Encode does) from validated parts.
 */
export function validateMcpDbUri(value: unknown, field = 'uri'): McpDbUri {
  const text = checkText(value, field, { maxLength: LIMITS.uri, allowSlash: true });
  const m = /^teleport:\/\/clusters\/([^/?#]+)\/databases\/([^/?#]+)(?:\?([^#]*))?$/.exec(text);
  if (!m) {
    throw AppError.badParameter(
      field,
      'must have the form teleport://clusters/<cluster>/databases/<name>?dbName=<db>&dbUser=<user>',
    );
  }
  const cluster = validateClusterName(decodeURIComponent(m[1] ?? ''), field);
  const name = validateResourceName(decodeURIComponent(m[2] ?? ''), field);
  const query = new URLSearchParams(m[3] ?? '');
  for (const key of query.keys()) {
    if (key !== 'dbName' && key !== 'dbUser') {
      throw AppError.badParameter(field, `unknown query parameter "${key}"`);
    }
  }
  const dbName = query.get('dbName');
  const dbUser = query.get('dbUser');
  return buildMcpDbUri({
    cluster,
    name,
    ...(dbName === null ? {} : { dbName: validateDbName(dbName, field) }),
    ...(dbUser === null ? {} : { dbUser: validateDbUser(dbUser, field) }),
  });
}

export function buildMcpDbUri(parts: {
  cluster: ClusterName;
  name: ResourceName;
  dbName?: DbName;
  dbUser?: DbUser;
}): McpDbUri {
  const query = new URLSearchParams();
  if (parts.dbName !== undefined) query.set('dbName', parts.dbName);
  if (parts.dbUser !== undefined) query.set('dbUser', parts.dbUser);
  const qs = query.toString();
  return `teleport://clusters/${encodeURIComponent(parts.cluster)}/databases/${encodeURIComponent(parts.name)}${qs ? `?${qs}` : ''}` as McpDbUri;
}
