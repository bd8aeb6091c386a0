// Turns a failed tsh/tctl run into an AppError whose message tells the user what to do. The
// patterns are Teleport's own error strings (TELEPORT.md §0.1, §4.2, §4.3); anything unknown
// becomes `teleport_error` with Teleport's (redacted) message.
import { AppError, type ErrorCode } from '@tmcp/errors';
import { redact } from './redact.js';

export interface TeleportFailure {
  /** `tsh` or `tctl`; derived from argv when absent. */
  tool?: string;
  argv: readonly string[];
  exitCode: number | null;
  stderr: string;
  timedOut?: boolean;
  timeoutMs?: number;
  /** The error `spawn` reported (ENOENT, EACCES, …). */
  spawnError?: NodeJS.ErrnoException | Error;
  /** The binary path that was run (for binary_missing messages). */
  binary?: string;
}

const MAX_STDERR_DETAIL = 4096;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** The user-facing Teleport message of a stderr: the `User Message:` of a debug report, else the
 * last `ERROR: …` line, else the last non-empty line. */
export function teleportErrorMessage(stderr: string): string {
  const clean = stderr.replace(ANSI, '').replace(/\r/g, '');
  const userMessage = /User Message:\s*(.+)/.exec(clean);
  if (userMessage?.[1]) return userMessage[1].trim();
  const lines = clean.split('\n').map((l) => l.trim());
  const errorLines = lines.filter((l) => l.startsWith('ERROR:'));
  const last = errorLines[errorLines.length - 1];
  if (last !== undefined) {
    // An ERROR line may continue on the following lines (multi-line Teleport messages).
    const idx = lines.lastIndexOf(last);
    const rest = lines.slice(idx + 1).filter((l) => l.length > 0 && !l.startsWith('{'));
    return [last.slice('ERROR:'.length).trim(), ...rest].join(' ').trim();
  }
  const nonEmpty = lines.filter((l) => l.length > 0);
  return nonEmpty[nonEmpty.length - 1] ?? '';
}

/** `tctl get roles` / `tsh mcp ls`: the command words without global flags and values. */
export function describeCommand(tool: string, argv: readonly string[]): string {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) continue;
    if (words.length >= 3) break;
    if (!/^[a-z_]+$/.test(arg)) break;
    words.push(arg);
  }
  return [tool, ...words].join(' ');
}

interface Rule {
  code: ErrorCode;
  test: RegExp;
  message: (m: RegExpExecArray, ctx: RuleContext) => string;
}

interface RuleContext {
  command: string;
  tool: string;
  teleportMessage: string;
  /** The identity file the command was given (`--identity=…` / `-i …`), if any. */
  identityFile: string | undefined;
}

const IDENTITY_HINT =
  "check the cluster's identity_file in the server configuration: an absolute path to a file the tmcp service user can read";

/** What `path` is to the command: the configured identity file, or a file Teleport opened. */
function fileRole(path: string | undefined, { identityFile }: RuleContext): string {
  return path !== undefined && path === identityFile
    ? `the identity file ${path}`
    : `the file ${path ?? '(unknown)'}`;
}

const RENEW_HINT =
  'renew the identity file (for example `tctl auth sign --user=<bot> --format=file --out=<identity file> --ttl=8h`, or let tbot refresh it) and retry';

const RULES: Rule[] = [
  {
    code: 'credentials_expired',
    test: /your credentials have expired|client credentials have expired|expired certificate|certificate has expired|cert has expired|Active profile expired|Teleport session expired|MCP_SESSION_EXPIRED/i,
    message: (_m, { command }) =>
      `${command}: the Teleport credentials have expired; ${RENEW_HINT}.`,
  },
  {
    code: 'credentials_expired',
    test: /Not logged in|must be used on an Auth Service host or provided with credentials|MCP_AUTH_REQUIRED/i,
    message: (_m, { command }) =>
      `${command}: no Teleport credentials are available; configure an identity file for this cluster (\`tctl auth sign --user=<bot> --format=file --out=<identity file>\`) or log in with tsh.`,
  },
  {
    code: 'credentials_expired',
    test: /your credentials are for cluster "([^"]*)", please run `tsh login "?([^"`]*)"?`/i,
    message: (m, { command }) =>
      `${command}: the credentials belong to cluster "${m[1] ?? ''}", not to the root cluster; configure an identity file issued by the root cluster.`,
  },
  // Identity file problems are configuration problems, not RBAC or a missing Teleport resource:
  // these come before the generic access-denied and not-found rules.
  {
    code: 'precondition_failed',
    test: /open (\S+?): permission denied/,
    message: (m, ctx) =>
      `${ctx.command}: ${fileRole(m[1], ctx)} cannot be read (permission denied); ${m[1] === ctx.identityFile ? IDENTITY_HINT : 'check that the tmcp service user can read it and write to the cluster home'}.`,
  },
  {
    code: 'precondition_failed',
    test: /open (\S+?): no such file or directory/,
    message: (m, ctx) =>
      `${ctx.command}: ${fileRole(m[1], ctx)} does not exist; ${m[1] === ctx.identityFile ? IDENTITY_HINT : 'check the paths in the cluster configuration'}.`,
  },
  {
    code: 'precondition_failed',
    test: /failed to parse identity file(?: ([^\s:]+))?:?\s*([^\n]*)/,
    message: (m, ctx) => {
      const file = m[1] ?? ctx.identityFile;
      return `${ctx.command}: ${file === undefined ? 'the identity file' : `the identity file ${file}`} is not a usable Teleport identity file${m[2] ? ` (${m[2]})` : ''}; issue a new one with \`tctl auth sign --user=<bot> --format=file --out=<identity file>\` (or let tbot write it) and ${IDENTITY_HINT}.`;
    },
  },
  {
    code: 'precondition_failed',
    test: /No proxy address specified/,
    message: (_m, { command }) =>
      `${command}: no Teleport proxy address is configured; set the cluster's proxy (host:port) in the server configuration.`,
  },
  {
    code: 'bad_parameter',
    test: /--identity also requires --(proxy|auth-server)/,
    message: (m, { command }) =>
      `${command}: an identity file is configured without --${m[1] ?? 'proxy'}; set the cluster's ${m[1] === 'auth-server' ? 'authServer' : 'proxy'} address in the configuration.`,
  },
  {
    code: 'access_denied',
    test: /access denied to perform action "([^"]+)" on "([^"]+)"/,
    message: (m, { command }) =>
      `${command}: Teleport denied the "${m[1] ?? ''}" verb on "${m[2] ?? ''}" resources; add a rule {resources: [${m[2] ?? ''}], verbs: [${m[1] ?? ''}]} to a role of the identity this cluster uses.`,
  },
  {
    code: 'access_denied',
    test: /access denied to (\S+) connecting to (\S+)/,
    message: (m, { command }) =>
      `${command}: the login "${m[1] ?? ''}" is not allowed on "${m[2] ?? ''}"; add it to allow.logins of a role whose node_labels match that node.`,
  },
  {
    code: 'access_denied',
    test: /request (\S+) has been set to DENIED(?:, reason="([^"]*)")?/,
    message: (m, { command }) =>
      `${command}: access request ${m[1] ?? ''} was denied${m[2] ? ` (reason: ${m[2]})` : ''}.`,
  },
  {
    code: 'access_denied',
    test: /access to db denied/,
    message: (_m, { command, teleportMessage }) =>
      `${command}: Teleport denied access to the database (${teleportMessage}); check that the database user and name are allowed by db_users and db_names of a role whose db_labels match the database.`,
  },
  {
    code: 'access_denied',
    test: /access denied|AccessDenied|RBAC is enforced by your Teleport roles|not authorized|permission denied/i,
    message: (_m, { command, teleportMessage }) =>
      `${command}: Teleport denied access (${teleportMessage || 'access denied'}); check the roles of the identity this cluster uses.`,
  },
  {
    code: 'unreachable',
    test: /Cannot connect to the auth server(?:\. Is the auth server running on "([^"]*)"\?)?/,
    message: (m, { command }) =>
      `${command}: cannot connect to the Teleport auth server${m[1] ? ` at "${m[1]}"` : ''}; check the configured authServer/proxy address and that this host can reach it.`,
  },
  {
    code: 'unreachable',
    test: /connection refused|no such host|i\/o timeout|network is unreachable|no route to host|dial tcp|failed to connect|connection reset|MCP_UPSTREAM_UNREACHABLE|MCP_CONNECTION_TIMEOUT/i,
    message: (_m, { command, teleportMessage }) =>
      `${command}: the Teleport cluster is unreachable (${teleportMessage}); check the proxy address and the network path from this host.`,
  },
  {
    code: 'teleport_error',
    test: /expected command but got "([^"]+)"/,
    message: (m, { tool }) =>
      `this ${tool} does not know the "${m[1] ?? ''}" command; upgrade the Teleport client tools (MCP access needs tsh ≥ 18.1.0).`,
  },
  {
    code: 'teleport_error',
    test: /unknown (?:long |short )?flag '([^']+)'/,
    message: (m, { tool }) =>
      `this ${tool} does not support the flag ${m[1] ?? ''}; upgrade the Teleport client tools to a version tmcp supports (v17 or later; v18.1+ for MCP).`,
  },
  {
    code: 'bad_parameter',
    test: /unsupported resource: "([^"]*)"/,
    message: (m, { command }) =>
      `${command}: Teleport does not know the resource kind "${m[1] ?? ''}".`,
  },
  {
    code: 'bad_parameter',
    test: /request reason must be specified/,
    message: (_m, { command }) =>
      `${command}: a reason is required by the requested roles; provide a reason.`,
  },
  {
    code: 'bad_parameter',
    test: /must supply exactly one of '--approve' or '--deny'|at least one role or resource|must specify --db-user and --db-name|only one selector is allowed|no selector specified|malformed|invalid URI scheme|Malformed database resource URI|must be from the same cluster|configured twice|resource must be a database|one of --kind and --roles|only one of --kind and --roles|parsing assume-start-time/i,
    message: (_m, { command, teleportMessage }) =>
      `${command}: Teleport rejected the request: ${teleportMessage}.`,
  },
  {
    code: 'already_exists',
    test: /(\w+) "([^"]*)" already (?:exists|registered)|already exists/i,
    message: (m, { command, teleportMessage }) =>
      m[2] === undefined
        ? `${command}: already exists in the Teleport cluster (${teleportMessage}); update it instead.`
        : `${command}: ${m[1] ?? 'resource'} "${m[2]}" already exists in the Teleport cluster; update it instead of creating it.`,
  },
  {
    code: 'not_found',
    test: /(\w+) with ID "([^"]*)" not found/,
    message: (m, { command }) =>
      `${command}: ${m[1] ?? 'resource'} "${m[2] ?? ''}" was not found in the Teleport cluster.`,
  },
  {
    code: 'not_found',
    test: /(\w+) "([^"]*)" (?:is )?not found/,
    message: (m, { command }) =>
      `${command}: ${m[1] ?? 'resource'} "${m[2] ?? ''}" was not found in the Teleport cluster.`,
  },
  {
    code: 'not_found',
    test: /no MCP servers found|not found|does not exist/i,
    message: (_m, { command, teleportMessage }) =>
      `${command}: not found in the Teleport cluster (${teleportMessage}).`,
  },
  {
    code: 'not_implemented',
    test: /not supported on|not implemented|is not supported/i,
    message: (_m, { command, teleportMessage }) =>
      `${command}: not supported here (${teleportMessage}).`,
  },
];

/** The AppError for a failed (or unstartable, or timed-out) tsh/tctl run. */
export function classifyTeleportError(failure: TeleportFailure): AppError {
  const tool = failure.tool ?? 'teleport';
  const command = describeCommand(tool, failure.argv);
  const stderrRedacted = redact(failure.stderr);
  const details: Record<string, unknown> = {
    command,
    exitCode: failure.exitCode,
    ...(stderrRedacted.length > 0 ? { stderr: truncate(stderrRedacted, MAX_STDERR_DETAIL) } : {}),
  };

  if (failure.spawnError) {
    const code = (failure.spawnError as NodeJS.ErrnoException).code;
    const binary = failure.binary ?? tool;
    const problem =
      code === 'EACCES'
        ? `is not executable by this process`
        : code === 'ENOENT'
          ? 'was not found'
          : `could not be started (${code ?? failure.spawnError.message})`;
    return new AppError(
      'binary_missing',
      `the ${tool} binary ${binary} ${problem}; install the Teleport client tools on this host or set ${tool}_path in the configuration (the cluster's or the agent's) to its absolute path.`,
      { cause: failure.spawnError, details: { ...details, binary } },
    );
  }

  if (failure.timedOut) {
    const secs =
      failure.timeoutMs === undefined
        ? 'the time limit'
        : `${Math.round(failure.timeoutMs / 100) / 10} s`;
    return new AppError(
      'timeout',
      `${command} did not finish within ${secs} and was stopped; check that the Teleport proxy is reachable from this host, or raise the command timeout.`,
      { details },
    );
  }

  const teleportMessage = redact(teleportErrorMessage(failure.stderr));
  const ctx: RuleContext = {
    command,
    tool,
    teleportMessage,
    identityFile: identityFileOf(failure.argv),
  };
  for (const rule of RULES) {
    const m = rule.test.exec(teleportMessage) ?? rule.test.exec(stderrRedacted);
    if (m) {
      return new AppError(rule.code, rule.message(m, ctx), {
        details: { ...details, teleportMessage },
      });
    }
  }
  const exit = failure.exitCode === null ? 'was killed' : `exited with code ${failure.exitCode}`;
  return new AppError(
    'teleport_error',
    `${command} ${exit}${teleportMessage ? `: ${teleportMessage}` : ''}`,
    { details: { ...details, teleportMessage } },
  );
}

function identityFileOf(argv: readonly string[]): string | undefined {
  for (const [i, arg] of argv.entries()) {
    if (arg.startsWith('--identity=')) return arg.slice('--identity='.length);
    if (arg === '--identity' || arg === '-i') return argv[i + 1];
  }
  return undefined;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [truncated]`;
}
