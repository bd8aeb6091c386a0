// Which tools of a federated MCP server an actor may call, with the semantics of Teleport's
// role `mcp.tools` (TELEPORT.md §1.8): an entry is a literal, a glob (`*` = any run of
// characters, `*` alone = every tool) or, when wrapped in `^…$`, a regular expression that must
// match the whole name. No allow entry means no tool; a matching deny entry always wins; an
// entry that is not a valid regular expression matches nothing.
import { globToRegExp } from './glob-pattern.js';

export interface FederatedToolPatterns {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

export type FederatedToolMatch =
  | { readonly allow: true; readonly pattern: string }
  | { readonly allow: false; readonly deniedBy?: string };

export function isRegexToolPattern(pattern: string): boolean {
  return pattern.length >= 2 && pattern.startsWith('^') && pattern.endsWith('$');
}

/** Undefined when the pattern is a `^…$` entry that does not compile. */
export function compileToolPattern(pattern: string): RegExp | undefined {
  if (!isRegexToolPattern(pattern)) return globToRegExp(pattern);
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}

export function matchToolPattern(pattern: string, toolName: string): boolean {
  return compileToolPattern(pattern)?.test(toolName) ?? false;
}

/** The first entry of `patterns` that matches `toolName`. */
export function findToolPattern(patterns: readonly string[], toolName: string): string | undefined {
  return patterns.find((p) => matchToolPattern(p, toolName));
}

/**
 * Decide one upstream tool name (without the `<lease>__` prefix). Deny is checked first and
 * wins; otherwise the first matching allow entry decides.
 */
export function matchFederatedTool(
  patterns: FederatedToolPatterns,
  toolName: string,
): FederatedToolMatch {
  const deniedBy = findToolPattern(patterns.deny, toolName);
  if (deniedBy !== undefined) return { allow: false, deniedBy };
  const allowedBy = findToolPattern(patterns.allow, toolName);
  return allowedBy === undefined ? { allow: false } : { allow: true, pattern: allowedBy };
}
