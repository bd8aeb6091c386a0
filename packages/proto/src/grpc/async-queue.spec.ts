import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AsyncQueue } from './async-queue.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

describe('AsyncQueue', () => {
  it('yields pushed values in order, including those pushed while the consumer waits', async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    const collected = collect(queue);
    queue.push(2);
    await Promise.resolve();
    queue.push(3);
    queue.close();
    assert.deepEqual(await collected, [1, 2, 3]);
  });

  it('drops values pushed after close', async () => {
    const queue = new AsyncQueue<string>();
    assert.equal(queue.push('a'), true);
    queue.close();
    assert.equal(queue.push('b'), false);
    assert.deepEqual(await collect(queue), ['a']);
  });

  it('fail() ends the iteration with the error after the queued values', async () => {
    const queue = new AsyncQueue<string>();
    queue.push('a');
    queue.fail(new Error('stream lost'));
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const value of queue) seen.push(value);
    }, /stream lost/);
    assert.deepEqual(seen, ['a']);
  });

  it('a consumer that stops early closes the queue', async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    queue.push(2);
    for await (const value of queue) {
      assert.equal(value, 1);
      break;
    }
    assert.equal(queue.isEnded, true);
    assert.equal(queue.size, 0);
    assert.equal(queue.push(3), false);
  });
});
