import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchFederatedTool, matchToolPattern } from './federated-tool-pattern.js';

describe('federated tool patterns (Teleport mcp.tools semantics)', () => {
  const single: [pattern: string, tool: string, expected: boolean][] = [
    // literal
    ['search_files', 'search_files', true],
    ['search_files', 'search_files2', false],
    ['search_files', 'Search_files', false],
    ['search.files', 'searchXfiles', false],
    // glob
    ['*', 'anything_at_all', true],
    ['read_*', 'read_file', true],
    ['read_*', 'read_', true],
    ['read_*', 'xread_file', false],
    ['*_query', 'teleport_postgres_query', true],
    ['get_*_config', 'get_mcp_config', true],
    ['get_*_config', 'get_mcp_config_v2', false],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
    // regex, full match
    ['^search_[a-z]+$', 'search_files', true],
    ['^search_[a-z]+$', 'search_files2', false],
    ['^search_[a-z]+$', 'xsearch_files', false],
    ['^(list|get)_.*$', 'get_thing', true],
    // invalid regex: matches nothing, not even its own text
    ['^search_[a-z$', 'search_a', false],
    ['^search_[a-z$', '^search_[a-z$', false],
    ['^(unclosed$', '(unclosed', false],
  ];
  for (const [pattern, tool, expected] of single) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${tool}`, () => {
      assert.equal(matchToolPattern(pattern, tool), expected);
    });
  }

  // prettier-ignore
  const sets: [name: string, allow: string[], deny: string[], tool: string, expected: unknown][] = [
    ['no allow entry means no tool', [], [], 'read_file', { allow: false }],
    ['allow * admits all', ['*'], [], 'write_file', { allow: true, pattern: '*' }],
    ['deny wins over allow *', ['*'], ['write_*'], 'write_file', { allow: false, deniedBy: 'write_*' }],
    ['deny wins over a literal allow', ['write_file'], ['^write_.*$'], 'write_file', { allow: false, deniedBy: '^write_.*$' }],
    ['deny of another tool does not matter', ['*'], ['write_*'], 'read_file', { allow: true, pattern: '*' }],
    ['the first matching allow is reported', ['read_*', '*'], [], 'read_x', { allow: true, pattern: 'read_*' }],
    ['an invalid deny regex denies nothing', ['*'], ['^[$'], 'x', { allow: true, pattern: '*' }],
    ['an invalid allow regex allows nothing', ['^[$'], [], 'x', { allow: false }],
  ];
  for (const [name, allow, deny, tool, expected] of sets) {
    it(name, () => {
      assert.deepEqual(matchFederatedTool({ allow, deny }, tool), expected);
    });
  }
});
