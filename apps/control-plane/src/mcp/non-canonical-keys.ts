// Drops non-canonical duplicate keys from a JSON-RPC message before anything decides on it
// (RFD 0002): in every object, keys are grouped by NFKC + lower case; in a group that holds a
// canonical key (an MCP protocol key or a tool argument name), every other member is dropped.
// So `{"name":"list_nodes","Name":"run_tsh_command"}` is judged as `list_nodes`, and a second
// spelling can never reach a tool or the policy engine. Groups without a canonical member are
// left alone: Teleport label maps are case-sensitive data.

/** Keys of the MCP/JSON-RPC messages this gateway reads. */
export const MCP_PROTOCOL_KEYS: readonly string[] = [
  'jsonrpc',
  'id',
  'method',
  'params',
  'result',
  'error',
  'code',
  'message',
  'data',
  'name',
  'arguments',
  '_meta',
  'progressToken',
  'cursor',
  'protocolVersion',
  'capabilities',
  'clientInfo',
  'version',
  'title',
  'uri',
  'level',
  'requestId',
  'reason',
];

const MAX_DEPTH = 64;

function fold(key: string): string {
  return key.normalize('NFKC').toLowerCase();
}

/**
 * A copy of `value` without non-canonical duplicates; the paths of dropped keys are pushed to
 * `dropped` (for the log). Nesting deeper than MAX_DEPTH is returned as is (zod bounds it later).
 */
export function stripNonCanonicalDuplicates(
  value: unknown,
  canonical: ReadonlySet<string>,
  dropped: string[] = [],
  path = '$',
  depth = 0,
): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    return value.map((v, i) =>
      stripNonCanonicalDuplicates(v, canonical, dropped, `${path}[${i}]`, depth + 1),
    );
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const groups = new Map<string, string[]>();
  for (const [key] of entries) {
    const folded = fold(key);
    const group = groups.get(folded);
    if (group === undefined) groups.set(folded, [key]);
    else group.push(key);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of entries) {
    const group = groups.get(fold(key)) ?? [key];
    if (group.length > 1 && !canonical.has(key) && group.some((k) => canonical.has(k))) {
      dropped.push(`${path}.${key}`);
      continue;
    }
    // defineProperty: a "__proto__" key stays data, never a prototype change.
    Object.defineProperty(out, key, {
      value: stripNonCanonicalDuplicates(v, canonical, dropped, `${path}.${key}`, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
