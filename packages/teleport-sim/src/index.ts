// Test helpers for other packages: where the simulated binaries are, a fresh state file, and
// identity files for a chosen user and lifetime.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DB_URI, DEFAULT_WEB_APP_URI } from './cli/sim-context.js';
import { writeIdentityFile } from './identity/identity-file.js';
import { CLUSTER_NAME, seedState as buildSeed } from './state/seed-state.js';

/** Absolute path of the directory holding the `tsh` and `tctl` executables. */
export function simBinDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'bin');
}

export interface SeedStateOptions {
  dbUri?: string;
  webAppUri?: string;
  now?: Date;
}

/** Writes a freshly seeded cluster state to `path` (overwriting it). */
export function seedState(path: string, options: SeedStateOptions = {}): void {
  const state = buildSeed({
    now: options.now ?? new Date(),
    dbUri: options.dbUri ?? process.env.TELEPORT_SIM_DB_URI ?? DEFAULT_DB_URI,
    webAppUri: options.webAppUri ?? process.env.TELEPORT_SIM_WEB_APP_URI ?? DEFAULT_WEB_APP_URI,
  });
  writeFileSync(path, JSON.stringify(state, null, 1) + '\n', { mode: 0o600 });
}

export interface MintIdentityOptions {
  user: string;
  /** Lifetime from now; zero or negative mints an already expired identity. */
  ttlSeconds: number;
  path: string;
  cluster?: string;
}

/** Writes an identity file as `tctl auth sign --format=file` would. */
export function mintIdentity(options: MintIdentityOptions): void {
  writeIdentityFile(options.path, {
    user: options.user,
    cluster: options.cluster ?? CLUSTER_NAME,
    notAfter: Date.now() + options.ttlSeconds * 1000,
  });
}

export { CLUSTER_NAME } from './state/seed-state.js';
export { RBAC_DENIED_MESSAGE, RELOGIN_REQUIRED_MESSAGE } from './mcp/mcp-connect.js';
export { RBAC_WARNING } from './tsh/mcp-commands.js';
