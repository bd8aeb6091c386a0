// Building blocks for parsing Teleport's JSON tolerantly (TELEPORT.md preamble): unknown fields
// are kept out of the models but never rejected; optional fields may be absent or null; lists may
// be null, a single value or a comma-joined string; labels may be a map (string or list values),
// a list of `k=v` or a `k=v,k2=v2` string; enums may be numbers or strings.
import { AppError } from '@tmcp/errors';
import { z } from 'zod';
import { assertCompleteOutput } from '../output-truncation.js';

/** Go's zero time.Time, printed for non-pointer timestamps that were never set. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Label map with every value as a list (role label selectors can hold several values). */
export type LabelValues = Record<string, string[]>;

function toStringList(value: unknown): string[] {
  if (value === null || value === undefined || value === '') return [];
  if (Array.isArray(value))
    return value.filter((v) => v !== null && v !== undefined).map((v) => String(v as string));
  if (typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  return [];
}

/** A list of strings from an array, a single value, a comma-joined string or null. */
export const stringList = z.unknown().optional().transform(toStringList);

function toLabelValues(value: unknown): LabelValues {
  const out: LabelValues = {};
  const add = (key: string, v: unknown): void => {
    const k = key.trim();
    if (k.length === 0) return;
    (out[k] ??= []).push(...toStringList(v));
  };
  const addPair = (pair: string): void => {
    const eq = pair.indexOf('=');
    if (eq > 0) add(pair.slice(0, eq), pair.slice(eq + 1));
  };
  if (value === null || value === undefined) return out;
  if (typeof value === 'string') {
    for (const part of value.split(',')) addPair(part.trim());
  } else if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'string') addPair(item);
      else if (item && typeof item === 'object') {
        // [{name|key, value}] shapes
        const o = item as Record<string, unknown>;
        const key = o.name ?? o.key;
        if (typeof key === 'string') add(key, o.value ?? o.values);
      }
    }
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) add(k, v);
  }
  return out;
}

/** Labels with list values (role selectors: `{"env": ["dev","staging"]}`). */
export const labelValues = z.unknown().optional().transform(toLabelValues);

/** Labels with single string values (resource metadata); several values are comma-joined. */
export const labelMap = z
  .unknown()
  .optional()
  .transform((v) => {
    const out: Record<string, string> = {};
    for (const [k, vals] of Object.entries(toLabelValues(v))) out[k] = vals.join(',');
    return out;
  });

export const optionalString = z
  .unknown()
  .optional()
  .transform((v) =>
    typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined,
  );

/** A timestamp; absent, empty or Go's zero time → undefined. */
export const optionalTime = z
  .unknown()
  .optional()
  .transform((v) =>
    typeof v === 'string' && v.length > 0 && !v.startsWith('0001-01-01') ? v : undefined,
  );

export const bool = z
  .unknown()
  .optional()
  .transform((v) => v === true || v === 'true' || v === 1);

export const optionalBool = z
  .unknown()
  .optional()
  .transform((v) =>
    v === undefined || v === null ? undefined : v === true || v === 'true' || v === 1,
  );

/** An enum printed as a number or a string, normalised to its name. */
export function enumOf(byNumber: Readonly<Record<number, string>>, unknownName: string) {
  return z
    .unknown()
    .optional()
    .transform((v): string => {
      if (typeof v === 'number') return byNumber[v] ?? unknownName;
      if (typeof v === 'string' && v.length > 0) {
        if (/^[0-9]+$/.test(v)) return byNumber[Number(v)] ?? unknownName;
        return v;
      }
      return unknownName;
    });
}

/** A scalar as text (strings, numbers, booleans); objects as JSON; null/absent → undefined. */
export function scalarText(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** A list of `item`s given as an array, a single value, or null/absent. */
export function arrayOf<S extends z.ZodType>(item: S) {
  return z
    .unknown()
    .optional()
    .transform((v): unknown[] =>
      Array.isArray(v) ? (v as unknown[]) : v === null || v === undefined ? [] : [v],
    )
    .pipe(z.array(item));
}

/** A nested object that may be absent or null: parsed as `{}` then, so its defaults apply. */
export function orEmpty<S extends z.ZodType<unknown, object>>(schema: S) {
  return z
    .unknown()
    .optional()
    .transform((v) => v ?? {})
    .pipe(schema);
}

/** Metadata common to every resource. */
export const metadataSchema = z.looseObject({
  name: z.string().min(1),
  description: optionalString,
  labels: labelMap,
  expires: optionalTime,
  revision: optionalString,
});

export const looseRecord = z
  .unknown()
  .optional()
  .transform((v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {},
  );

/**
 * JSON text → value; output cut at the runner's cap → limit_exceeded; not JSON → teleport_error
 * naming the command.
 */
export function parseJsonText(text: string, command: string): unknown {
  assertCompleteOutput(text, command);
  const trimmed = text.trim();
  if (trimmed.length === 0) return null;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch (err) {
    throw new AppError(
      'teleport_error',
      `${command} printed output that is not JSON; check that the Teleport version is supported`,
      {
        cause: err,
      },
    );
  }
}

/** An array (or one object, or null) of items, each parsed by `item`. */
export function parseList<S extends z.ZodType>(
  value: unknown,
  item: S,
  what: string,
): z.output<S>[] {
  const items: unknown[] =
    value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];
  return items.map((raw, i) => parseOne(raw, item, `${what}[${i}]`));
}

export function parseOne<S extends z.ZodType>(
  value: unknown,
  schema: S,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? issue.path.map(String).join('.') : '';
    throw new AppError(
      'teleport_error',
      `unexpected ${what} in Teleport's output${where ? ` at ${where}` : ''}: ${issue?.message ?? 'invalid'}`,
      { cause: result.error },
    );
  }
  return result.data;
}

/** Treats `"text"` input as JSON, anything else as already parsed. */
export function asJson(input: unknown, command: string): unknown {
  return typeof input === 'string' ? parseJsonText(input, command) : input;
}
