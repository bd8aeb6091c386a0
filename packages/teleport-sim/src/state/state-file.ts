// The cluster state on disk. Writers serialise through a lock file (created with O_EXCL, stale
// locks of dead or hung holders broken without ever breaking a live one) and replace the file by atomic rename, so readers
// never see a torn file and concurrent `tctl create` calls never lose an update.
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parseSimState, type SimState } from './sim-state.js';

const LOCK_TIMEOUT_MS = 30_000;
const STALE_LOCK_MS = 15_000;
const STALE_BREAK_LOCK_MS = 5_000;

export class StateFile {
  /** The state being changed by the update in progress (reads and nested updates share it). */
  private inUpdate: SimState | undefined;

  constructor(
    readonly path: string,
    private readonly seed: () => SimState,
  ) {}

  /** The current state; seeds the file on first use. */
  read(): SimState {
    if (this.inUpdate !== undefined) return this.inUpdate;
    if (!existsSync(this.path)) {
      return this.update((s) => s);
    }
    return parseSimState(readFileSync(this.path, 'utf8'), this.path);
  }

  /** Read-modify-write under the lock; `mutate` may change the state in place. */
  update<T>(mutate: (state: SimState) => T): T {
    // A read or update from inside `mutate` must not wait for the lock this call holds.
    if (this.inUpdate !== undefined) return mutate(this.inUpdate);
    const release = this.lock();
    try {
      const state = existsSync(this.path)
        ? parseSimState(readFileSync(this.path, 'utf8'), this.path)
        : this.seed();
      this.inUpdate = state;
      const result = mutate(state);
      const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(tmp, JSON.stringify(state, null, 1) + '\n', { mode: 0o600 });
      renameSync(tmp, this.path);
      return result;
    } finally {
      this.inUpdate = undefined;
      release();
    }
  }

  private lock(): () => void {
    const lockPath = `${this.path}.lock`;
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    let delay = 2;
    for (;;) {
      const token = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
      if (createExclusive(lockPath, token)) {
        return () => {
          // Only ever remove our own lock: a hung holder's lock may have been broken and taken.
          if (readOrUndefined(lockPath) === token) unlinkQuietly(lockPath);
        };
      }
      const observed = staleLockContent(lockPath);
      if (observed !== undefined && breakStaleLock(lockPath, observed)) continue;
      if (Date.now() > deadline) {
        throw new Error(`teleport-sim: timed out waiting for the state lock ${lockPath}`);
      }
      sleepSync(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 50);
    }
  }
}

/**
 * Removes the lock at `lockPath` if it still holds exactly `observed` (the content judged stale).
 * Breakers serialise through a second lock, and every lock carries a random token, so a lock
 * released and re-taken by a live process after it was judged stale is never removed: only its
 * holder or a breaker can remove a lock, and a dead holder releases nothing.
 */
export function breakStaleLock(lockPath: string, observed: string): boolean {
  const breakPath = `${lockPath}.break`;
  if (!createExclusive(breakPath, `${process.pid}\n`)) {
    // A breaker killed in its few microseconds of work leaves this behind; age is proof enough.
    if (ageMs(breakPath) > STALE_BREAK_LOCK_MS) unlinkQuietly(breakPath);
    return false;
  }
  try {
    if (readOrUndefined(lockPath) !== observed) return false;
    unlinkQuietly(lockPath);
    return true;
  } finally {
    unlinkQuietly(breakPath);
  }
}

/** The lock's content when its holder is dead or has held it too long; otherwise undefined. */
function staleLockContent(lockPath: string): string | undefined {
  const content = readOrUndefined(lockPath);
  // Vanished, or created and not yet written: just retry.
  if (content === undefined || content === '') return undefined;
  const holder = Number(content.split(' ')[0]);
  if (Number.isInteger(holder) && holder > 0 && !isAlive(holder)) return content;
  return ageMs(lockPath) > STALE_LOCK_MS ? content : undefined;
}

function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeFileSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
