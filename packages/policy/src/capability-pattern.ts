// Capability patterns in roles: a capability name, or a glob over names (`inventory.*`,
// `admin.*.read`, `*`). `*` matches any run of characters, dots included.
import { CAPABILITIES, type Capability } from './capabilities.js';
import { matchGlob } from './glob-pattern.js';

const PATTERN_SYNTAX = /^[a-z0-9_.*]+$/;

export function matchCapabilityPattern(pattern: string, capability: string): boolean {
  return matchGlob(pattern, capability);
}

/** The capabilities a pattern grants or denies; empty for a pattern that names nothing. */
export function capabilitiesMatching(pattern: string): Capability[] {
  if (!PATTERN_SYNTAX.test(pattern)) return [];
  return CAPABILITIES.filter((c) => matchCapabilityPattern(pattern, c));
}

/** The first pattern in `patterns` that matches `capability`. */
export function findCapabilityPattern(
  patterns: readonly string[],
  capability: string,
): string | undefined {
  return patterns.find((p) => matchCapabilityPattern(p, capability));
}
