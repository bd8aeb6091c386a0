// Redaction for printing a parsed config (`tmcp-server config check`, startup logs): every field
// marked secret() in a schema is masked, URLs keep scheme/user/host and lose only the password,
// and, as a second line of defence, any key that looks like a credential is masked too.
import YAML from 'yaml';
import { agentFileSchema } from './agent-config.schema.js';
import { cliFileSchema } from './cli-config.schema.js';
import { secretPaths } from './schema-walk.js';
import { serverFileSchema } from './server-config.schema.js';

export const REDACTED = '***';

/** Secret paths of every binary's schema, keys normalized so camelCase and snake_case both match. */
const SECRET_PATHS: readonly string[][] = [
  serverFileSchema,
  agentFileSchema,
  cliFileSchema,
].flatMap((schema) => secretPaths(schema).map((path) => path.map(normalizeKey)));

const CREDENTIAL_KEY = /(password|passwd|secret|token|apikey|privatekey|credential)$/;
const CREDENTIAL_QUERY_PARAM = /^(password|sslpassword|pass|token|secret|access_token|auth)$/i;

/** A deep copy of a parsed config (any binary) with every secret replaced. */
export function redactConfig(config: unknown): unknown {
  return redactValue(config, []);
}

/** YAML of redactConfig(config) (camelCase keys, as the code sees it), for `config check`. */
export function formatConfig(config: unknown): string {
  return YAML.stringify(redactConfig(config), { lineWidth: 0 });
}

function redactValue(value: unknown, path: string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => redactValue(item, [...path, '*']));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [
        key,
        redactValue(child, [...path, normalizeKey(key)]),
      ]),
    );
  }
  if (typeof value !== 'string') return value;
  const last = path[path.length - 1] ?? '';
  if (isSecretPath(path) || CREDENTIAL_KEY.test(last)) return maskSecret(value);
  return maskUrlCredentials(value) ?? value;
}

function isSecretPath(path: readonly string[]): boolean {
  return SECRET_PATHS.some(
    (secret) =>
      secret.length === path.length &&
      secret.every((segment, i) => segment === '*' || segment === path[i]),
  );
}

/** A secret URL keeps everything but its credentials (so operators can see where it points). */
function maskSecret(value: string): string {
  return maskUrlCredentials(value, { always: true }) ?? REDACTED;
}

/** The URL with password and credential query parameters masked; undefined if not a URL
 *  (or, unless `always`, when there was nothing to mask). */
function maskUrlCredentials(value: string, { always = false } = {}): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  let masked = false;
  if (url.password !== '') {
    url.password = REDACTED;
    masked = true;
  }
  for (const key of [...url.searchParams.keys()]) {
    if (CREDENTIAL_QUERY_PARAM.test(key)) {
      url.searchParams.set(key, REDACTED);
      masked = true;
    }
  }
  // A user name alone in a secret URL can itself be a token (redis://TOKEN@host).
  if (always && url.password === '' && url.username !== '') {
    url.username = REDACTED;
    masked = true;
  }
  return masked || always ? url.toString() : undefined;
}

function normalizeKey(key: string): string {
  return key.replaceAll('_', '').toLowerCase();
}
