// Environment overrides: PREFIX + snake_case path segments joined by "__", upper-case
// (TMCP_SERVICE__PORT=9000). Values are YAML (numbers, booleans, flow lists/maps) except where the
// schema expects a string, which is taken verbatim so that tokens and URLs are never reinterpreted.
// Overrides are applied onto the raw file object before validation, so they win over the file.
import type { z } from 'zod';
import type { ConfigIssue } from './config-error.js';
import { unknownKeyHint, type ValueOrigin } from './config-issues.js';
import { childSchema, containerKind, expectsString, objectKeys } from './schema-walk.js';
import { parseYamlText } from './yaml-text.js';

export interface EnvOverrideScheme {
  /** 'TMCP_' or 'TMCPCTL_'. */
  prefix: string;
  schema: z.ZodType;
  /** Variables under the prefix that are not config keys (the config file path, test harness). */
  isReserved: (variable: string) => boolean;
  /** Top-level keys of another binary that shares the prefix: its variables are not ours to judge. */
  foreignKeys: readonly string[];
}

export interface EnvOverrideResult {
  raw: Record<string, unknown>;
  issues: ConfigIssue[];
  sources: ValueOrigin[];
}

export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: Record<string, string | undefined>,
  scheme: EnvOverrideScheme,
): EnvOverrideResult {
  const result: EnvOverrideResult = { raw: structuredClone(raw), issues: [], sources: [] };
  // Sorted, so that a whole section (TMCP_POLICY) is applied before a key inside it (TMCP_POLICY__X).
  const variables = Object.keys(env)
    .filter((name) => name.startsWith(scheme.prefix) && !scheme.isReserved(name))
    .sort();
  const ownKeys = objectKeys(scheme.schema) ?? [];
  for (const variable of variables) {
    const value = env[variable];
    if (value === undefined) continue;
    const path = variable
      .slice(scheme.prefix.length)
      .split('__')
      .map((segment) => segment.toLowerCase());
    const first = path[0] ?? '';
    if (!ownKeys.includes(first) && scheme.foreignKeys.includes(first)) continue;
    applyOne(result, variable, path, value, scheme.schema);
  }
  return result;
}

function applyOne(
  result: EnvOverrideResult,
  variable: string,
  path: string[],
  value: string,
  schema: z.ZodType,
): void {
  const issue = (message: string): void => {
    result.issues.push({ path: `env ${variable}`, message });
  };
  if (path.some((segment) => segment === '')) {
    issue('malformed name: nested keys are separated by "__" (e.g. TMCP_SERVICE__PORT)');
    return;
  }
  let leaf: z.ZodType = schema;
  for (const segment of path) {
    if (containerKind(leaf) === 'array') {
      issue(
        'lists are replaced whole: set the list itself to a YAML flow list, e.g. [{name: a, proxy: "p:443"}]',
      );
      return;
    }
    const child = childSchema(leaf, segment);
    if (child === undefined) {
      const known = objectKeys(leaf) ?? [];
      // TMCP_SERVICE_PORT (one underscore) for TMCP_SERVICE__PORT is the likely slip.
      const section = known.find((key) => segment.startsWith(`${key}_`));
      const hint =
        section === undefined
          ? unknownKeyHint(segment, known)
          : ` (nested keys are separated by "__": did you mean ${variable.replace(
              new RegExp(`${section}_`, 'i'),
              `${section.toUpperCase()}__`,
            )}?)`;
      issue(`unknown key "${segment}"${hint}`);
      return;
    }
    leaf = child;
  }

  let parsed: unknown = value;
  if (!expectsString(leaf)) {
    const yaml = parseYamlText(value, `env ${variable}`);
    if (!yaml.ok) {
      result.issues.push(...yaml.issues);
      return;
    }
    parsed = yaml.value;
  }

  let target = result.raw;
  for (const [index, segment] of path.entries()) {
    if (index === path.length - 1) {
      target[segment] = parsed;
      break;
    }
    const next = target[segment];
    if (next === undefined || next === null) {
      const created: Record<string, unknown> = {};
      target[segment] = created;
      target = created;
    } else if (isPlainObject(next)) {
      target = next;
    } else {
      issue(
        `cannot set a key inside ${path.slice(0, index + 1).join('.')}, which is not a mapping in the config file`,
      );
      return;
    }
  }
  result.sources.push({ path, origin: `env ${variable}` });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
