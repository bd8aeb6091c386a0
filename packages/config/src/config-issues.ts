// Turns zod issues into ConfigIssues an operator can act on: the snake_case path as written, the
// env variable a bad value came from, and a "did you mean" for unknown keys.
import type { z } from 'zod';
import type { ConfigIssue } from './config-error.js';
import { objectKeys, schemaAt } from './schema-walk.js';

/** Where the value at `path` of the raw config came from when not from the file (`env TMCP_X`, `flag --format`). */
export interface ValueOrigin {
  path: readonly string[];
  origin: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

export function toConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  origins: readonly ValueOrigin[] = [],
): ConfigIssue[] {
  return issues.flatMap((issue): ConfigIssue[] => {
    const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = objectKeys(schemaAt(schema, path) ?? schema) ?? [];
      return issue.keys.map((key) => ({
        path: describe([...path, key], origins),
        message: `unknown key${unknownKeyHint(key, known)}`,
      }));
    }
    return [{ path: describe(path, origins), message: messageOf(issue) }];
  });
}

function describe(path: readonly (string | number)[], origins: readonly ValueOrigin[]): string {
  const source = origins.find((s) => s.path.every((segment, i) => path[i] === segment));
  const shown = formatPath(path);
  return source === undefined ? shown : `${shown} (from ${source.origin})`;
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined'))
    return 'is required';
  if (issue.code === 'invalid_type') {
    const expected =
      issue.expected === 'object'
        ? 'a mapping'
        : issue.expected === 'array'
          ? 'a list'
          : `a ${issue.expected}`;
    const received = /received (\w+)$/.exec(issue.message)?.[1];
    return `expected ${expected}${received === undefined ? '' : `, got ${received}`}`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}

export function unknownKeyHint(key: string, known: readonly string[]): string {
  if (known.length === 0) return '';
  const snake = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replaceAll('-', '_')
    .toLowerCase();
  if (snake !== key && known.includes(snake))
    return ` (keys are snake_case: did you mean ${snake}?)`;
  const extended = known.find((candidate) => candidate.startsWith(`${snake}_`));
  if (extended !== undefined) return ` (did you mean ${extended}?)`;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(snake, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 4))) {
    return ` (did you mean ${best}?)`;
  }
  return ` (expected one of: ${known.join(', ')})`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
