// Finds the `tmcp-agent` binary the local agent runs: the workspace's (or node_modules')
// @tmcp/edge-agent when it is installed next to the control plane — run with this Node — else
// `tmcp-agent` from PATH. Apps never import each other (DESIGN §2): this only locates a file.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface AgentCommand {
  /** The executable to spawn. */
  readonly command: string;
  /** Arguments before the agent's own (the script, when run with Node). */
  readonly prefix: readonly string[];
}

const PACKAGE = '@tmcp/edge-agent';
const BIN = 'tmcp-agent';

export function resolveAgentCommand(): AgentCommand {
  const script = installedAgentScript();
  return script === undefined
    ? { command: BIN, prefix: [] }
    : { command: process.execPath, prefix: [script] };
}

/** The package's bin script when the package is installed and built; undefined otherwise. */
function installedAgentScript(): string | undefined {
  // The package exports only ".", so its package.json is looked up along the resolution paths.
  const lookups = createRequire(import.meta.url).resolve.paths(PACKAGE) ?? [];
  for (const dir of lookups) {
    const manifest = path.join(dir, PACKAGE, 'package.json');
    if (!existsSync(manifest)) continue;
    const bin = binOf(readFileSync(manifest, 'utf8'));
    if (bin === undefined) return undefined;
    const script = path.resolve(path.dirname(manifest), bin);
    // The bin loads dist/main.js: an unbuilt checkout falls back to PATH.
    const built = existsSync(path.resolve(path.dirname(manifest), 'dist', 'main.js'));
    return existsSync(script) && built ? script : undefined;
  }
  return undefined;
}

function binOf(manifestText: string): string | undefined {
  try {
    const manifest = JSON.parse(manifestText) as { bin?: unknown };
    const { bin } = manifest;
    if (typeof bin === 'string') return bin;
    if (typeof bin === 'object' && bin !== null && BIN in bin) {
      const value = (bin as Record<string, unknown>)[BIN];
      return typeof value === 'string' ? value : undefined;
    }
  } catch {
    // A damaged manifest: fall back to PATH.
  }
  return undefined;
}
