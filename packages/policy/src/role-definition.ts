// The shape of a role (built-in or custom) and the validation of a custom role read from YAML or
// JSON. Validation reports every problem at once, so an admin fixes a role in one round trip.
import { AppError } from '@tmcp/errors';
import { z } from 'zod';
import { ROLE_NAMES } from './builtin-roles.js';
import { capabilitiesMatching } from './capability-pattern.js';
import { compileToolPattern, isRegexToolPattern } from './federated-tool-pattern.js';
import { LEASE_KINDS, isLabelSelector } from './lease-constraints.js';
import { compileTicketPattern } from './ticket-pattern.js';

export const MAX_ROLE_TTL_SECONDS = 24 * 3600;

/**
 * What a custom role gets for each constraint it leaves out. `rateLimit` is the engine's
 * fallback: a role without its own rate limit gets the resolver's default (the server's
 * rate_limit config), and this one only when the resolver has none.
 */
export const DEFAULT_ROLE_CONSTRAINTS = {
  maxTtlSeconds: 3600,
  maxConcurrentLeases: 10,
  allowedLeaseKinds: [...LEASE_KINDS],
  allowedTargets: ['*'],
  // As in Teleport: no allow entry, no federated tool.
  federatedTools: { allow: [], deny: [] },
  rateLimit: { perMinute: 60, burst: 20 },
  leaseScope: 'own',
} as const;

const capabilityPattern = z
  .string()
  .min(1)
  .max(128)
  .superRefine((pattern, ctx) => {
    if (capabilitiesMatching(pattern).length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `"${pattern}" matches no known capability`,
      });
    }
  });

const toolPattern = z
  .string()
  .min(1)
  .max(256)
  .superRefine((pattern, ctx) => {
    if (pattern.includes('{{')) {
      ctx.addIssue({
        code: 'custom',
        message: `"${pattern}": trait templates are not supported here; list the tool patterns`,
      });
    } else if (isRegexToolPattern(pattern) && compileToolPattern(pattern) === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${pattern}" is not a valid regular expression` });
    }
  });

const targetEntry = z
  .string()
  .min(1)
  .max(256)
  .superRefine((entry, ctx) => {
    if (!isLabelSelector(entry)) return;
    for (const term of entry.split(',')) {
      const eq = term.indexOf('=');
      if (eq < 0 || term.slice(0, eq).trim() === '' || term.slice(eq + 1).trim() === '') {
        ctx.addIssue({
          code: 'custom',
          message: `"${entry}": each label selector term must be key=value or key=*`,
        });
        return;
      }
    }
  });

const roleConstraintsSchema = z.strictObject({
  maxTtlSeconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_ROLE_TTL_SECONDS)
    .default(DEFAULT_ROLE_CONSTRAINTS.maxTtlSeconds),
  maxConcurrentLeases: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(DEFAULT_ROLE_CONSTRAINTS.maxConcurrentLeases),
  allowedLeaseKinds: z
    .array(z.enum(LEASE_KINDS))
    .default(() => [...DEFAULT_ROLE_CONSTRAINTS.allowedLeaseKinds]),
  allowedTargets: z.array(targetEntry).default(() => [...DEFAULT_ROLE_CONSTRAINTS.allowedTargets]),
  federatedTools: z
    .strictObject({
      allow: z.array(toolPattern).default(() => []),
      deny: z.array(toolPattern).default(() => []),
    })
    .prefault({}),
  // Left out: the resolver's default (rate_limit.per_actor_per_minute / burst of the server).
  rateLimit: z
    .strictObject({
      perMinute: z.number().int().min(1).max(100_000),
      burst: z.number().int().min(1).max(100_000),
    })
    .optional(),
  leaseScope: z.enum(['own', 'any']).default(DEFAULT_ROLE_CONSTRAINTS.leaseScope),
});

export const roleDefinitionSchema = z.strictObject({
  name: z
    .string()
    .regex(
      /^[a-z][a-z0-9_.-]{0,63}$/,
      'must be 1-64 characters: lowercase letters, digits, "_", "-", "." (starting with a letter)',
    ),
  description: z.string().max(500).default(''),
  allow: z.array(capabilityPattern).default(() => []),
  deny: z.array(capabilityPattern).default(() => []),
  constraints: roleConstraintsSchema.prefault({}),
  requireTicket: z
    .strictObject({
      pattern: z
        .string()
        .min(1)
        .max(256)
        .refine((p) => compileTicketPattern(p) !== undefined, 'is not a valid regular expression'),
      /** Capability patterns the ticket is required for; default: every mutating capability. */
      capabilities: z.array(capabilityPattern).min(1).optional(),
    })
    .optional(),
});

/** A validated role with every default filled in. */
export type RoleDefinition = z.output<typeof roleDefinitionSchema>;
/** A role as an admin writes it (YAML/JSON): constraints may be left out. */
export type RoleDefinitionInput = z.input<typeof roleDefinitionSchema>;
export type RoleConstraints = RoleDefinition['constraints'];

/**
 * Validate a custom role definition. Throws `AppError('bad_parameter')` whose message lists
 * every problem (also in `details.problems`). A custom role may not take a `reservedNames` name
 * (default: the built-in roles).
 */
export function parseRoleDefinition(
  input: unknown,
  reservedNames: readonly string[] = ROLE_NAMES,
): RoleDefinition {
  const result = roleDefinitionSchema.safeParse(input);
  const problems = result.success ? [] : result.error.issues.map(formatIssue);
  const name = result.success ? result.data.name : nameOf(input);
  if (name !== undefined && reservedNames.includes(name)) {
    problems.unshift(`name: "${name}" is a built-in role; choose another name`);
  }
  if (!result.success || problems.length > 0) {
    const label = name === undefined ? 'role' : `role "${name}"`;
    throw new AppError(
      'bad_parameter',
      `invalid ${label}: ${problems.join('; ')}. Fix ${problems.length === 1 ? 'it' : 'them'} and try again.`,
      { details: { problems } },
    );
  }
  return result.data;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : `${i === 0 ? '' : '.'}${String(seg)}`))
    .join('');
  return `${path === '' ? 'role' : path}: ${issue.message}`;
}

function nameOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || !('name' in input)) return undefined;
  const name = input.name;
  return typeof name === 'string' && name.length <= 64 ? name : undefined;
}
