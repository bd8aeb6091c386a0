import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_STORED_INPUT_BYTES,
  storedError,
  storedInputs,
  storedOutput,
} from './operation-record.js';

describe('operation record shaping', () => {
  it('redacts and truncates stdout, marking the cut', () => {
    const text = `password=hunter2hunter2 ${'x'.repeat(100)}`;
    const out = storedOutput(text, 40);
    assert.ok(out !== null);
    assert.doesNotMatch(out, /hunter2/);
    assert.match(out, /\[truncated: \d+ more bytes\]$/);
  });

  it('does not cut a multi-byte character in half', () => {
    const out = storedOutput('é'.repeat(10), 5);
    assert.equal(out?.split('\n')[0], 'éé');
  });

  it('keeps null for absent output', () => {
    assert.equal(storedOutput(undefined), null);
  });

  it('redacts secret-named inputs and stubs oversized ones', () => {
    assert.deepEqual(storedInputs({ name: 'web', token: 'abc' }), { name: 'web', token: '***' });
    const big = storedInputs({ blob: 'y'.repeat(MAX_STORED_INPUT_BYTES + 1) });
    assert.equal(Object.keys(big).join(), '_truncated');
  });

  it('redacts error messages', () => {
    const e = storedError({
      code: 'teleport_error',
      message: 'failed: Authorization: Bearer abcdefghijkl',
    });
    assert.doesNotMatch(e.message, /abcdefghijkl/);
  });
});
