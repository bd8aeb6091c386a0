import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silenceGrpcIpServerNameWarning } from './grpc-ip-server-name-warning.js';

describe('silenceGrpcIpServerNameWarning', () => {
  it('drops DEP0123 and passes every other warning on', () => {
    const seen: string[] = [];
    const original = Object.getOwnPropertyDescriptor(process, 'emitWarning');
    process.emitWarning = (warning: string | Error) => {
      seen.push(String(warning));
    };
    try {
      silenceGrpcIpServerNameWarning();
      process.emitWarning('ip server name', 'DeprecationWarning', 'DEP0123');
      process.emitWarning('ip server name', { type: 'DeprecationWarning', code: 'DEP0123' });
      process.emitWarning('something else', 'DeprecationWarning', 'DEP0005');
      process.emitWarning('plain');
    } finally {
      if (original !== undefined) Object.defineProperty(process, 'emitWarning', original);
    }
    assert.deepEqual(seen, ['something else', 'plain']);
  });
});
