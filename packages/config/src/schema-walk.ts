// Reads the structure of a config schema (keys, leaf kinds, secret marks) so that env overrides,
// unknown-key hints and redaction follow the schema instead of hand-kept lists.
import { z } from 'zod';
import { isSecretSchema } from './schema-fields.js';

/** The schema a wrapper (optional, default, prefault, nullable, readonly, catch, pipe) validates with. */
function innerOf(schema: z.ZodType): z.ZodType | undefined {
  if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodPrefault ||
    schema instanceof z.ZodNullable ||
    schema instanceof z.ZodReadonly ||
    schema instanceof z.ZodCatch
  ) {
    return schema.unwrap() as z.ZodType;
  }
  if (schema instanceof z.ZodPipe) return schema.in as z.ZodType;
  return undefined;
}

/** Every layer of a schema from the outermost wrapper to the core type. */
function layers(schema: z.ZodType): z.ZodType[] {
  const out: z.ZodType[] = [];
  for (
    let current: z.ZodType | undefined = schema;
    current !== undefined;
    current = innerOf(current)
  ) {
    out.push(current);
  }
  return out;
}

export function unwrapSchema(schema: z.ZodType): z.ZodType {
  const all = layers(schema);
  return all[all.length - 1] ?? schema;
}

export function isSecretField(schema: z.ZodType): boolean {
  return layers(schema).some(isSecretSchema);
}

/** Keys of an object schema, or undefined when the schema is not an object. */
export function objectKeys(schema: z.ZodType): string[] | undefined {
  const core = unwrapSchema(schema);
  return core instanceof z.ZodObject ? Object.keys(core.shape) : undefined;
}

/** The schema one step down: an object's key, a record's value, an array's element. */
export function childSchema(schema: z.ZodType, segment: string | number): z.ZodType | undefined {
  const core = unwrapSchema(schema);
  if (core instanceof z.ZodObject) {
    const shape = core.shape as Record<string, z.ZodType>;
    return typeof segment === 'string' && Object.hasOwn(shape, segment)
      ? shape[segment]
      : undefined;
  }
  if (core instanceof z.ZodRecord) return core.valueType as z.ZodType;
  if (core instanceof z.ZodArray) return core.element as z.ZodType;
  return undefined;
}

export function schemaAt(
  schema: z.ZodType,
  path: readonly (string | number)[],
): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    if (current === undefined) return undefined;
    current = childSchema(current, segment);
  }
  return current;
}

/** True for a leaf whose input is a string (env values are then taken verbatim, not as YAML). */
export function expectsString(schema: z.ZodType): boolean {
  const core = unwrapSchema(schema);
  return core instanceof z.ZodString || core instanceof z.ZodEnum;
}

/** What a container holds: 'object' | 'record' | 'array' | 'leaf'. */
export function containerKind(schema: z.ZodType): 'object' | 'record' | 'array' | 'leaf' {
  const core = unwrapSchema(schema);
  if (core instanceof z.ZodObject) return 'object';
  if (core instanceof z.ZodRecord) return 'record';
  if (core instanceof z.ZodArray) return 'array';
  return 'leaf';
}

/** Paths (schema keys; '*' for any record key or list element) of every field marked secret. */
export function secretPaths(schema: z.ZodType, prefix: string[] = []): string[][] {
  if (isSecretField(schema)) return [prefix];
  const core = unwrapSchema(schema);
  if (core instanceof z.ZodObject) {
    return Object.entries(core.shape as Record<string, z.ZodType>).flatMap(([key, child]) =>
      secretPaths(child, [...prefix, key]),
    );
  }
  if (core instanceof z.ZodRecord)
    return secretPaths(core.valueType as z.ZodType, [...prefix, '*']);
  if (core instanceof z.ZodArray) return secretPaths(core.element as z.ZodType, [...prefix, '*']);
  return [];
}
