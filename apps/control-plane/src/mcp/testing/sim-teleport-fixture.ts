// Test fixture: a simulated Teleport cluster (state file, identity files) and the server config
// naming the simulator's binaries, for integration tests in this workspace.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mintIdentity, seedState, simBinDir } from '@tmcp/teleport-sim';

export interface SimTeleportFixture {
  dir: string;
  statePath: string;
  /** teleport.clusters entries: `main` (valid admin identity) and `stale` (expired identity). */
  clusters: Record<string, unknown>[];
  /** Environment the simulator needs (pass through TELEPORT_CLUSTERS_OPTIONS). */
  env: Record<string, string>;
  cleanup(): void;
}

export function createSimTeleportFixture(): SimTeleportFixture {
  const dir = mkdtempSync(path.join(tmpdir(), 'tmcp-sim-'));
  const statePath = path.join(dir, 'state.json');
  seedState(statePath);
  const valid = path.join(dir, 'admin.id');
  const expired = path.join(dir, 'expired.id');
  mintIdentity({ user: 'admin', ttlSeconds: 3600, path: valid });
  mintIdentity({ user: 'admin', ttlSeconds: -60, path: expired });
  const bin = simBinDir();
  const cluster = (name: string, identity: string): Record<string, unknown> => ({
    name,
    proxy: 'teleport.example.com:443',
    identity_file: identity,
    tsh_path: path.join(bin, 'tsh'),
    tctl_path: path.join(bin, 'tctl'),
    home: path.join(dir, `home-${name}`),
  });
  return {
    dir,
    statePath,
    clusters: [cluster('main', valid), cluster('stale', expired)],
    env: { TELEPORT_SIM_STATE: statePath },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
