// Gateway settings, provided under MCP_GATEWAY_OPTIONS: the `mcp` section of the server
// configuration plus the protocol versions this build serves.
import type { ServerConfig } from '@tmcp/config';

export interface McpGatewayOptions {
  /** MCP-Protocol-Version values accepted (and negotiated for 2025-era sessions). */
  readonly protocolVersions: readonly string[];
  /** Lifetime of a 2025-era session id. */
  readonly sessionTtlSeconds: number;
  /**
   * HMAC key for session ids (≥ 32 bytes), identical on every replica. When absent the replicas
   * share a random key kept in Redis (created once with SET NX, re-read periodically).
   */
  readonly sessionKey?: Buffer;
  /** Cap on a tool result (structured JSON and text each), after redaction. */
  readonly maxResultBytes: number;
}

export const MCP_GATEWAY_OPTIONS = Symbol('MCP_GATEWAY_OPTIONS');

export const SUPPORTED_PROTOCOL_VERSIONS = ['2025-06-18', '2025-11-25', '2026-07-28'] as const;

export const DEFAULT_MCP_GATEWAY_OPTIONS: McpGatewayOptions = {
  protocolVersions: SUPPORTED_PROTOCOL_VERSIONS,
  sessionTtlSeconds: 8 * 3600,
  maxResultBytes: 256 * 1024,
};

/** The gateway options of a server configuration. */
export function mcpGatewayOptionsFrom(mcp: ServerConfig['mcp']): McpGatewayOptions {
  return {
    protocolVersions: SUPPORTED_PROTOCOL_VERSIONS,
    sessionTtlSeconds: mcp.sessionTtlSeconds,
    maxResultBytes: mcp.maxResultBytes,
    ...(mcp.sessionKey === undefined ? {} : { sessionKey: Buffer.from(mcp.sessionKey, 'utf8') }),
  };
}

const LOCAL_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Host names accepted in `Host` (DNS-rebinding protection): the configured allow-list plus the
 * loopback names, the public URL's host and a specific bind address. `*` disables the check
 * (for deployments behind a proxy that rewrites Host — then Origin still applies).
 */
export function allowedHostnames(service: ServerConfig['service']): string[] {
  return unique([
    ...service.allowedHosts.map(normalizeHostname),
    ...LOCAL_HOSTNAMES,
    ...(service.publicUrl === undefined ? [] : [new URL(service.publicUrl).hostname]),
    ...(isWildcard(service.host) ? [] : [normalizeHostname(service.host)]),
  ]);
}

/** Origin host names accepted from browsers: the allow-list, loopback and the public host. */
export function allowedOriginHostnames(service: ServerConfig['service']): string[] {
  return unique([
    ...service.allowedOrigins.map(originHostname),
    ...LOCAL_HOSTNAMES,
    ...(service.publicUrl === undefined ? [] : [new URL(service.publicUrl).hostname]),
  ]);
}

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::';
}

/** `Host`-style names: IPv6 in brackets, lower case, no port. */
function normalizeHostname(value: string): string {
  if (value === '*') return value;
  try {
    const ipv6 = (value.match(/:/g)?.length ?? 0) > 1 && !value.startsWith('[');
    return new URL(`http://${ipv6 ? `[${value}]` : value}`).hostname;
  } catch {
    return value.toLowerCase();
  }
}

/** Accepts `https://app.example.com`, `app.example.com` or `app.example.com:8443`. */
function originHostname(value: string): string {
  if (value === '*') return value;
  try {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
      ? new URL(value).hostname
      : normalizeHostname(value);
  } catch {
    return value.toLowerCase();
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
