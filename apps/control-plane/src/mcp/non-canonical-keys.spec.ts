import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MCP_PROTOCOL_KEYS, stripNonCanonicalDuplicates } from './non-canonical-keys.js';

const canonical = new Set([...MCP_PROTOCOL_KEYS, 'cluster', 'label']);

describe('stripNonCanonicalDuplicates', () => {
  const cases: { name: string; input: unknown; want: unknown; dropped: string[] }[] = [
    {
      name: 'keeps the canonical tool name when a variant follows',
      input: { params: { name: 'list_nodes', Name: 'run_tctl_command' } },
      want: { params: { name: 'list_nodes' } },
      dropped: ['$.params.Name'],
    },
    {
      name: 'keeps the canonical tool name when a variant comes first',
      input: { params: { NAME: 'list_nodes', name: 'scan_rbac' } },
      want: { params: { name: 'scan_rbac' } },
      dropped: ['$.params.NAME'],
    },
    {
      name: 'folds compatibility forms (fullwidth letters)',
      input: { params: { ｎａｍｅ: 'x', name: 'y' } },
      want: { params: { name: 'y' } },
      dropped: ['$.params.ｎａｍｅ'],
    },
    {
      name: 'drops argument variants beside canonical argument names',
      input: { arguments: { cluster: 'a', CLUSTER: 'b', Cluster: 'c' } },
      want: { arguments: { cluster: 'a' } },
      dropped: ['$.arguments.CLUSTER', '$.arguments.Cluster'],
    },
    {
      name: 'leaves groups without a canonical member alone (case-sensitive labels)',
      input: { labels: { Env: 'prod', env: 'dev' } },
      want: { labels: { Env: 'prod', env: 'dev' } },
      dropped: [],
    },
    {
      name: 'walks arrays',
      input: [{ id: 1, ID: 2 }],
      want: [{ id: 1 }],
      dropped: ['$[0].ID'],
    },
    {
      name: 'a lone non-canonical spelling is kept (zod strips unknown keys later)',
      input: { Name: 'x' },
      want: { Name: 'x' },
      dropped: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const dropped: string[] = [];
      assert.deepEqual(stripNonCanonicalDuplicates(c.input, canonical, dropped), c.want);
      assert.deepEqual(dropped, c.dropped);
    });
  }

  it('keeps "__proto__" as a data key without touching the prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const out = stripNonCanonicalDuplicates(input, canonical) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ['__proto__', 'a']);
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });
});
