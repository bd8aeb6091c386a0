import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import { shapeToolError, shapeToolResult } from './tool-result-shaper.js';

describe('shapeToolResult', () => {
  it('passes a small result through, redacted', () => {
    const r = shapeToolResult(
      { text: 'token=abcdef0123', structured: { items: [{ name: 'n1', password: 'hunter2' }] } },
      10_000,
    );
    assert.equal(r.content[0]?.text, 'token=***');
    assert.deepEqual(r.structuredContent, { items: [{ name: 'n1', password: '***' }] });
    assert.equal(r.isError, undefined);
  });

  it('shortens the largest array to fit and says so in the text', () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ name: `node-${i}` }));
    const r = shapeToolResult({ text: 'nodes', structured: { count: 1000, items } }, 4_000);
    const kept = (r.structuredContent?.items as unknown[]).length;
    assert.ok(kept > 0 && kept < 1000);
    assert.ok(JSON.stringify(r.structuredContent).length <= 4_000);
    assert.match(r.content[0]?.text ?? '', new RegExp(`items shows ${kept} of 1000 entries`));
  });

  it('turns an unshrinkable result into limit_exceeded', () => {
    const r = shapeToolResult({ text: 'x', structured: { blob: 'y'.repeat(5000) } }, 1000);
    assert.equal(r.isError, true);
    assert.match(r.content[0]?.text ?? '', /^limit_exceeded: /);
  });

  it('caps the text', () => {
    const r = shapeToolResult({ text: 'z'.repeat(5000), structured: {} }, 1000);
    assert.match(r.content[0]?.text ?? '', /\[truncated: 4000 more bytes/);
  });
});

describe('shapeToolError', () => {
  it('redacts the message and keeps the code', () => {
    const r = shapeToolError(new AppError('teleport_error', 'failed with Bearer abcdefghijklmnop'));
    assert.equal(r.isError, true);
    assert.doesNotMatch(r.content[0]?.text ?? '', /abcdefghijklmnop/);
    assert.equal((r.structuredContent as { error: { code: string } }).error.code, 'teleport_error');
  });
});
