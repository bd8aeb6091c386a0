// Everything a simulated command touches from the outside world, in one object: streams,
// environment, clock, the state file, the audit log and the fault knobs.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../audit/audit-log.js';
import { FaultKnobs } from '../faults/fault-knobs.js';
import { seedState } from '../state/seed-state.js';
import { StateFile } from '../state/state-file.js';
import type { SimState } from '../state/sim-state.js';
import { TeleportError } from './teleport-error.js';

export interface SimIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** Absolute path of the running executable (tsh prints it in MCP client configs). */
  executablePath: string;
  /** Resolves when SIGINT or SIGTERM arrives. */
  signal: Promise<void>;
}

/** An environment value, with the empty string meaning unset. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

/** TELEPORT_HOME, else ~/.tsh. */
export function teleportHome(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env.TELEPORT_HOME) ?? join(nonEmpty(env.HOME) ?? homedir(), '.tsh');
}

export const DEFAULT_DB_URI = '127.0.0.1:5432';
export const DEFAULT_WEB_APP_URI = 'http://127.0.0.1:8080';

export class SimContext {
  readonly faults: FaultKnobs;
  readonly audit: AuditLog;
  private stateFile: StateFile | undefined;

  constructor(
    readonly program: 'tsh' | 'tctl',
    readonly io: SimIo,
  ) {
    this.faults = new FaultKnobs(io.env);
    this.audit = new AuditLog(
      () => this.store(),
      () => this.read().cluster.name,
      io.env,
      io.now,
    );
  }

  get env(): NodeJS.ProcessEnv {
    return this.io.env;
  }

  now(): Date {
    return this.io.now();
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  store(): StateFile {
    if (!this.stateFile) {
      const path = this.io.env.TELEPORT_SIM_STATE;
      if (!path) {
        throw new TeleportError(
          'internal',
          'teleport-sim: TELEPORT_SIM_STATE is not set; point it at a JSON file that holds the simulated cluster (it is created on first use)',
        );
      }
      this.stateFile = new StateFile(path, () =>
        seedState({
          now: this.now(),
          dbUri: nonEmpty(this.io.env.TELEPORT_SIM_DB_URI) ?? DEFAULT_DB_URI,
          webAppUri: nonEmpty(this.io.env.TELEPORT_SIM_WEB_APP_URI) ?? DEFAULT_WEB_APP_URI,
        }),
      );
    }
    return this.stateFile;
  }

  read(): SimState {
    return this.store().read();
  }

  update<T>(mutate: (state: SimState) => T): T {
    return this.store().update(mutate);
  }
}
