// A simulated Teleport cluster for a spawned control plane: a seeded state file, identity files
// minted with the simulator's own `tctl auth sign`, and tsh/tctl launchers. The control plane
// runs whatever binary its configuration names and passes only a minimal environment to it, so
// each launcher is a two-line script that sets the simulator's variables (state file, fault
// knobs) and execs the simulator — the product code knows nothing about it.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mintIdentity, seedState, simBinDir } from '@tmcp/teleport-sim';

export interface SimCluster {
  dir: string;
  statePath: string;
  /** Mints an identity file with `tctl auth sign` (ttl like "1h"); "expired" writes a lapsed one. */
  identity(user: string, ttl: string): string;
  /** A `teleport.clusters[]` entry using the launchers. */
  clusterEntry(name: string, identityFile: string): Record<string, unknown>;
  cleanup(): void;
}

export interface SimClusterOptions {
  /** Extra TELEPORT_SIM_* variables for every command (TELEPORT_SIM_SECRET_PLANT, …). */
  env?: Record<string, string>;
}

export function createSimCluster(options: SimClusterOptions = {}): SimCluster {
  const dir = mkdtempSync(path.join(tmpdir(), 'tmcp-e2e-sim-'));
  const statePath = path.join(dir, 'state.json');
  seedState(statePath);
  const env = { TELEPORT_SIM_STATE: statePath, ...options.env };
  const launcher = (tool: 'tsh' | 'tctl'): string => {
    const file = path.join(dir, `${tool}-launcher`);
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
      .join('\n');
    writeFileSync(
      file,
      `#!/bin/sh\n${exports}\nexec ${shellQuote(process.execPath)} ${shellQuote(path.join(simBinDir(), tool))} "$@"\n`,
    );
    chmodSync(file, 0o755);
    return file;
  };
  const tsh = launcher('tsh');
  const tctl = launcher('tctl');
  let n = 0;
  return {
    dir,
    statePath,
    identity(user, ttl) {
      const out = path.join(dir, `${user}-${n++}.identity`);
      if (ttl === 'expired') {
        // `tctl auth sign` only mints live identities; the simulator's helper writes a lapsed one.
        mintIdentity({ user, ttlSeconds: -60, path: out });
      } else {
        execFileSync(
          tctl,
          ['auth', 'sign', `--user=${user}`, '--format=file', `--out=${out}`, `--ttl=${ttl}`],
          { stdio: 'pipe' },
        );
      }
      return out;
    },
    clusterEntry(name, identityFile) {
      return {
        name,
        proxy: 'teleport.example.com:443',
        identity_file: identityFile,
        tsh_path: tsh,
        tctl_path: tctl,
        home: path.join(dir, `home-${name}`),
      };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
