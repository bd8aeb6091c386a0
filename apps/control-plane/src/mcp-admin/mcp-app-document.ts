// Builds and validates the Teleport `app` resource of an MCP server (TELEPORT.md §1.7): stdio
// servers need spec.mcp.command and run_as_host_user; HTTP / SSE servers need a well-formed
// mcp+http(s):// or mcp+sse+http(s):// URI and no stdio fields. Labels are validated like argv
// labels and may not use Teleport's reserved `teleport.internal/` prefix.
import { AppError } from '@tmcp/errors';
import {
  validateLabel,
  validateResourceName,
  validateSshLogin,
  mcpTransportOf,
  type McpTransport,
} from '@tmcp/teleport';

export interface McpServerSpec {
  name: string;
  description?: string;
  labels?: Record<string, string>;
  /** Default `mcp+stdio://`. */
  uri?: string;
  command?: string;
  args?: string[];
  runAsHostUser?: string;
  insecureSkipVerify?: boolean;
}

export interface AppDocument extends Record<string, unknown> {
  kind: 'app';
  version: 'v3';
  metadata: { name: string; description?: string; labels?: Record<string, string> };
  spec: {
    uri: string;
    insecure_skip_verify?: boolean;
    mcp?: { command: string; args?: string[]; run_as_host_user: string };
  } & Record<string, unknown>;
}

const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

function text(
  value: string,
  field: string,
  max: number,
  options: { leadingDash?: boolean } = {},
): string {
  if (value.length === 0) throw AppError.badParameter(field, 'must not be empty');
  if (value.length > max) throw AppError.badParameter(field, `must be at most ${max} characters`);
  if (CONTROL.test(value))
    throw AppError.badParameter(field, 'must not contain control or Unicode format characters');
  if (!options.leadingDash && value.startsWith('-'))
    throw AppError.badParameter(field, 'must not start with "-"');
  return value;
}

export function validateMcpUri(uri: string): McpTransport {
  text(uri, 'uri', 2048);
  const transport = mcpTransportOf(uri);
  if (transport === undefined) {
    throw AppError.badParameter(
      'uri',
      'must start with mcp+stdio://, mcp+http://, mcp+https://, mcp+sse+http:// or mcp+sse+https://',
    );
  }
  if (transport === 'stdio') {
    if (!/^mcp\+stdio:\/\/([A-Za-z0-9][A-Za-z0-9._-]*)?$/.test(uri)) {
      throw AppError.badParameter(
        'uri',
        'a stdio server URI is mcp+stdio:// (optionally followed by a plain name)',
      );
    }
    return transport;
  }
  if (!/^mcp\+(sse\+)?https?:\/\/[^/?#\s]/i.test(uri))
    throw AppError.badParameter('uri', 'must name a host after ://');
  let url: URL;
  try {
    url = new URL(uri.replace(/^mcp\+(sse\+)?/i, ''));
  } catch {
    throw AppError.badParameter('uri', 'is not a valid URL after the mcp+ scheme prefix');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw AppError.badParameter('uri', 'must use http or https');
  if (url.hostname === '') throw AppError.badParameter('uri', 'must name a host');
  if (url.username !== '' || url.password !== '') {
    throw AppError.badParameter(
      'uri',
      'must not carry credentials; use rewrite.headers with {{internal.jwt}} or a secret store instead',
    );
  }
  if (/\s/.test(uri)) throw AppError.badParameter('uri', 'must not contain whitespace');
  return transport;
}

export function validateLabels(labels: Record<string, string>): Record<string, string> {
  const entries = Object.entries(labels);
  if (entries.length > 64) throw AppError.badParameter('labels', 'at most 64 labels');
  for (const [k, v] of entries) {
    if (k.startsWith('teleport.internal/') || k.startsWith('teleport.dev/')) {
      throw AppError.badParameter('labels', `"${k}" uses a prefix reserved for Teleport`);
    }
    if (k.includes('*') || v.includes('*'))
      throw AppError.badParameter('labels', 'resource labels cannot contain "*"');
    validateLabel(`${k}=${v}`, `labels.${k}`);
  }
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

/** The app document for `tctl create`; throws bad_parameter naming the field at fault. */
export function buildMcpAppDocument(spec: McpServerSpec): AppDocument {
  const name = validateResourceName(spec.name, 'name');
  const uri = spec.uri ?? 'mcp+stdio://';
  const transport = validateMcpUri(uri);
  const description =
    spec.description === undefined
      ? undefined
      : text(spec.description, 'description', 1024, { leadingDash: true });
  const labels = spec.labels === undefined ? undefined : validateLabels(spec.labels);
  const doc: AppDocument = {
    kind: 'app',
    version: 'v3',
    metadata: {
      name,
      ...(description === undefined ? {} : { description }),
      ...(labels && Object.keys(labels).length ? { labels } : {}),
    },
    spec: { uri },
  };
  if (transport === 'stdio') {
    if (spec.command === undefined || spec.runAsHostUser === undefined) {
      const missing = [
        spec.command === undefined ? 'command' : '',
        spec.runAsHostUser === undefined ? 'run_as_host_user' : '',
      ].filter(Boolean);
      throw AppError.badParameter(
        missing[0] ?? 'command',
        `a stdio MCP server needs ${missing.join(' and ')} (the program to run and the host user it runs as)`,
      );
    }
    const args = (spec.args ?? []).map((a, i) =>
      text(a, `args[${i}]`, 1024, { leadingDash: true }),
    );
    if (args.length > 64) throw AppError.badParameter('args', 'at most 64 arguments');
    doc.spec.mcp = {
      command: text(spec.command, 'command', 1024),
      ...(args.length > 0 ? { args } : {}),
      run_as_host_user: validateSshLogin(spec.runAsHostUser, 'run_as_host_user'),
    };
  } else {
    for (const [field, value] of [
      ['command', spec.command],
      ['args', spec.args],
      ['run_as_host_user', spec.runAsHostUser],
    ] as const) {
      if (value !== undefined)
        throw AppError.badParameter(
          field,
          `is only for stdio servers (uri mcp+stdio://); ${transport} servers are reached at their URI`,
        );
    }
    if (spec.insecureSkipVerify !== undefined)
      doc.spec.insecure_skip_verify = spec.insecureSkipVerify;
  }
  return doc;
}

/** The spec of an existing app as `tctl get app/<name>` printed it (for a merge on update). */
export function specFromDocument(raw: Record<string, unknown>): McpServerSpec {
  const metadata = (raw.metadata ?? {}) as {
    name?: unknown;
    description?: unknown;
    labels?: unknown;
  };
  const spec = (raw.spec ?? {}) as {
    uri?: unknown;
    insecure_skip_verify?: unknown;
    mcp?: { command?: unknown; args?: unknown; run_as_host_user?: unknown };
  };
  const labels: Record<string, string> = {};
  if (metadata.labels && typeof metadata.labels === 'object') {
    for (const [k, v] of Object.entries(metadata.labels as Record<string, unknown>)) {
      if (
        typeof v === 'string' &&
        !k.startsWith('teleport.internal/') &&
        !k.startsWith('teleport.dev/')
      )
        labels[k] = v;
    }
  }
  const str = (v: unknown): string | undefined =>
    typeof v === 'string' && v !== '' ? v : undefined;
  const out: McpServerSpec = { name: str(metadata.name) ?? '', labels };
  const description = str(metadata.description);
  if (description !== undefined) out.description = description;
  const uri = str(spec.uri);
  if (uri !== undefined) out.uri = uri;
  const command = str(spec.mcp?.command);
  if (command !== undefined) out.command = command;
  if (Array.isArray(spec.mcp?.args))
    out.args = spec.mcp.args.filter((a): a is string => typeof a === 'string');
  const host = str(spec.mcp?.run_as_host_user);
  if (host !== undefined) out.runAsHostUser = host;
  if (typeof spec.insecure_skip_verify === 'boolean' && mcpTransportOf(uri ?? '') !== 'stdio')
    out.insecureSkipVerify = spec.insecure_skip_verify;
  return out;
}
