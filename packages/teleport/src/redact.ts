// The one redaction function of tmcp: everything that leaves a tsh/tctl process for a log, an
// error, the database or an MCP client passes through it. It errs towards removing too much in
// secret-looking contexts, and leaves ordinary output (names, UUIDs, tables, JSON) untouched.

export const REDACTED = '***';

// PEM blocks, terminated or cut off by an output cap. Certificates go too: identity files bundle
// them with the private key and nothing the product shows needs them.
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]{1,64})-----[\s\S]*?(?:-----END \1-----|$)/g;
// base64 of "-----BEGIN" (how tctl prints keys and certs inside JSON); checked below for keys.
const BASE64_PEM = /LS0tLS1CRUdJT[A-Za-z0-9+/=]{20,}/g;
const SSH_CERT = /\b([a-z0-9-]+-cert-v01@openssh\.com)\s+[A-Za-z0-9+/=]{20,}/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/g;
const BEARER = /\b(Bearer)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const AUTHORIZATION_HEADER = /\b(Authorization:\s*)[^\r\n"]+/gi;
// scheme://user:password@host → scheme://user:***@host
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+(@)/gi;
// --token=x, --token x, --password=x, --client-secret x, --api-key=x …
const SECRET_FLAG =
  /(?<![\w-])(--?[A-Za-z0-9_-]*(?:token|password|passwd|secret|api-key|apikey)[A-Za-z0-9_-]*)(=|\s+)(?!-)("[^"]*"|'[^']*'|\S+)/gi;
// "token": "…", "password": "…", "private_key": "…" in JSON
const SECRET_JSON_KEY =
  /("(?:token|password|passwd|secret|client_secret|api_key|apikey|private_key|access_key|secret_key|auth_token|join_token|identity)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;
// password=…, secret: … in key/value text (env dumps, DSNs, YAML)
const SECRET_ASSIGNMENT =
  /\b([A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|API_KEY|TOKEN)|password|passwd|secret|client_secret|api_key|secret_key|token|auth_token|join_token|access_token|refresh_token|id_token)(\s*[=:]\s*)(?!\*\*\*)([^\s",']+)/g;
// tmcp API keys: a random suffix, as opposed to snake_case identifiers like tmcp_operations_total.
const TMCP_KEY = /\btmcp_[A-Za-z0-9_-]{20,}/g;
const HEX_RUN = /\b[a-f0-9]{32,}\b/gi;
const TOKEN_CONTEXT = /token/i;
const TOKEN_CONTEXT_WINDOW = 160;

function isPrivateKeyBase64(b64: string): boolean {
  const head = Buffer.from(b64.slice(0, 80), 'base64').toString('latin1');
  return head.includes('PRIVATE KEY');
}

/** Removes secrets from free text (command output, stderr, error messages, argv). */
export function redact(text: string): string {
  if (text.length === 0) return text;
  let out = text.replace(
    PEM_BLOCK,
    (_m, label: string) => `-----BEGIN ${label}----- ${REDACTED} -----END ${label}-----`,
  );
  out = out.replace(BASE64_PEM, (m) => (isPrivateKeyBase64(m) ? REDACTED : m));
  out = out.replace(SSH_CERT, (_m, type: string) => `${type} ${REDACTED}`);
  out = out.replace(JWT, REDACTED);
  out = out.replace(AUTHORIZATION_HEADER, (_m, prefix: string) => `${prefix}${REDACTED}`);
  out = out.replace(BEARER, (_m, scheme: string, space: string) => `${scheme}${space}${REDACTED}`);
  out = out.replace(URL_PASSWORD, (_m, prefix: string, at: string) => `${prefix}${REDACTED}${at}`);
  out = out.replace(SECRET_FLAG, (_m, flag: string, sep: string) => `${flag}${sep}${REDACTED}`);
  out = out.replace(SECRET_JSON_KEY, (_m, prefix: string) => `${prefix}"${REDACTED}"`);
  out = out.replace(SECRET_ASSIGNMENT, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`);
  out = out.replace(TMCP_KEY, (m) =>
    /^tmcp_[a-z0-9_]+$/.test(m) && !/^tmcp_[a-f0-9]{32,}$/.test(m) ? m : `tmcp_${REDACTED}`,
  );
  // Join tokens are 32+ hex characters; hex alone is too common (CA pins, git refs) to remove
  // everywhere, so only runs with the word "token" shortly before them are treated as tokens.
  out = out.replace(HEX_RUN, (m, offset: number, whole: string) => {
    const before = whole.slice(Math.max(0, offset - TOKEN_CONTEXT_WINDOW), offset);
    return TOKEN_CONTEXT.test(before) ? REDACTED : m;
  });
  return out;
}

const SECRET_KEYS = new Set([
  'token',
  'password',
  'passwd',
  'secret',
  'client_secret',
  'clientsecret',
  'api_key',
  'apikey',
  'private_key',
  'privatekey',
  'access_key',
  'secret_key',
  'auth_token',
  'join_token',
  'authorization',
  'identity',
  'identity_file_content',
]);

const MAX_DEPTH = 64;

/**
 * Redacts a JSON-like value: strings through {@link redact}, values under secret-named keys
 * replaced entirely. Returns a new value; the input is not modified.
 */
export function redactValue(value: unknown): unknown {
  return redactInner(value, new WeakSet<object>(), 0);
}

function redactInner(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactInner(v, seen, depth + 1));
    if (value instanceof Date) return new Date(value.getTime());
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] =
        SECRET_KEYS.has(key.toLowerCase()) && v !== null && v !== undefined && v !== ''
          ? REDACTED
          : redactInner(v, seen, depth + 1);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
