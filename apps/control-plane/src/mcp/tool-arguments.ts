// Argument fragments shared by tools, so every tool spells `cluster`, `reason` and `ticket` the
// same way (names, limits, descriptions the model reads).
import { MAX_REASON_LENGTH } from '@tmcp/policy';
import { z } from 'zod';

/** Teleport cluster names as the configuration accepts them. */
export const CLUSTER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Optional `cluster` argument: the configured cluster to ask; the default one when left out. */
export const clusterArgument = {
  cluster: z
    .string()
    .regex(CLUSTER_NAME_PATTERN, 'must be the name of a configured Teleport cluster')
    .optional()
    .describe('Name of the configured Teleport cluster to use (default: the default cluster)'),
};

/** `reason` (required) and `ticket` (optional) for mutating tools; the policy engine checks them. */
export const reasonArguments = {
  reason: z
    .string()
    .trim()
    .min(1, 'say briefly why you are doing this')
    .max(MAX_REASON_LENGTH)
    .describe('Why you are doing this (recorded with the operation; required)'),
  ticket: z
    .string()
    .trim()
    .min(1)
    .max(128)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .describe('Change ticket, when your role requires one (e.g. CHG-1234)'),
};
