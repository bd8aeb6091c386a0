// RFC 9728 protected-resource metadata for /mcp, and the URL 401 responses point at.

export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';
export const MCP_PATH = '/mcp';

/** The externally visible base URL: `service.publicUrl`, else derived from the request. */
export function publicBaseUrl(
  publicUrl: string | undefined,
  requestUrl: string,
  host: string | null,
): string {
  if (publicUrl !== undefined) return publicUrl.replace(/\/+$/, '');
  let protocol = 'http:';
  try {
    protocol = new URL(requestUrl).protocol;
  } catch {
    // keep http:
  }
  const safeHost = host !== null && /^[A-Za-z0-9.\-[\]:]+$/.test(host) ? host : 'localhost';
  return `${protocol}//${safeHost}`;
}

export function protectedResourceMetadataUrl(
  publicUrl: string | undefined,
  requestUrl: string,
  host: string | null,
): string {
  return `${publicBaseUrl(publicUrl, requestUrl, host)}${PROTECTED_RESOURCE_METADATA_PATH}`;
}

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers?: string[];
  bearer_methods_supported: string[];
  resource_name: string;
  resource_documentation?: string;
}

export function protectedResourceMetadata(
  baseUrl: string,
  oidcIssuer: string | undefined,
): ProtectedResourceMetadata {
  return {
    resource: `${baseUrl}${MCP_PATH}`,
    ...(oidcIssuer === undefined ? {} : { authorization_servers: [oidcIssuer] }),
    bearer_methods_supported: ['header'],
    resource_name: 'tmcp (Teleport MCP control plane)',
  };
}
