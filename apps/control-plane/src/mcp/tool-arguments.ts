// Argument fragments shared by tools, so every tool spells `cluster`, `reason` and `ticket` the
// same way (names, limits, descriptions the model reads).
import { MAX_REASON_LENGTH } from '@tmcp/policy';
import { z } from 'zod';

/** Teleport cluster names as the configuration accepts them. */
export const CLUSTER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const MAX_TICKET_LENGTH = 128;

/** Optional `cluster` argument: the configured cluster to ask; the default one when left out. */
export const clusterArgument = {
  cluster: z
    .string()
    .regex(CLUSTER_NAME_PATTERN, 'must be the name of a configured Teleport cluster')
    .optional()
    .describe('Name of the configured Teleport cluster to use (default: the default cluster)'),
};

/**
 * `reason` and `ticket`, accepted by every tool (the catalogue adds them to each input schema
 * with withCallContextArguments). Both are optional in the schema: whether the call needs them
 * is the policy engine's decision (a reason for every change, a ticket when a role requires one),
 * so a missing one is a `denied` operation with the rule that refused it, not a malformed call.
 * A blank value counts as absent.
 */
export const reasonArguments = {
  reason: z
    .string()
    .trim()
    .max(MAX_REASON_LENGTH)
    .default('')
    .describe(
      'Why you are doing this, recorded with the operation; required for every tool that changes something',
    ),
  ticket: z
    .string()
    .trim()
    .max(MAX_TICKET_LENGTH)
    .regex(/^[\x21-\x7e]*$/, 'must be printable ASCII without spaces')
    .optional()
    .describe('Change ticket (e.g. CHG-1234), when one of your roles requires one'),
};

/**
 * The tool's input with `reason` and `ticket` added where it does not declare them, so a role
 * that requires a ticket (or a reason) for read-only tools can pass one to every tool, strict
 * schemas included. Every tool input is a zod object (tool-definition.ts).
 */
export function withCallContextArguments(name: string, input: z.ZodType): z.ZodType {
  if (!(input instanceof z.ZodObject)) {
    throw new Error(`MCP tool ${name}: the input schema must be a zod object`);
  }
  const shape = input.shape as Record<string, unknown>;
  const missing = Object.fromEntries(
    Object.entries(reasonArguments).filter(([key]) => !Object.hasOwn(shape, key)),
  );
  return Object.keys(missing).length === 0 ? input : input.safeExtend(missing);
}
