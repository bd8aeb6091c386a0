// The one place that reads configuration: a YAML file plus environment overrides, validated
// against the binary's schema, every problem reported at once as a ConfigError.
// Only the load* functions touch the filesystem and process.env; parse* are pure.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { agentFileSchema, toAgentConfig } from './agent-config.schema.js';
import { cliFileSchema, toCliConfig } from './cli-config.schema.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { toConfigIssues, type ValueOrigin } from './config-issues.js';
import type {
  AgentConfig,
  CliConfig,
  CliFlags,
  LoadOptions,
  ServerConfig,
} from './config-types.js';
import { applyEnvOverrides, isPlainObject, type EnvOverrideScheme } from './env-overrides.js';
import { objectKeys } from './schema-walk.js';
import { serverFileSchema, toServerConfig } from './server-config.schema.js';
import { parseYamlText } from './yaml-text.js';

type Env = Record<string, string | undefined>;

interface ConfigKind<S extends z.ZodType, T> {
  schema: S;
  toConfig: (file: z.output<S>) => T;
  env: Omit<EnvOverrideScheme, 'schema'>;
  /** Variable naming the config file when LoadOptions.file is not given. */
  fileVariable: string;
  /** A file read when it exists and nothing else names one. */
  defaultFile?: (env: Env) => string | undefined;
}

/** TMCP_TEST_* belongs to the test harness (scripts/test.mjs), not to any binary's config. */
const isReservedTmcpVariable = (name: string): boolean =>
  name === 'TMCP_CONFIG' || name.startsWith('TMCP_TEST_');

const SERVER_KEYS = objectKeys(serverFileSchema) ?? [];
const AGENT_KEYS = objectKeys(agentFileSchema) ?? [];

const SERVER: ConfigKind<typeof serverFileSchema, ServerConfig> = {
  schema: serverFileSchema,
  toConfig: toServerConfig,
  // tmcp-agent shares the TMCP_ prefix (a host may run both); its top-level keys are not errors here.
  env: { prefix: 'TMCP_', isReserved: isReservedTmcpVariable, foreignKeys: AGENT_KEYS },
  fileVariable: 'TMCP_CONFIG',
};

const AGENT: ConfigKind<typeof agentFileSchema, AgentConfig> = {
  schema: agentFileSchema,
  toConfig: toAgentConfig,
  env: { prefix: 'TMCP_', isReserved: isReservedTmcpVariable, foreignKeys: SERVER_KEYS },
  fileVariable: 'TMCP_CONFIG',
};

const CLI: ConfigKind<typeof cliFileSchema, CliConfig> = {
  schema: cliFileSchema,
  toConfig: toCliConfig,
  env: { prefix: 'TMCPCTL_', isReserved: (name) => name === 'TMCPCTL_CONFIG', foreignKeys: [] },
  fileVariable: 'TMCPCTL_CONFIG',
  defaultFile: (env) => {
    const base =
      env.XDG_CONFIG_HOME ?? (env.HOME === undefined ? undefined : path.join(env.HOME, '.config'));
    if (base === undefined) return undefined;
    const file = path.join(base, 'tmcp', 'tmcpctl.yaml');
    return existsSync(file) ? file : undefined;
  },
};

export function loadServerConfig(opts: LoadOptions = {}): ServerConfig {
  return load(SERVER, opts);
}

export function loadAgentConfig(opts: LoadOptions = {}): AgentConfig {
  return load(AGENT, opts);
}

/** tmcpctl: file (TMCPCTL_CONFIG, else ~/.config/tmcp/tmcpctl.yaml if present) + TMCPCTL_* variables. */
export function loadCliConfig(opts: LoadOptions = {}): CliConfig {
  return load(CLI, opts);
}

/** Validates an already-parsed YAML object (snake_case keys); no env, no file. */
export function parseServerConfig(raw: unknown): ServerConfig {
  return parse(SERVER, raw);
}

export function parseAgentConfig(raw: unknown): AgentConfig {
  return parse(AGENT, raw);
}

export function parseCliConfig(raw: unknown): CliConfig {
  return parse(CLI, raw);
}

/** Explicit tmcpctl flags on top of the loaded config (flags > env > file), validated again. */
export function mergeCliFlags(config: CliConfig, flags: CliFlags): CliConfig {
  const raw: Record<string, unknown> = { ...config };
  const origins: ValueOrigin[] = [];
  for (const [key, value] of Object.entries(flags) as [keyof CliFlags, unknown][]) {
    if (value === undefined) continue;
    raw[key] = value;
    origins.push({ path: [key], origin: `flag --${key}` });
  }
  return validate(CLI, raw, { origins, source: 'command line' });
}

function load<S extends z.ZodType, T>(kind: ConfigKind<S, T>, opts: LoadOptions): T {
  const env: Env = opts.env ?? process.env;
  const file = opts.file ?? nonEmpty(env[kind.fileVariable]) ?? kind.defaultFile?.(env);

  let raw: Record<string, unknown> = {};
  const fileIssues: ConfigIssue[] = [];
  if (file !== undefined) {
    const read = readConfigFile(file);
    if (read.ok) raw = read.value;
    else fileIssues.push(...read.issues);
  }

  const overridden = applyEnvOverrides(raw, env, { ...kind.env, schema: kind.schema });
  const source = file ?? 'environment';
  if (fileIssues.length > 0) {
    // Without a readable file, schema errors (missing keys) would only be noise.
    throw new ConfigError([...fileIssues, ...overridden.issues], source);
  }
  return validate(kind, overridden.raw, {
    origins: overridden.sources,
    source,
    extraIssues: overridden.issues,
  });
}

function readConfigFile(
  file: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; issues: ConfigIssue[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const hint =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code;
    return {
      ok: false,
      issues: [{ path: file, message: `cannot read the config file (${hint})` }],
    };
  }
  const parsed = parseYamlText(text, file);
  if (!parsed.ok) return parsed;
  if (parsed.value === null || parsed.value === undefined) return { ok: true, value: {} }; // empty file
  if (!isPlainObject(parsed.value)) {
    return {
      ok: false,
      issues: [{ path: file, message: 'must be a YAML mapping of sections (e.g. "service:")' }],
    };
  }
  return { ok: true, value: parsed.value };
}

function parse<S extends z.ZodType, T>(kind: ConfigKind<S, T>, raw: unknown): T {
  return validate(kind, raw ?? {}, {});
}

function validate<S extends z.ZodType, T>(
  kind: ConfigKind<S, T>,
  raw: unknown,
  context: { origins?: ValueOrigin[]; source?: string; extraIssues?: ConfigIssue[] },
): T {
  const result = kind.schema.safeParse(raw);
  const issues = [
    ...(result.success ? [] : toConfigIssues(result.error.issues, kind.schema, context.origins)),
    ...(context.extraIssues ?? []),
  ];
  if (issues.length > 0 || !result.success) throw new ConfigError(issues, context.source);
  return kind.toConfig(result.data);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
