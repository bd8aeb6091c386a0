// Field builders shared by the per-binary schemas, so that a port, a path or a secret is checked
// (and explained) the same way everywhere. Messages are shown to operators next to the YAML path.
import path from 'node:path';
import { z } from 'zod';
import { LOG_LEVELS, type LogLevel } from './config-types.js';
import { normalizeDatabaseUrl } from './database-url.js';

/** Metadata key that marks a field as secret; redactConfig() finds every such field. */
export interface ConfigFieldMeta {
  secret?: boolean;
}

/** Marks a value as secret: never printed, logged or returned. */
export function secret<T extends z.ZodType>(schema: T): T {
  return schema.meta({ secret: true } satisfies ConfigFieldMeta);
}

export function isSecretSchema(schema: z.ZodType): boolean {
  const meta: unknown = z.globalRegistry.get(schema);
  return typeof meta === 'object' && meta !== null && (meta as ConfigFieldMeta).secret === true;
}

/** A port to listen on; 0 asks the OS for a free port (tests, ephemeral setups). */
export const listenPort = z
  .number()
  .int('must be a whole number')
  .min(0, 'must be a port number 1..65535 (0 picks a free port)')
  .max(65535, 'must be a port number 1..65535 (0 picks a free port)');

export const positiveInt = z
  .number()
  .int('must be a whole number')
  .positive('must be greater than 0');
export const nonNegativeInt = z.number().int('must be a whole number').min(0, 'must be 0 or more');

export const nonEmptyString = z.string().trim().min(1, 'must not be empty');

/** A filesystem path; existence is checked by the component that opens it, at start. */
export const filePath = z
  .string()
  .trim()
  .min(1, 'must be a file path, not empty')
  .refine((value) => !value.includes('\0'), 'must not contain NUL characters');

/**
 * A path the Teleport runner hands to tsh/tctl or uses as TELEPORT_HOME: it must be absolute,
 * because a relative one would depend on the working directory of the service (the runner
 * refuses it too, but only at the first tool call).
 */
export const absolutePath = filePath.refine(
  (value) => path.isAbsolute(value),
  'must be an absolute path (e.g. /var/lib/tmcp/identity); relative paths are not resolved',
);

/**
 * An executable: a bare name looked up in PATH when the service starts (`tsh`) or an absolute
 * path (`/usr/local/bin/tsh`). A relative path (`./tsh`, `bin/tsh`) would depend on the working
 * directory and is refused, as the runner would refuse it.
 */
export const executable = filePath.refine(
  (value) => path.isAbsolute(value) || !value.includes('/'),
  'must be an absolute path (e.g. /usr/local/bin/tsh) or a bare name looked up on PATH (e.g. tsh), not a relative path',
);

const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

/** `host:port` with a port 1..65535 (IPv6 as `[::1]:443`). */
export const hostPort = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    const match = HOST_PORT.exec(value);
    const port = match === null ? NaN : Number(match[1]);
    if (match === null || port < 1 || port > 65535) {
      ctx.addIssue({
        code: 'custom',
        message: `must be host:port with a port 1..65535 (e.g. teleport.example.com:443), got "${value}"`,
      });
    }
  });

/** A bind address: hostname or IP, no port. */
export const bindHost = nonEmptyString.refine(
  (value) => !/\s|\//.test(value),
  'must be a host name or IP address (e.g. 0.0.0.0), without a port',
);

/** Case-insensitive; accepts Python-style names (WARNING, CRITICAL) from the earlier control plane. */
export const logLevel = z.string().transform((value, ctx): LogLevel => {
  const lower = value.trim().toLowerCase();
  const aliases: Record<string, LogLevel> = { warning: 'warn', critical: 'fatal' };
  const level = aliases[lower] ?? lower;
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  ctx.addIssue({
    code: 'custom',
    message: `must be one of ${LOG_LEVELS.join(', ')} (got "${value}")`,
  });
  return z.NEVER;
});

/** An absolute http(s) URL. */
export const httpUrl = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http:// or https:// URL' });
    }
  });

/** PostgreSQL URL; SQLAlchemy driver suffixes are accepted and normalized to postgresql://. */
export const databaseUrl = secret(
  z.string().transform((value, ctx) => {
    try {
      return normalizeDatabaseUrl(value);
    } catch (error) {
      // normalizeDatabaseUrl's message starts with the field name; keep only the problem.
      const message =
        error instanceof Error ? error.message.replace(/^database\.url: /, '') : 'is invalid';
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
  }),
);

export const redisUrl = secret(
  z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      if (!URL.canParse(value) || !/^rediss?:$/.test(new URL(value).protocol)) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a redis:// or rediss:// URL (e.g. redis://:password@127.0.0.1:6379/0)',
        });
      }
    }),
);

/** Names of Teleport clusters as tmcp refers to them (tool argument `cluster`, TELEPORT_HOME dir). */
export const CLUSTER_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const clusterName = z
  .string()
  .regex(
    CLUSTER_NAME,
    'must match [a-z0-9][a-z0-9._-]{0,62} (lower-case letters, digits, ".", "_", "-")',
  );

/** Reports duplicate `name`s in a list, at the path of the later occurrence. */
export function uniqueNames(
  items: readonly { name: string }[],
  ctx: z.RefinementCtx,
  path: PropertyKey[],
): void {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const first = seen.get(item.name);
    if (first === undefined) {
      seen.set(item.name, index);
    } else {
      ctx.addIssue({
        code: 'custom',
        path: [...path, index, 'name'],
        message: `duplicate cluster name "${item.name}" (also at index ${first})`,
      });
    }
  });
}

/** A section that may be left out but has required keys: validated as `{}` when absent, so each
 *  missing key is reported by its own path (`database.url: is required`). */
export function sectionWithRequiredKeys<T extends z.ZodType>(schema: T): z.ZodPrefault<T> {
  return schema.prefault({} as z.input<T>);
}
