// The lease state file in the data dir: what the agent runs, so that after a crash it can find,
// verify and kill or re-adopt its processes. Replaced atomically (write a private temporary
// file, fsync, rename) on every change; writes are serialised so the newest state always wins.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const persistedLeaseSchema = z.object({
  lease_id: z.string().min(1),
  generation: z.number().int().nonnegative(),
  pid: z.number().int().positive(),
  pgid: z.number().int().positive(),
  /** /proc/<pid>/stat start time at spawn (verifies the pid before any signal). */
  start_time: z.string().optional(),
  /** ISO 8601. */
  deadline: z.string().datetime(),
  listen_addr: z.string(),
  kind: z.string(),
  cluster: z.string(),
});

export type PersistedLease = z.infer<typeof persistedLeaseSchema>;

const stateFileSchema = z.object({ version: z.literal(1), leases: z.array(persistedLeaseSchema) });

export interface LeaseStateStore {
  load(): Promise<PersistedLease[]>;
  save(leases: readonly PersistedLease[]): Promise<void>;
}

export const LEASE_STATE_FILE = 'leases.json';

export class FileLeaseStateStore implements LeaseStateStore {
  readonly file: string;
  private queue: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, LEASE_STATE_FILE);
  }

  /** The recorded leases; [] when there is no file. A corrupt file is an error naming it. */
  async load(): Promise<PersistedLease[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const parsed = stateFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new Error(
        `${this.file} is not a valid lease state file: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
    return parsed.data.leases;
  }

  save(leases: readonly PersistedLease[]): Promise<void> {
    const body = `${JSON.stringify({ version: 1, leases }, null, 1)}\n`;
    const write = this.queue.then(() => writeAtomically(this.file, body));
    this.queue = write.catch(() => undefined);
    return write;
  }
}

/** Writes `body` to `file` by temp file + fsync + rename, mode 0600. */
export async function writeAtomically(
  file: string,
  body: string | Buffer,
  mode = 0o600,
): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
