import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandLog } from './command-log.js';

describe('CommandLog: every command of a call on its operations row', () => {
  it('no command: nothing to record', () => {
    assert.equal(new CommandLog().summary(), undefined);
  });

  it('one command: its exit code and output as they are', () => {
    const log = new CommandLog();
    log.add({ command: 'tctl get nodes', exitCode: 0, stdout: '[]', stderr: '' });
    assert.deepEqual(log.summary(), { exitCode: 0, stdout: '[]', stderr: '' });
  });

  it('several commands: a section each, stderr only where there is some', () => {
    const log = new CommandLog();
    log.add({ command: 'tctl get nodes', exitCode: 0, stdout: 'nodes' });
    log.add({ command: 'tctl get cert_authorities', exitCode: 0, stdout: 'cas', stderr: 'warn' });
    log.add({ exitCode: 0, stdout: 'third' });
    const summary = log.summary();
    assert.equal(
      summary?.stdout,
      [
        '$ tctl get nodes → exit 0',
        'nodes',
        '$ tctl get cert_authorities → exit 0',
        'cas',
        '$ command 3 → exit 0',
        'third',
      ].join('\n'),
    );
    assert.equal(summary?.stderr, '$ tctl get cert_authorities → exit 0\nwarn');
  });

  it('the exit code is the first failure, not the last success', () => {
    const log = new CommandLog();
    log.add({ exitCode: 0 });
    log.add({ exitCode: 2, stderr: 'denied' });
    log.add({ exitCode: 1 });
    log.add({ exitCode: 0 });
    assert.equal(log.summary()?.exitCode, 2);
    const unknown = new CommandLog();
    unknown.add({ exitCode: 0 });
    unknown.add({ exitCode: null });
    assert.equal(unknown.summary()?.exitCode, null);
  });

  it('each section gets an equal share of the cap, so a long first output cannot hide the rest', () => {
    const log = new CommandLog();
    log.add({ command: 'big', exitCode: 0, stdout: 'x'.repeat(10_000) });
    log.add({ command: 'small', exitCode: 0, stdout: 'tail' });
    const stdout = log.summary(2048)?.stdout ?? '';
    assert.ok(stdout.includes('$ small → exit 0\ntail'), stdout.slice(-200));
    assert.ok(Buffer.byteLength(stdout) < 2300, `${Buffer.byteLength(stdout)} bytes`);
  });
});
