import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import { AgentLogForwarder } from './agent-log-forwarder.js';

/** A real pino logger writing JSON lines into an array. */
function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const logger = pino({ level: 'trace', base: { service: 'tmcp-server' } }, stream);
  return { logger: logger.child({ component: 'local-agent' }), lines };
}

describe('AgentLogForwarder', () => {
  it('re-emits an agent JSON line with its level, message and fields under component local-agent', () => {
    const { logger, lines } = capture();
    const forwarder = new AgentLogForwarder(logger, 'info');
    const agentLine = JSON.stringify({
      level: 40,
      time: 1,
      pid: 4242,
      hostname: 'jumpbox',
      service: 'tmcp-agent',
      agent_id: 'a-1',
      lease_id: 'l-1',
      msg: 'lease process exited',
    });
    // Split across chunks, as a pipe delivers it.
    forwarder.write(agentLine.slice(0, 20));
    forwarder.write(`${agentLine.slice(20)}\n`);
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line?.level, 40);
    assert.equal(line?.msg, 'lease process exited');
    assert.equal(line?.component, 'local-agent');
    assert.equal(line?.agent_id, 'a-1');
    assert.equal(line?.lease_id, 'l-1');
    assert.equal(line?.service, 'tmcp-agent');
    assert.notEqual(line?.pid, 4242, 'pid and time are the control plane’s own');
  });

  it('emits a non-JSON line as the message, at the stream level, and the last partial line on flush', () => {
    const { logger, lines } = capture();
    const forwarder = new AgentLogForwarder(logger, 'warn');
    forwarder.write('tmcp-agent: the join token is invalid\n{not json\n\nunterminated');
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg]),
      [
        [40, 'tmcp-agent: the join token is invalid'],
        [40, '{not json'],
      ],
    );
    forwarder.flush();
    assert.deepEqual(lines.at(-1)?.msg, 'unterminated');
    assert.equal(lines.length, 3);
  });
});
