// Go's encoding/json: struct fields in declaration order, map keys sorted, HTML-safe escapes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goJson } from './go-json.js';

describe('goJson', () => {
  it('sorts the keys of map fields only, keeping struct field order', () => {
    const resource = {
      kind: 'app',
      metadata: { name: 'a', labels: { tools: 'read', env: 'dev', 'teleport.internal/x': 'mcp' } },
      spec: {
        uri: 'mcp+stdio://',
        cmd_labels: { z: { command: ['x'] }, a: { command: ['y'] } },
        suggested_labels: { b: ['1'], a: ['2'] },
      },
      traits: { logins: ['root'], db_users: ['alice'] },
      system_annotations: { z: ['1'], a: ['2'] },
    };
    assert.equal(
      goJson(resource, 0),
      '{"kind":"app","metadata":{"name":"a","labels":{"env":"dev","teleport.internal/x":"mcp","tools":"read"}},' +
        '"spec":{"uri":"mcp+stdio://","cmd_labels":{"a":{"command":["y"]},"z":{"command":["x"]}},' +
        '"suggested_labels":{"a":["2"],"b":["1"]}},"traits":{"db_users":["alice"],"logins":["root"]},' +
        '"system_annotations":{"a":["2"],"z":["1"]}}',
    );
  });

  it('escapes <, >, & and the line separators as Go does', () => {
    assert.equal(goJson({ q: 'a<b>&c\u2028' }, 0), '{"q":"a\\u003cb\\u003e\\u0026c\\u2028"}');
  });
});
