import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  federatedToolName,
  leaseToolPrefix,
  parseFederatedToolName,
} from './federated-tool-name.js';

const LEASE = '3F2A9C1D-8e7b-4a5f-9e3d-2c1b0a9f8e7d';

describe('federated tool names', () => {
  it('prefixes with l + the first 8 hex digits of the lease id, lower case', () => {
    assert.equal(leaseToolPrefix(LEASE), 'l3f2a9c1d');
    assert.equal(federatedToolName(LEASE, 'echo'), 'l3f2a9c1d__echo');
  });

  const invalid: [string, string][] = [
    ['a dot', 'files.read'],
    ['a slash', 'a/b'],
    ['a space', 'get env'],
    ['empty', ''],
    ['too long overall', 'x'.repeat(55)],
  ];
  for (const [what, tool] of invalid) {
    it(`offers no name for an upstream tool with ${what}`, () => {
      assert.equal(federatedToolName(LEASE, tool), undefined);
    });
  }

  it('keeps a 64-character name', () => {
    const name = federatedToolName(LEASE, 'x'.repeat(53));
    assert.equal(name?.length, 64);
  });

  it('parses back at the first separator (upstream names may contain __)', () => {
    assert.deepEqual(parseFederatedToolName('l3f2a9c1d__echo'), {
      leaseName: 'l3f2a9c1d',
      upstreamTool: 'echo',
    });
    assert.deepEqual(parseFederatedToolName('l3f2a9c1d__a__b'), {
      leaseName: 'l3f2a9c1d',
      upstreamTool: 'a__b',
    });
  });

  const notFederated = [
    'list_nodes',
    'l3f2a9c1d__',
    'x3f2a9c1d__echo',
    'l3F2A9C1D__echo',
    'l12__echo',
  ];
  for (const name of notFederated) {
    it(`does not parse ${name}`, () => {
      assert.equal(parseFederatedToolName(name), undefined);
    });
  }
});
