// The part of a parent's environment a tsh/tctl child may inherit: proxy settings, the CA bundle
// and the time zone. Everything else (the parent's own secrets and configuration) stays out.
export const TELEPORT_CLIENT_ENV = [
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'TZ',
] as const;

/**
 * The names of `env` a tsh child may see: TELEPORT_CLIENT_ENV plus Teleport's own client
 * settings (TELEPORT_*), except TELEPORT_HOME, which the runner sets per cluster or lease.
 */
export function teleportClientEnvAllowList(
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const teleport = Object.keys(env).filter(
    (name) => name.startsWith('TELEPORT_') && name !== 'TELEPORT_HOME',
  );
  return [...TELEPORT_CLIENT_ENV, ...teleport].filter((name) => env[name] !== undefined);
}
