// The one redaction function of tmcp: everything that leaves a tsh/tctl process for a log, an
// error, the database or an MCP client passes through it. It errs towards removing too much in
// secret-looking contexts, and leaves ordinary output (names, UUIDs, tables, JSON) untouched.

export const REDACTED = '***';

// JSON safety: a rule never matches across an unescaped `"` nor splits a `\x` escape, and no
// replacement holds a quote, so redacting a JSON fragment cannot break its strings. A whole JSON
// document is redacted string by string instead (redactJsonDocument), which keeps it valid JSON
// by construction and lets the key of a value decide as well.

// One character of a secret value: anything but whitespace, a quote or a backslash, or a
// backslash escape taken whole (`\"` inside a JSON string is part of the value).
const VALUE_CHAR = String.raw`(?:[^\s"\\]|\\\S)`;

// PEM blocks, terminated, cut off by an output cap, or cut off by the end of a JSON string.
// Certificates go too: identity files bundle them with the private key and nothing the product
// shows needs them.
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]{1,64})-----[^"]*?(?:-----END \1-----|(?=")|$)/g;
// base64 of "-----BEGIN" (how tctl prints keys and certs inside JSON); checked below for keys.
const BASE64_PEM = /LS0tLS1CRUdJT[A-Za-z0-9+/=]{20,}/g;
const SSH_CERT = /\b([a-z0-9-]+-cert-v01@openssh\.com)\s+[A-Za-z0-9+/=]{20,}/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/g;
const BEARER = /\b(Bearer)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const AUTHORIZATION_HEADER = /\b(Authorization:\s*)(?:[^\r\n"\\]|\\[^\r\n])+/gi;
// scheme://user:password@host → scheme://user:***@host
const URL_PASSWORD = new RegExp(
  String.raw`\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"\\]+:)(?:[^\s@/"\\]|\\\S)+(@)`,
  'gi',
);
const SECRET_FLAG_NAME = String.raw`--?[A-Za-z0-9_-]*(?:token|password|passwd|secret|api-key|apikey)[A-Za-z0-9_-]*`;
// --token=x, --token x, --password=x, --client-secret "x y", --api-key=x … A quoted value must
// end at whitespace or the end: otherwise the "quotes" are the ends of two JSON strings.
const SECRET_FLAG = new RegExp(
  String.raw`(?<![\w-])(${SECRET_FLAG_NAME})(=|\s+)(?!-)("[^"\n]*"(?=\s|$)|'[^'\n]*'(?=\s|$)|${VALUE_CHAR}+)`,
  'gi',
);
/** An argv element that is a secret flag whose value is the next element. */
const BARE_SECRET_FLAG = new RegExp(String.raw`^${SECRET_FLAG_NAME}$`, 'i');
// ["--password", "hunter2"]: the value is the next string of a JSON array.
const SECRET_FLAG_JSON_PAIR = new RegExp(
  String.raw`("${SECRET_FLAG_NAME}"\s*,\s*)"(?!-)(?:[^"\\]|\\.)+"`,
  'gi',
);
// "token": "…", "password": "…", "private_key": "…" in JSON
const SECRET_JSON_KEY =
  /("(?:token|password|passwd|secret|client_secret|api_key|apikey|private_key|access_key|secret_key|auth_token|join_token|identity)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;
// password=…, secret: … in key/value text (env dumps, DSNs, YAML)
const SECRET_ASSIGNMENT = new RegExp(
  String.raw`\b([A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|API_KEY|TOKEN)|password|passwd|secret|client_secret|api_key|secret_key|token|auth_token|join_token|access_token|refresh_token|id_token)(\s*[=:]\s*)(?!\*\*\*)((?:[^\s",'\\]|\\\S)+)`,
  'g',
);
// tmcp API keys: a random suffix, as opposed to snake_case identifiers like tmcp_operations_total.
const TMCP_KEY = /\btmcp_[A-Za-z0-9_-]{20,}/g;
const HEX_RUN = /\b[a-f0-9]{32,}\b/gi;
const TOKEN_CONTEXT = /token/i;
// Something every rule above needs in its match (keep in sync): text without any of these is
// returned as it is, which makes large JSON documents of ordinary strings cheap to redact.
const SUSPECT =
  /BEGIN|LS0tLS1CRUdJT|cert-v01|eyJ|bearer|authorization|:\/\/|token|passw|secret|api.?key|_key|identity|tmcp_|[a-f0-9]{32}/i;
const TOKEN_CONTEXT_WINDOW = 160;

function isPrivateKeyBase64(b64: string): boolean {
  const head = Buffer.from(b64.slice(0, 80), 'base64').toString('latin1');
  return head.includes('PRIVATE KEY');
}

/**
 * Removes secrets from free text (command output, stderr, error messages, argv). A JSON document
 * stays a JSON document of the same shape: only string values change.
 */
export function redact(text: string): string {
  if (text.length === 0) return text;
  return isJsonDocument(text) ? redactJsonDocument(text) : redactText(text, '');
}

function isJsonDocument(text: string): boolean {
  const first = /\S/.exec(text)?.[0];
  if (first !== '{' && first !== '[') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// A string literal of a valid JSON document; outside literals there are no quotes.
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;
const KEY_FOLLOWS = /\s*:/y;
const KEY_VALUE_GAP = /^\s*:\s*$/;
const ELEMENT_GAP = /^\s*,\s*$/;

/**
 * Redacts each string of a valid JSON document in place (the layout between strings is kept
 * byte for byte): values under secret-named keys and values after a bare secret flag in an argv
 * array go whole, every other string through the text rules with the text before it as context.
 */
function redactJsonDocument(text: string): string {
  let out = '';
  let last = 0;
  let previous: { kind: 'key' | 'value'; text: string } | undefined;
  for (const match of text.matchAll(JSON_STRING)) {
    const start = match.index;
    const literal = match[0];
    const end = start + literal.length;
    const value = literal.includes('\\') ? (JSON.parse(literal) as string) : literal.slice(1, -1);
    const gap = text.slice(last, start);
    KEY_FOLLOWS.lastIndex = end;
    const isKey = KEY_FOLLOWS.test(text);
    let redacted: string;
    if (
      !isKey &&
      value !== '' &&
      previous !== undefined &&
      ((previous.kind === 'key' &&
        KEY_VALUE_GAP.test(gap) &&
        SECRET_KEYS.has(previous.text.toLowerCase())) ||
        (previous.kind === 'value' &&
          ELEMENT_GAP.test(gap) &&
          BARE_SECRET_FLAG.test(previous.text) &&
          !value.startsWith('-')))
    ) {
      redacted = REDACTED;
    } else {
      const context = text.slice(Math.max(0, start - TOKEN_CONTEXT_WINDOW), start);
      redacted = redactText(value, context);
    }
    out += gap + (redacted === value ? literal : JSON.stringify(redacted));
    last = end;
    previous = { kind: isKey ? 'key' : 'value', text: value };
  }
  return out + text.slice(last);
}

/** The text rules; `context` is the text just before `text` (for the join-token heuristic). */
function redactText(text: string, context: string): string {
  if (!SUSPECT.test(text)) return text;
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
  out = out.replace(SECRET_FLAG_JSON_PAIR, (_m, prefix: string) => `${prefix}"${REDACTED}"`);
  out = out.replace(SECRET_JSON_KEY, (_m, prefix: string) => `${prefix}"${REDACTED}"`);
  out = out.replace(SECRET_ASSIGNMENT, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`);
  out = out.replace(TMCP_KEY, (m) =>
    /^tmcp_[a-z0-9_]+$/.test(m) && !/^tmcp_[a-f0-9]{32,}$/.test(m) ? m : `tmcp_${REDACTED}`,
  );
  // Join tokens are 32+ hex characters; hex alone is too common (CA pins, git refs) to remove
  // everywhere, so only runs with the word "token" shortly before them are treated as tokens.
  out = out.replace(HEX_RUN, (m, offset: number, whole: string) => {
    const before = (context + whole.slice(0, offset)).slice(-TOKEN_CONTEXT_WINDOW);
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
    if (Array.isArray(value)) {
      // ["--password", "hunter2"]: the element after a bare secret flag is its value.
      return value.map((v, i) => {
        const flag: unknown = value[i - 1];
        return typeof v === 'string' &&
          v !== '' &&
          !v.startsWith('-') &&
          typeof flag === 'string' &&
          BARE_SECRET_FLAG.test(flag)
          ? REDACTED
          : redactInner(v, seen, depth + 1);
      });
    }
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
