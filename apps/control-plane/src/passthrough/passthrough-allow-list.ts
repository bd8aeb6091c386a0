// What `run_tsh_command` / `run_tctl_command` may run: a fixed list of read-only subcommands, each
// with the exact flags it accepts and a validator per positional argument. Anything else — global
// flags (--proxy, -i, --auth-server, --insecure, --debug …), secrets (--with-secrets), unknown
// flags, whitespace, control/bidi characters, path tricks — is refused before a process starts.
import { AppError } from '@tmcp/errors';
import {
  validateAccessRequestId,
  validateLabelSelector,
  validateResourceName,
  type TeleportTool,
} from '@tmcp/teleport';

export const MAX_PASSTHROUGH_ARGS = 12;
export const MAX_PASSTHROUGH_ARG_LENGTH = 256;

type Positional = (value: string, field: string) => void;

interface SubcommandRule {
  /** The words, e.g. ['request', 'ls']. */
  words: readonly string[];
  /** Accepted flags: exact spellings (`--format=json`, `-v`). */
  flags: readonly string[];
  /** Validators of the positional arguments, in order; optional ones after `required`. */
  positionals: readonly Positional[];
  required: number;
}

const FORMATS = (values: readonly string[]): string[] => values.map((f) => `--format=${f}`);
const LIST_FLAGS = [...FORMATS(['text', 'json', 'yaml']), '-v', '--verbose'];
const labels: Positional = (v, field) => void validateLabelSelector(v, field);
const requestId: Positional = (v, field) => void validateAccessRequestId(v, field);

/** `tctl get` kinds that carry no secret (tokens and anything --with-secrets would reveal stay out). */
export const TCTL_GET_KINDS = [
  'nodes',
  'node',
  'proxies',
  'proxy',
  'roles',
  'role',
  'users',
  'user',
  'apps',
  'app',
  'db',
  'kube_clusters',
  'kube_cluster',
  'cert_authorities',
  'cert_authority',
  'cas',
  'cluster_auth_preference',
  'cap',
  'app_servers',
  'app_server',
  'db_servers',
  'db_server',
  'locks',
  'lock',
] as const;

const tctlRef: Positional = (v, field) => {
  const parts = v.split('/');
  const kind = parts[0]?.toLowerCase() ?? '';
  if (!(TCTL_GET_KINDS as readonly string[]).includes(kind)) {
    throw AppError.badParameter(field, `kind must be one of ${TCTL_GET_KINDS.join(', ')}`);
  }
  if (parts.length > 3)
    throw AppError.badParameter(field, 'must be <kind>, <kind>/<name> or <kind>/<sub kind>/<name>');
  parts.slice(1).forEach((p) => void validateResourceName(p, field));
};

export const PASSTHROUGH_RULES: Readonly<Record<TeleportTool, readonly SubcommandRule[]>> = {
  tsh: [
    { words: ['ls'], flags: LIST_FLAGS, positionals: [labels], required: 0 },
    { words: ['status'], flags: FORMATS(['text', 'json', 'yaml']), positionals: [], required: 0 },
    {
      words: ['version'],
      flags: [...FORMATS(['text', 'json']), '--client'],
      positionals: [],
      required: 0,
    },
    {
      words: ['request', 'ls'],
      flags: [...FORMATS(['text', 'json', 'yaml']), '--reviewable', '--suggested', '--my-requests'],
      positionals: [],
      required: 0,
    },
    {
      words: ['request', 'show'],
      flags: FORMATS(['text', 'json', 'yaml']),
      positionals: [requestId],
      required: 1,
    },
    { words: ['mcp', 'ls'], flags: LIST_FLAGS, positionals: [labels], required: 0 },
    { words: ['apps', 'ls'], flags: LIST_FLAGS, positionals: [labels], required: 0 },
    { words: ['db', 'ls'], flags: LIST_FLAGS, positionals: [labels], required: 0 },
    { words: ['kube', 'ls'], flags: LIST_FLAGS, positionals: [labels], required: 0 },
  ],
  tctl: [
    {
      words: ['get'],
      flags: FORMATS(['text', 'json', 'yaml']),
      positionals: [tctlRef],
      required: 1,
    },
    { words: ['status'], flags: [], positionals: [], required: 0 },
    { words: ['version'], flags: [], positionals: [], required: 0 },
    // Without --format the table masks token names; JSON would print them (they are the secret).
    { words: ['tokens', 'ls'], flags: [], positionals: [], required: 0 },
    {
      words: ['users', 'ls'],
      flags: FORMATS(['text', 'json', 'yaml']),
      positionals: [],
      required: 0,
    },
    {
      words: ['nodes', 'ls'],
      flags: FORMATS(['text', 'json', 'yaml']),
      positionals: [],
      required: 0,
    },
  ],
};

// Control characters, Unicode format/bidi controls, line/paragraph separators, any whitespace.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\s]/u;

/** The validated argument list (after the global flags), or bad_parameter naming the problem. */
export function checkPassthroughArgs(tool: TeleportTool, args: readonly string[]): string[] {
  if (args.length === 0)
    throw AppError.badParameter('args', `give a ${tool} subcommand, e.g. ${describeAllowed(tool)}`);
  if (args.length > MAX_PASSTHROUGH_ARGS)
    throw AppError.badParameter('args', `at most ${MAX_PASSTHROUGH_ARGS} arguments`);
  args.forEach((a, i) => {
    if (typeof a !== 'string' || a.length === 0)
      throw AppError.badParameter(`args[${i}]`, 'must be a non-empty string');
    if (a.length > MAX_PASSTHROUGH_ARG_LENGTH)
      throw AppError.badParameter(
        `args[${i}]`,
        `must be at most ${MAX_PASSTHROUGH_ARG_LENGTH} characters`,
      );
    if (FORBIDDEN.test(a))
      throw AppError.badParameter(
        `args[${i}]`,
        'must not contain whitespace, control characters or Unicode format/bidi controls',
      );
    if (a.includes('..')) throw AppError.badParameter(`args[${i}]`, 'must not contain ".."');
  });
  const rule = [...PASSTHROUGH_RULES[tool]]
    .sort((a, b) => b.words.length - a.words.length)
    .find((r) => r.words.every((w, i) => args[i] === w));
  if (rule === undefined) {
    throw new AppError(
      'access_denied',
      `"${tool} ${args
        .filter((a) => !a.startsWith('-'))
        .slice(0, 2)
        .join(' ')}" is not an allowed passthrough command; allowed: ${describeAllowed(tool)}`,
    );
  }
  const rest = args.slice(rule.words.length);
  const positionals: string[] = [];
  rest.forEach((a, i) => {
    const field = `args[${rule.words.length + i}]`;
    if (a.startsWith('-')) {
      if (!rule.flags.includes(a)) {
        throw new AppError(
          'access_denied',
          `${field}: flag "${a.split('=')[0] ?? a}" is not allowed with ${tool} ${rule.words.join(' ')}${rule.flags.length ? `; allowed: ${rule.flags.join(' ')}` : ''}`,
        );
      }
      return;
    }
    const validate = rule.positionals[positionals.length];
    if (validate === undefined)
      throw AppError.badParameter(
        field,
        `${tool} ${rule.words.join(' ')} takes at most ${rule.positionals.length} argument(s)`,
      );
    validate(a, field);
    positionals.push(a);
  });
  if (positionals.length < rule.required) {
    throw AppError.badParameter(
      'args',
      `${tool} ${rule.words.join(' ')} needs ${rule.required} argument(s)`,
    );
  }
  if (rest.filter((a) => a.startsWith('--format=')).length > 1) {
    throw AppError.badParameter('args', 'give --format at most once');
  }
  return [...args];
}

export function describeAllowed(tool: TeleportTool): string {
  return PASSTHROUGH_RULES[tool].map((r) => `${tool} ${r.words.join(' ')}`).join(', ');
}
