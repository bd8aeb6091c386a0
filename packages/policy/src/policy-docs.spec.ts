import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { builtinRoleResolver } from './builtin-roles.js';
import { evaluate } from './evaluate.js';
import {
  DOC_MARKERS,
  renderCapabilityTable,
  renderRoleMatrix,
  renderRoleTable,
  replaceBetweenMarkers,
} from './policy-docs.js';
import { parseRoleDefinition } from './role-definition.js';

// dist/policy-docs.spec.js → <repo>/docs/policy.md
const doc = readFileSync(new URL('../../../docs/policy.md', import.meta.url), 'utf8');

function section(markers: readonly [string, string]): string {
  const [begin, end] = markers;
  const start = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  assert.ok(start >= 0 && stop > start, `docs/policy.md lacks ${begin} … ${end}`);
  return doc.slice(start + begin.length, stop).trim();
}

describe('docs/policy.md', () => {
  const generated: [string, readonly [string, string], () => string][] = [
    ['capability table', DOC_MARKERS.capabilities, renderCapabilityTable],
    ['built-in role table', DOC_MARKERS.roles, renderRoleTable],
    ['role × capability matrix', DOC_MARKERS.matrix, renderRoleMatrix],
  ];
  for (const [name, markers, render] of generated) {
    it(`has the ${name} the code renders (npm run docs -w @tmcp/policy to update)`, () => {
      assert.equal(section(markers), render());
    });
  }

  it('shows a custom role example that validates and behaves as described', () => {
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    assert.equal(blocks.length, 1);
    const role = parseRoleDefinition(parseYaml(blocks[0] ?? ''));
    const resolver = builtinRoleResolver([role]);
    const actor = { id: 'bob', roles: [role.name], kind: 'user' as const };
    const start = { kind: 'proxy_db' as const, target: { name: 'pg-main' }, ttlSeconds: 1800 };
    assert.equal(
      evaluate(actor, 'proxy.start', { reason: 'r', lease: start }, resolver).rule,
      'requirement: ticket',
    );
    assert.equal(
      evaluate(actor, 'proxy.start', { reason: 'r', ticket: 'INC-7', lease: start }, resolver)
        .allow,
      true,
    );
    assert.equal(
      evaluate(actor, 'access_request.review', { reason: 'r' }, resolver).rule,
      'role db-oncall deny access_request.review',
    );
  });
});

describe('replaceBetweenMarkers', () => {
  it('replaces only the text between the markers', () => {
    const markers = ['<!-- a -->', '<!-- b -->'] as const;
    assert.equal(
      replaceBetweenMarkers('x\n<!-- a -->\nold\n<!-- b -->\ny', markers, 'new'),
      'x\n<!-- a -->\nnew\n<!-- b -->\ny',
    );
    assert.equal(replaceBetweenMarkers('no markers', markers, 'new'), undefined);
  });
});
