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
