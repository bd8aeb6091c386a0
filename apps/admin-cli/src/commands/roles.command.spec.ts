import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readRoleFile } from './roles.command.js';

describe('readRoleFile (roles apply -f)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tmcpctl-roles-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('returns a valid role with defaults filled in', () => {
    const role = readRoleFile(file('ok.yaml', 'name: dba\nallow: ["proxy.*"]\n'));
    assert.equal(role.name, 'dba');
    assert.equal(role.constraints.maxTtlSeconds, 3600);
  });

  const invalid: [string, string, RegExp][] = [
    ['a YAML syntax error', 'name: x\nallow: [proxy.*\n', /bad\.yaml: not valid YAML: /],
    ['a duplicate key', 'name: x\nname: y\n', /bad\.yaml: not valid YAML: /],
    [
      'an unknown capability',
      'name: x\nallow: ["nope.*"]\n',
      /bad\.yaml: invalid role "x": allow\[0\]: "nope\.\*" matches no known capability/,
    ],
    ['a built-in name', 'name: admin\nallow: ["*"]\n', /"admin" is a built-in role/],
    ['an unknown key', 'name: x\nallw: ["*"]\n', /invalid role "x": .*allw/],
    ['not a mapping', '- a\n- b\n', /bad\.yaml: invalid role/],
  ];
  for (const [title, text, message] of invalid) {
    it(`refuses ${title} with one clear message`, () => {
      assert.throws(
        () => readRoleFile(file('bad.yaml', text)),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'bad_parameter');
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  it('reports a missing file', () => {
    assert.throws(
      () => readRoleFile(path.join(dir, 'missing.yaml')),
      /cannot read .*missing\.yaml \(ENOENT\)/,
    );
  });
});
