import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { seedState } from './seed-state.js';
import { breakStaleLock, StateFile } from './state-file.js';

describe('StateFile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-state-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const seed = () =>
    seedState({ now: new Date(), dbUri: '127.0.0.1:5432', webAppUri: 'http://127.0.0.1:8080' });

  it('reads a state file written before locks existed as one without locks', () => {
    const old: Record<string, unknown> = { ...seed() };
    delete old.locks;
    const file = path.join(dir, 'pre-locks.json');
    writeFileSync(file, JSON.stringify(old));
    assert.deepEqual(new StateFile(file, seed).read().locks, []);
  });

  it('a read inside an update on a missing file sees the state being changed, and the change lands', () => {
    const file = new StateFile(path.join(dir, 'fresh.json'), seed);
    const seen = file.update((state) => {
      const inner = file.read();
      // Same object: the nested read neither re-seeds nor waits for the lock this update holds.
      assert.equal(inner, state);
      file.update((nested) => {
        nested.events.push({
          event: 'test.nested',
          code: 'T0000I',
          time: new Date().toISOString(),
        });
      });
      return inner.events.length;
    });
    assert.ok(existsSync(path.join(dir, 'fresh.json')));
    assert.ok(!existsSync(path.join(dir, 'fresh.json.lock')), 'the lock is released');
    const stored = JSON.parse(readFileSync(path.join(dir, 'fresh.json'), 'utf8')) as {
      events: { event: string }[];
    };
    assert.equal(stored.events.length, seen);
    assert.equal(stored.events.at(-1)?.event, 'test.nested');
    // Outside an update, reads come from the file again.
    assert.notEqual(file.read(), undefined);
  });

  it('breaks a lock left by a dead process and takes it', () => {
    const file = new StateFile(path.join(dir, 'dead.json'), seed);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(path.join(dir, 'dead.json.lock'), `${dead.stdout.toString()} 00\n`);
    file.update((state) => state.events.push({ event: 'after.break', code: 'T', time: '' }));
    assert.ok(!existsSync(path.join(dir, 'dead.json.lock')));
    assert.equal(file.read().events.at(-1)?.event, 'after.break');
  });

  it('never breaks a lock re-taken by a live process after it was judged stale', () => {
    const lock = path.join(dir, 'race.json.lock');
    const judgedStale = '999999999 aa\n';
    // The dead holder released and a live process took the lock before the breaker acted.
    const live = `${process.pid} bb\n`;
    writeFileSync(lock, live);
    assert.equal(breakStaleLock(lock, judgedStale), false);
    assert.equal(readFileSync(lock, 'utf8'), live);
    // The same content it judged stale is removed.
    writeFileSync(lock, judgedStale);
    assert.equal(breakStaleLock(lock, judgedStale), true);
    assert.ok(!existsSync(lock));
    assert.ok(!existsSync(`${lock}.break`), 'the breaker lock is released');
  });
});
